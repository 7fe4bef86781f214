"""Per-connection limits without a server: the frame throttle and connections per address."""

from __future__ import annotations

from chatserver.realtime.limits import ConnectionsPerAddress, FrameThrottle, TokenBucket, frame_throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=10, capacity=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == 100  # one token every 100 ms
    clock.now += 0.05
    assert bucket.take() == 50
    clock.now += 0.05
    assert bucket.take() == 0
    clock.now += 10  # a long pause refills to the capacity, not beyond
    assert [bucket.take() for _ in range(4)] == [0, 0, 0, 100]


def test_throttle_refuses_with_retry_after_then_closes_a_flooder():
    clock = FakeClock()
    throttle = FrameThrottle(rate=5, burst=4, clock=clock)
    verdicts = [throttle.admit() for _ in range(9)]
    assert [v.allowed for v in verdicts] == [True] * 4 + [False] * 5
    assert [v.close for v in verdicts] == [False] * 8 + [True]  # 4 refusals tolerated, the 5th closes
    assert all(v.retry_after_ms == 200 for v in verdicts[4:])


def test_a_client_that_waits_as_told_is_never_closed():
    clock = FakeClock()
    throttle = FrameThrottle(rate=5, burst=4, clock=clock)
    closed = 0
    for _ in range(200):
        verdict = throttle.admit()
        closed += verdict.close
        if not verdict.allowed:
            clock.now += verdict.retry_after_ms / 1000
    assert closed == 0


def test_sending_at_twice_the_rate_is_eventually_closed_but_just_under_is_not():
    for factor, expect_close in ((1.9, False), (2.5, True)):
        clock = FakeClock()
        throttle = FrameThrottle(rate=10, burst=10, clock=clock)
        closed = False
        for _ in range(1000):  # 1000 frames at factor x 10 frames a second
            closed = closed or throttle.admit().close
            clock.now += 1 / (10 * factor)
        assert closed is expect_close, factor


def test_rate_zero_means_no_throttle():
    throttle = frame_throttle(0, 1)
    assert all(throttle.admit().allowed for _ in range(10_000))


def test_connections_per_address():
    slots = ConnectionsPerAddress(2)
    assert slots.acquire("1.2.3.4") and slots.acquire("1.2.3.4")
    assert not slots.acquire("1.2.3.4")
    assert slots.acquire("5.6.7.8")  # other addresses are not affected
    slots.release("1.2.3.4")
    assert slots.acquire("1.2.3.4")
    for _ in range(5):
        slots.release("5.6.7.8")  # extra releases never go negative
    assert slots.count("5.6.7.8") == 0 and slots.acquire("5.6.7.8")


def test_connections_per_address_zero_means_no_limit():
    slots = ConnectionsPerAddress(0)
    assert all(slots.acquire("1.2.3.4") for _ in range(10_000))
