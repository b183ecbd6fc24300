"""Rows gathered per prepared statement and written with one executemany each.

Building and compiling a SQLAlchemy statement costs more than SQLite takes to run it, so the
ingest path never builds one per event: its statements are made once, at import, with bind
parameters, and a commit collects the rows for each and sends them together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Executable

_PART = 1000  # rows per executemany: bounded memory for the driver, whatever the batch


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
            for i in range(0, len(rows), _PART):
                conn.execute(statement, rows[i : i + _PART])
        self._rows.clear()
