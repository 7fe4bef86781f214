"""Statements built with SQLAlchemy from the tables and compiled once per driver, for the plans
(``plan.py``) that the drivers run without SQLAlchemy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.engine import Dialect

from chatserver.adapters.sql.plan import Params


@dataclass(frozen=True, slots=True)
class Compiled:
    """One statement for one driver: its SQL text and how its parameters are passed."""

    sql: str
    order: tuple[str, ...] | None  # positional drivers: the parameter names in ``$n`` order
    literals: Mapping[str, Any]  # the statement's own values (``last_seq + 1``'s 1)

    def bind(self, params: dict[str, Any]) -> Params:
        """``params`` (by name) as the driver takes them, with the statement's own values."""
        if self.order is not None:
            literals = self.literals
            return tuple(params[name] if name in params else literals[name] for name in self.order)
        return {**self.literals, **params} if self.literals else params


def driver_dialect(backend: str) -> tuple[Dialect, bool]:
    """The dialect the plans' statements are compiled for on ``backend`` (``sqlite`` or
    ``postgresql``), and whether its driver takes positional parameters (asyncpg does)."""
    if backend == "sqlite":
        return sqlite.dialect(paramstyle="named"), False
    dialect: Any = asyncpg.dialect  # untyped in SQLAlchemy
    return dialect(), True


def compiler(dialect: Dialect, *, positional: bool) -> Callable[[Any], Compiled]:
    """``positional``: the driver takes ``$1``-style arguments in order (asyncpg); otherwise
    named parameters in a mapping (sqlite3)."""

    def one(statement: Any) -> Compiled:
        compiled = statement.compile(dialect=dialect)
        order = tuple(compiled.positiontup or ()) if positional else None
        literals = {name: bind.value for name, bind in compiled.binds.items() if not bind.required and "%(" not in name}
        return Compiled(str(compiled), order, literals)

    return one


def insert_all(table: Table) -> Any:
    """``INSERT`` of every column but an autoincrementing key, each bound by its own name."""
    columns = [c for c in table.c if not (c.primary_key and c.autoincrement is True)]
    return insert(table).values({column.name: bindparam(column.name) for column in columns})
