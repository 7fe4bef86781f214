"""The shared protocol client (web/lib), unit by unit, in the browser it runs in.

A fake connection scripts the server's answers, so each rule of protocol.md §9 is checked alone:
backoff bounds, merging by ``_id`` in ``seq`` order, resume with ``afterSeq`` then history until
``hasMore`` is false, older pages, and the outbox's retries with the same ``clientMsgId``.
"""

from __future__ import annotations

import pytest

LIB_PAGE = """<!doctype html><html><head>
<script src="{server}/dashboard/lib/dom.js"></script>
<script src="{server}/dashboard/lib/connection.js"></script>
<script src="{server}/dashboard/lib/room.js"></script>
</head><body></body></html>"""

FAKE_CONNECTION = """
window.fake = () => {
  const conn = { ready: true, sent: [], answers: [] };
  conn.request = (event, data) => {
    conn.sent.push([event, JSON.parse(JSON.stringify(data || {}))]);
    const next = conn.answers.shift();
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve(next);
  };
  return conn;
};
window.msg = (seq, extra) => ({ _id: 'm' + seq, roomId: 'r1', seq, content: 'c' + seq, senderType: 'guest', ...extra });
"""


@pytest.fixture(scope="module")
def lib_page(live_server, host_pages, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(host_pages.add("/lib", LIB_PAGE.replace("{server}", live_server.http_url)))
    page.evaluate(FAKE_CONNECTION)
    yield page
    context.close()


def test_backoff_doubles_from_half_a_second_to_thirty_with_fifty_percent_jitter(lib_page):
    bounds = lib_page.evaluate(
        "() => Array.from({length: 12}, (_, a) => [backoffDelay(a, 500, 30000, () => 0),"
        " backoffDelay(a, 500, 30000, () => 0.999999)])"
    )
    for attempt, (low, high) in enumerate(bounds):
        ceiling = min(30_000, 500 * 2**attempt)
        assert low == ceiling // 2
        assert high == round(ceiling * 1.5)


def test_join_resume_and_older_pages_show_every_message_once_in_seq_order(lib_page):
    result = lib_page.evaluate(
        """async () => {
          const conn = fake();
          const sync = new RoomSync(conn, { joinData: () => ({ businessId: 'b1' }) });
          const room = { _id: 'r1' };
          sync.receive(msg(6));  // a push can come before the join's answer
          conn.answers.push({ room, messages: [msg(3), msg(4), msg(5)], hasMore: true });
          await sync.sync();
          const joined = sync.messages.map(m => m.seq);
          const hasOlder = sync.hasOlder;
          sync.merge([msg(5), msg(6), msg(4)]);  // the same messages again, from anywhere
          sync.receive(msg(6));
          // a reconnect: resume after 6; the answer is one page of two, history brings the rest
          conn.answers.push({ room, messages: [msg(7), msg(8)], hasMore: true },
                            { roomId: 'r1', messages: [msg(9)], hasMore: false });
          await sync.sync();
          conn.answers.push({ roomId: 'r1', messages: [msg(1), msg(2)], hasMore: false });
          const older = await sync.loadOlder(30);
          return { joined, hasOlder, sent: conn.sent, seqs: sync.messages.map(m => m.seq),
                   ids: new Set(sync.messages.map(m => m._id)).size, older, hasOlderAfter: sync.hasOlder };
        }"""
    )
    assert result["joined"] == [3, 4, 5, 6]
    assert result["hasOlder"] is True
    assert result["sent"] == [
        ["chat:join-room", {"businessId": "b1"}],
        ["chat:join-room", {"businessId": "b1", "afterSeq": 6}],
        ["chat:history", {"roomId": "r1", "afterSeq": 8}],
        ["chat:history", {"roomId": "r1", "beforeSeq": 3, "limit": 30}],
    ]
    assert result["seqs"] == list(range(1, 10))
    assert result["ids"] == 9
    assert result["older"] == 2 and result["hasOlderAfter"] is False


def test_resume_fills_a_gap_before_the_newest_message_held(lib_page):
    sent = lib_page.evaluate(
        """async () => {
          const conn = fake();
          const sync = new RoomSync(conn, { joinData: () => ({ roomId: 'r1' }) });
          conn.answers.push({ room: { _id: 'r1' }, messages: [msg(1), msg(2)], hasMore: false });
          await sync.sync();
          sync.receive(msg(4));  // 3 never arrived
          conn.answers.push({ room: { _id: 'r1' }, messages: [msg(3), msg(4), msg(5)], hasMore: false });
          await sync.sync();
          return [conn.sent[1], sync.messages.map(m => m.seq)];
        }"""
    )
    assert sent == [["chat:join-room", {"roomId": "r1", "afterSeq": 2}], [1, 2, 3, 4, 5]]


def test_the_outbox_keeps_order_and_resends_with_the_same_client_msg_id(lib_page):
    result = lib_page.evaluate(
        """async () => {
          const conn = fake();
          const sync = new RoomSync(conn, { joinData: () => ({ roomId: 'r1' }) });
          const a = sync.enqueue('first');   // not joined yet: waits
          const b = sync.enqueue('second');
          const before = sync.outbox.map(o => o.state);
          conn.answers.push({ room: { _id: 'r1' }, messages: [], hasMore: false },
                            new ChatError('unavailable', 'storage is down'));
          await sync.sync();
          await new Promise(resolve => setTimeout(resolve, 0));
          clearTimeout(sync.retryTimer);
          const afterFailure = sync.outbox.map(o => [o.content, o.state]);
          // the retry: the server stored 'first' once (same clientMsgId); 'second' is refused for good
          conn.answers.push(msg(1, { content: 'first', clientMsgId: a.clientMsgId, duplicate: true }),
                            new ChatError('too_large', 'content is longer than 2000 characters'));
          await sync.flush();
          const sends = conn.sent.filter(([event]) => event === 'chat:send-message')
            .map(([, data]) => ({ [a.clientMsgId]: 'a', [b.clientMsgId]: 'b' })[data.clientMsgId] || '?');
          // an echo that overtakes its ack confirms the message; the ack then adds nothing
          let release;
          conn.answers.push(new Promise(resolve => { release = resolve; }));
          const c = sync.enqueue('third');
          sync.receive(msg(2, { content: 'third', clientMsgId: c.clientMsgId }));
          release(msg(2, { content: 'third', clientMsgId: c.clientMsgId, duplicate: false }));
          await new Promise(resolve => setTimeout(resolve, 0));
          return { before, afterFailure, sends,
                   outbox: sync.outbox.map(o => [o.content, o.state, o.error]),
                   shown: sync.messages.map(m => [m.seq, m.content, 'duplicate' in m]),
                   uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(a.clientMsgId) };
        }"""
    )
    assert result["before"] == ["pending", "pending"]
    assert result["afterFailure"] == [["first", "pending"], ["second", "pending"]]  # stopped, order kept
    assert result["sends"] == ["a", "a", "b"]
    assert result["outbox"] == [["second", "failed", "content is longer than 2000 characters"]]
    assert result["shown"] == [[1, "first", False], [2, "third", False]]
    assert result["uuid"] is True


@pytest.fixture(scope="module")
def dashboard_page(live_server, browser):
    """The dashboard's origin, for importing its modules one by one."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.http_url}/dashboard/")
    yield page
    context.close()


def test_the_chat_list_follows_room_created_and_room_updated_pushes(dashboard_page):
    shown = dashboard_page.evaluate(
        """async () => {
          const { ChatList } = await import('/dashboard/chatlist.js');
          const root = document.createElement('ul');
          const filter = document.createElement('select');
          filter.append(new Option('all', 'all'), new Option('mine', 'mine'));
          const list = new ChatList({ root, filter, more: document.createElement('button'), api: null,
                                      businessId: 'b1', me: 'staff-alice', onOpen: () => {} });
          const text = () => Array.from(root.querySelectorAll('.room'), (el) => el.textContent);
          list.roomCreated({ _id: 'r1', metadata: { userName: 'Ann', isGuest: true }, status: 'open',
                             lastMessage: null, lastMessageAt: null, createdAt: '2026-01-05T10:30:00.000Z',
                             lastSeq: 0, unreadCount: 0 });
          const created = text();
          list.roomUpdated({ roomId: 'r1', lastMessage: 'where is my order?', lastMessageAt: '2026-01-05T10:31:00.000Z',
                             lastSeq: 3, unreadCount: 3, status: 'closed', assignedTo: 'staff-alice',
                             metadata: { userName: 'Ann', isGuest: true, customerId: 'c1' } });
          const updated = text();
          filter.value = 'mine';
          list.render();
          const mine = text().length;
          list.message({ roomId: 'r1', seq: 9, content: 'x'.repeat(300), createdAt: '2026-01-05T10:32:00.000Z' });
          return { created, updated, mine, preview: list.rooms.get('r1').lastMessage.length };
        }"""
    )
    assert len(shown["created"]) == 1
    assert "Ann" in shown["created"][0] and "Anonymous" in shown["created"][0]
    assert "No messages yet" in shown["created"][0] and "Open" in shown["created"][0]
    assert "where is my order?" in shown["updated"][0] and "Closed" in shown["updated"][0]
    assert "Converted" in shown["updated"][0] and "Anonymous" not in shown["updated"][0]
    assert shown["updated"][0].endswith("3")  # the server's unread count
    assert shown["mine"] == 1
    assert shown["preview"] == 200


def test_analytics_series_becomes_the_chart_days(dashboard_page):
    result = dashboard_page.evaluate(
        """async () => {
          const { chartDays, percent, duration } = await import('/dashboard/analytics.js');
          const days = chartDays([
            { date: '2026-01-01', guestRooms: 4, guestRoomsWithEmail: 2, converted: 1, conversionRate: 0.25,
              authenticatedRooms: 1 },
            { date: '2026-01-02', guestRooms: 0, guestRoomsWithEmail: 0, converted: 0, conversionRate: 0,
              authenticatedRooms: 2 },
          ]);
          return { days, percents: [percent(0.25), percent(1 / 3), percent(null)],
                   durations: [duration(42000), duration(150000), duration(5400000), duration(null)] };
        }"""
    )
    assert result["days"] == [
        {"label": "2026-01-01", "conversations": 5, "guests": 4, "conversions": 1, "rate": 0.25},
        {"label": "2026-01-02", "conversations": 2, "guests": 0, "conversions": 0, "rate": None},
    ]
    assert result["percents"] == ["25 %", "33.3 %", "—"]
    assert result["durations"] == ["42 s", "3 min", "1 h 30 min", "—"]
