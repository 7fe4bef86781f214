"""Plans: a unit of work on the database written once as a generator of statements, without I/O.

A plan yields each ``Step`` (a statement's SQL, its parameters bound for the driver, whether its
row is wanted) and is sent the driver's row back (``None`` when the statement returned none or
none was wanted); what it returns is the operation's result. SQLite's writer thread
(``sqlite_writer.py``) runs plans with ``conn.execute(...).fetchone()`` inside its group-committed
transactions, PostgreSQL's writer task (``pg_writer.py``) with asyncpg, several plans' same
statement in one pipelined call.
The drivers keep only what is theirs: transactions, savepoints and group commit, pools, the
translation of their errors into ``StoreError``.

Why: on the paths every message and every connection take, SQLAlchemy's per-execution work and
aiosqlite's thread hops cost more than the database itself. The statements are still built with
SQLAlchemy from the tables (compiled once per driver), so they cannot drift from the schema.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, NamedTuple, Protocol, TypeVar

T = TypeVar("T")

Params = tuple[Any, ...] | dict[str, Any]


class Step(NamedTuple):
    """One statement for the driver to run in the plan's transaction."""

    sql: str
    params: Params
    fetch: bool  # send the (first) row back; otherwise the plan is sent ``None``
    outbox: bool = False  # it writes a webhook event: wake the worker once the transaction committed
    many: bool = False  # with ``fetch``: send back the list of every row
    # the row this step changes and another job's plan may change too (the append's room): the
    # PostgreSQL writer runs plans side by side, one pipelined call per statement, only while
    # their first steps' keys differ; a plan without one runs alone (``pg_lockstep.py``). A keyed
    # ``fetch`` step returns at most that one row.
    key: str | None = None


Plan = Generator[Step, Any, T]
MakePlan = Callable[[], Plan[T]]


class Refused(Exception):
    """The plan refused to go on (a domain rule said no); ``cause`` is what the caller raises.
    The driver rolls back what the plan wrote."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class Conflict(Exception):
    """The plan found its target changed under it (like a unique index refusing the row): the
    driver rolls back and runs the operation's ``on_conflict`` plan instead."""


def always(_result: object) -> bool:
    """``changed`` for a plan that always writes: a failed commit leaves it uncertain."""
    return True


def never(_result: object) -> bool:
    """``changed`` for a read: a failed commit lost nothing."""
    return False


class PlanRunner(Protocol):
    """A driver that runs plans: SQLite's writer thread, asyncpg's pool."""

    async def run(
        self,
        plan: MakePlan[T],
        *,
        on_conflict: MakePlan[T | None] | None = None,
        changed: Callable[[T], bool] = ...,
        fixes_order: bool = ...,
    ) -> T:
        """What ``plan`` returned, once its transaction committed. ``fixes_order``: once the job
        is queued, tell the request's transport (``ports/ordering.py``).

        Raises ``Refused`` (the plan said no), ``StoreError`` (the database failed, or a conflict
        that ``on_conflict`` did not resolve; ``uncertain`` when the commit failed after
        ``changed(result)``)."""
        ...

    async def close(self) -> None: ...
