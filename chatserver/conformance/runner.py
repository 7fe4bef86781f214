"""Running the cases one after another and reporting one line each, then a tally."""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from chatserver.client.errors import ClientError
from chatserver.client.transport import TransportError
from chatserver.conformance import cases_cluster, cases_envelope, cases_handshake, cases_messaging, cases_rest
from chatserver.conformance.case import Case, CaseFailed, Need
from chatserver.conformance.context import Context, SuiteConfig
from chatserver.conformance.tokens import TokenError
from chatserver.protocol import PROTOCOL_VERSION


class Outcome(enum.StrEnum):
    OK = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True, slots=True)
class Result:
    case: Case
    outcome: Outcome
    reason: str = ""
    ms: int = 0

    def line(self) -> str:
        text = f"{self.outcome.value} {self.case.name:<40} {self.case.section}"
        if self.outcome is not Outcome.SKIP:
            text += f" ({self.ms} ms)"
        if self.reason:
            text += f" — {self.reason}"
        return text


def all_cases() -> tuple[Case, ...]:
    return cases_handshake.CASES + cases_envelope.CASES + cases_messaging.CASES + cases_rest.CASES + cases_cluster.CASES


def missing(case: Case, config: SuiteConfig) -> list[Need]:
    have = set()
    if config.tokens.can_sign:
        have.add(Need.SIGNING_KEY)
    if len(config.urls) >= 2:
        have.add(Need.TWO_URLS)
    if config.cluster:
        have.add(Need.CLUSTER)
    if len(config.businesses) > config.limits.max_rooms_per_session:
        have.add(Need.MANY_BUSINESSES)
    return sorted(case.needs - have)


def selected(config: SuiteConfig) -> list[Case]:
    cases = all_cases()
    if config.only:
        cases = tuple(c for c in cases if any(c.name.startswith(prefix) for prefix in config.only))
    return [c for c in cases if not unselected(c, config)]


def unselected(case: Case, config: SuiteConfig) -> bool:
    """Cases for another deployment are not part of this run at all (unlike a SKIP, which is a
    case of this deployment that could not run with the inputs given)."""
    return (Need.TWO_URLS in case.needs and len(config.urls) < 2) or (Need.CLUSTER in case.needs and not config.cluster)


async def run_case(case: Case, config: SuiteConfig) -> Result:
    lacking = missing(case, config)
    if lacking:
        return Result(case, Outcome.SKIP, "needs " + ", ".join(n.value for n in lacking))
    ctx = Context(config)
    started = time.monotonic()
    try:
        await asyncio.wait_for(case.run(ctx), config.timeout * 12)
    except CaseFailed as exc:
        return Result(case, Outcome.FAIL, str(exc), _ms(started))
    except TimeoutError as exc:
        return Result(case, Outcome.FAIL, f"timed out: {exc}" if str(exc) else "timed out", _ms(started))
    except (ClientError, TransportError, TokenError, OSError) as exc:
        return Result(case, Outcome.FAIL, f"{type(exc).__name__}: {exc}", _ms(started))
    except (KeyError, TypeError, ValueError, IndexError) as exc:  # a reply without the documented shape
        return Result(case, Outcome.FAIL, f"malformed reply ({type(exc).__name__}: {exc})", _ms(started))
    finally:
        await ctx.close_all()
    return Result(case, Outcome.OK, "", _ms(started))


async def run_suite(config: SuiteConfig, *, out: Callable[[str], None] = print) -> list[Result]:
    instances = len(config.urls)
    mode = f"{instances} instance{'s' if instances > 1 else ''}" + (", cluster" if config.cluster else "")
    out(f"chatserver conformance — protocol {PROTOCOL_VERSION} — {', '.join(config.urls)} ({mode})")
    out("not checked: error codes unavailable and internal (a client cannot provoke a storage fault)")
    left_out = [c for c in all_cases() if unselected(c, config)]
    if left_out:
        needing = sorted({n.value for c in left_out for n in missing(c, config) if n in (Need.TWO_URLS, Need.CLUSTER)})
        out(f"not selected for this deployment: {len(left_out)} cases needing {' and '.join(needing)} (see --list)")
    results = []
    for case in selected(config):
        result = await run_case(case, config)
        out(result.line())
        results.append(result)
    out(tally(results))
    return results


def tally(results: list[Result]) -> str:
    counts = {outcome: sum(1 for r in results if r.outcome is outcome) for outcome in Outcome}
    verdict = "CONFORMS" if exit_code(results) == 0 else "DOES NOT CONFORM" if counts[Outcome.FAIL] else "INCOMPLETE"
    return (
        f"{counts[Outcome.OK]} passed, {counts[Outcome.FAIL]} failed, {counts[Outcome.SKIP]} skipped "
        f"of {len(results)} cases: {verdict}"
    )


def exit_code(results: list[Result]) -> int:
    """0: every case ran and passed; 1: a case failed; 3: none failed but some could not run."""
    if any(r.outcome is Outcome.FAIL for r in results):
        return 1
    if any(r.outcome is Outcome.SKIP for r in results) or not results:
        return 3
    return 0


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
