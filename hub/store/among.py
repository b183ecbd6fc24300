"""``column IN (a list)`` with the whole list as one parameter, in statements built once.

``column.in_(values)`` builds a statement for every list, and SQLAlchemy then renders one
placeholder per value on every execution (which SQLite prepares anew for every length of
list): on the ingest path that costs more than the queries themselves. Here the list is one
bound value: a JSON array that SQLite's ``json_each`` reads, an array for PostgreSQL's
``= ANY``. There is no limit on the number of bound parameters to chunk for, and SQLite still
looks each value up in the column's index.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    Connection,
    Executable,
    String,
    TypeDecorator,
    any_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.elements import ColumnElement

S = TypeVar("S", bound=Executable)


class _JsonArray(TypeDecorator[list[Any]]):
    """A list bound as the JSON text of an array."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Iterable[Any] | None, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(list(value))


def among(column: ColumnElement[Any], dialect: str, name: str = "keys") -> ColumnElement[bool]:
    """``column`` is one of the list bound as ``name`` (a list or other iterable)."""
    if dialect == "sqlite":
        values = func.json_each(bindparam(name, type_=_JsonArray())).table_valued("value")
        return column.in_(select(values.c.value))
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


class PerDialect(Generic[S]):
    """A statement made once for each database dialect it runs on (``among`` differs)."""

    def __init__(self, build: Callable[[str], S]) -> None:
        self._build = build
        self._made: dict[str, S] = {}

    def on(self, conn: Connection) -> S:
        name = conn.dialect.name
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = self._build(name)
        return made


def one_of(column: ColumnElement[Any], names: Iterable[str]) -> ColumnElement[bool]:
    """``column`` is one of a fixed set of the code's own names, written into the statement
    (a bound list would be expanded again on every execution)."""
    words = sorted(names)
    if not all(w.isidentifier() for w in words):
        raise ValueError(f"not names: {words!r}")
    return column.in_([literal_column(f"'{w}'") for w in words])
