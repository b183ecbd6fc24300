"""Rows gathered per prepared statement and written with one executemany each.

Building and compiling a SQLAlchemy statement costs more than SQLite takes to run it, so the
ingest path never builds one per event: its statements are made once, at import, with bind
parameters, and a commit collects the rows for each and sends them together.

Even a compiled statement costs SQLAlchemy's per-row parameter handling on every row of an
executemany (more CPU than SQLite's own work), so each statement is compiled once per dialect
and set of columns into the driver's SQL, and its rows go to the driver as they are, through
the same type conversions SQLAlchemy would apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Executable
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

_PART = 1000  # rows per executemany: bounded memory for the driver, whatever the batch

_Convert = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Driver:
    """A statement as the driver takes it: its SQL, and per parameter (in the driver's
    order) the row's key, the column default that fills it when the row has none, and the
    type conversion."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    converts: tuple[_Convert, ...]
    positional: bool

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        plan = list(zip(self.names, self.converts, strict=True))
        defaults = self.defaults
        values = [
            [
                (c(row[n] if n in row else defaults[n]) if c else row.get(n, defaults.get(n)))
                for n, c in plan
            ]
            for row in rows
        ]
        if self.positional:
            return [tuple(v) for v in values]
        return [dict(zip(self.names, v, strict=True)) for v in values]


# (statement, dialect, the rows' keys) -> how the driver takes it, or None: through SQLAlchemy
_prepared: dict[tuple[Executable, str, frozenset[str]], _Driver | None] = {}


def _prepare(statement: Executable, dialect: Dialect, keys: frozenset[str]) -> _Driver | None:
    compiled = cast(ClauseElement, statement).compile(dialect=dialect, column_keys=sorted(keys))
    if not isinstance(compiled, SQLCompiler) or compiled.effective_returning:
        return None
    defaults: dict[str, Any] = {}
    for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
        default = column.default if column in compiled.insert_prefetch else column.onupdate
        if default is None or not default.is_scalar:
            return None  # a default computed per row: SQLAlchemy's own path computes it
        defaults[column.key] = default.arg  # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    if set(names) - keys - set(defaults) or compiled.literal_execute_params:
        return None
    if any(compiled.binds[n].expanding for n in names):
        return None
    converts = tuple(compiled.binds[n].type.bind_processor(dialect) for n in names)
    return _Driver(compiled.string, names, defaults, converts, compiled.positional)


class Writes:
    """Rows for prepared statements, written in the order the statements were first given
    rows (so a caller orders dependent writes by adding them in that order)."""

    def __init__(self) -> None:
        self._rows: dict[Executable, list[dict[str, Any]]] = {}

    def add(self, statement: Executable, **row: Any) -> None:
        self._rows.setdefault(statement, []).append(row)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def flush(self, conn: Connection) -> None:
        for statement, rows in self._rows.items():
            execute_many(conn, statement, rows)
        self._rows.clear()


def execute_many(conn: Connection, statement: Executable, rows: Sequence[dict[str, Any]]) -> int:
    """``conn.execute(statement, rows)`` in order and in parts, each run of rows with the same
    keys straight to the driver; returns the rows the statement changed, or -1 if a driver
    did not say."""
    dialect = conn.dialect
    changed = 0
    for keys, same in _runs(rows):
        cache = (statement, dialect.name, keys)
        if cache not in _prepared:
            _prepared[cache] = _prepare(statement, dialect, keys)
        driver = _prepared[cache]
        for i in range(0, len(same), _PART):
            part = same[i : i + _PART]
            if driver is None:
                result = conn.execute(statement, part)
            else:
                result = conn.exec_driver_sql(driver.sql, driver.parameters(part))
            count = result.rowcount
            changed = -1 if changed < 0 or count < 0 else changed + count
    return changed


def _runs(rows: Sequence[dict[str, Any]]) -> list[tuple[frozenset[str], list[dict[str, Any]]]]:
    out: list[tuple[frozenset[str], list[dict[str, Any]]]] = []
    for row in rows:
        keys = frozenset(row)
        if out and out[-1][0] == keys:
            out[-1][1].append(row)
        else:
            out.append((keys, [row]))
    return out
