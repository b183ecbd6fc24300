"""The commit path's shortcuts past SQLAlchemy store and find exactly what SQLAlchemy would.

Rows written straight to the driver (hub.store.writes), lists bound as one parameter
(hub.store.among) and SQLite's one-step datetime text (schema.UtcDateTime) each replace
SQLAlchemy's own handling; a difference would show as a holder, a due time or a lookup that is
silently wrong. Each is compared with SQLAlchemy's own path on real SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, Engine, delete, insert, select
from sqlalchemy.dialects import sqlite

from hub.store import Store
from hub.store import schema as t
from hub.store.among import PerDialect, among, one_of
from hub.store.schema import UtcDateTime
from hub.store.writes import Writes, execute_many

_SQLITE_DATETIME = DateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
_UTC_TEXT = UtcDateTime().bind_processor(sqlite.dialect())
_UTC_READ = UtcDateTime().result_processor(sqlite.dialect(), None)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_sqlite_datetime_text_is_sqlalchemys_and_reads_back_the_same_instant(
    local: datetime, offset_minutes: int
) -> None:
    aware = local.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    assert _UTC_TEXT is not None and _UTC_READ is not None and _SQLITE_DATETIME is not None
    text = _UTC_TEXT(aware)
    assert text == _SQLITE_DATETIME(aware.astimezone(UTC).replace(tzinfo=None))
    back = _UTC_READ(text)
    assert back == aware and back.tzinfo is UTC


def test_a_naive_datetime_is_refused_with_a_clear_error() -> None:
    assert _UTC_TEXT is not None
    with pytest.raises(ValueError, match="naive datetimes are not stored"):
        _UTC_TEXT(datetime(2026, 9, 1, 8))


def test_text_other_writers_leave_reads_as_utc() -> None:
    assert _UTC_READ is not None
    assert _UTC_READ("2026-09-01 08:00:00") == datetime(2026, 9, 1, 8, tzinfo=UTC)
    assert _UTC_READ("2026-09-01 08:00:00.5") == datetime(2026, 9, 1, 8, 0, 0, 500000, tzinfo=UTC)
    assert _UTC_READ("2026-09-01T10:00:00+02:00") == datetime(2026, 9, 1, 8, tzinfo=UTC)


@pytest.fixture
def engine(hub_url: str) -> Iterator[Engine]:
    """An empty hub database (migrated: the real schema)."""
    store = Store.open(hub_url)
    try:
        yield store.engine
    finally:
        store.close()


def _rows(engine: Engine, table: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(table)))


def test_rows_written_straight_to_the_driver_are_what_sqlalchemy_writes(engine: Engine) -> None:
    berlin = timezone(timedelta(hours=2))
    at = datetime(2026, 9, 1, 10, 30, 0, 123456, tzinfo=berlin)
    people = [{"id": f"p{i}", "name": f'Person {i}\'s "name"'} for i in range(3)]
    kit = [{"code": f"A-{i}", "name": f"Camera {i}", "category": "camera"} for i in range(3)]
    # a holding without renewals (its column default), one with; a time zone not UTC
    held = [
        {
            "asset": "A-0",
            "person": "p0",
            "since": at,
            "due": at + timedelta(days=2),
            "kiosk": "cage-1",
            "event_id": "e0",
        },
        {
            "asset": "A-1",
            "person": "p1",
            "since": at.astimezone(UTC),
            "due": at + timedelta(hours=5),
            "kiosk": "cage-1",
            "event_id": "e1",
            "renewals": 2,
        },
    ]
    tables = ((t.people, people), (t.assets, kit), (t.holdings, held))
    stored: dict[str, list[list[tuple[Any, ...]]]] = {}
    for way in ("driver", "sqlalchemy"):
        with engine.begin() as conn:
            for table, rows in tables:
                if way == "driver":
                    assert execute_many(conn, insert(table), rows) == len(rows)
                else:  # row by row: an executemany of SQLAlchemy's takes the first row's keys
                    for row in rows:
                        conn.execute(insert(table), row)
        stored[way] = [_rows(engine, table) for table, _ in tables]
        if way == "driver":
            with engine.connect() as conn:
                got = dict(conn.execute(select(t.holdings.c.asset, t.holdings.c.renewals)).all())
                since = conn.scalar(select(t.holdings.c.since).where(t.holdings.c.asset == "A-0"))
            assert got == {"A-0": 0, "A-1": 2}
            assert since == at and since.tzinfo is UTC
        with engine.begin() as conn:
            for table, _ in reversed(tables):
                conn.execute(delete(table))
    assert stored["driver"] == stored["sqlalchemy"]


def test_writes_keep_the_order_rows_were_given_across_different_columns(engine: Engine) -> None:
    short = engine
    out = Writes()
    statement = insert(t.people)
    out.add(statement, id="a", name="First")
    out.add(statement, id="b", name="Second", staff=True)
    out.add(statement, id="c", name="Third")
    assert len(out) == 3
    with short.begin() as conn:
        out.flush(conn)
    assert len(out) == 0
    with short.connect() as conn:
        staff = dict(conn.execute(select(t.people.c.id, t.people.c.staff)).all())
    assert staff == {"a": False, "b": True, "c": False}


_NAMED = PerDialect(lambda d: select(t.people.c.id).where(among(t.people.c.id, d)))
_ACTIVE_NAMED = PerDialect(
    lambda d: select(t.people.c.id).where(
        among(t.people.c.id, d), one_of(t.people.c.name, ["kept", "other"])
    )
)


def test_a_list_bound_as_one_value_finds_what_in_finds(engine: Engine) -> None:
    short = engine
    # more values than the old chunks held, and ids a careless encoding would mangle
    ids = [f"p{i}" for i in range(2_500)] + ["o'brien", 'quote"d', "ünïcode", "a,b", "[x]"]
    with short.begin() as conn:
        conn.execute(insert(t.people), [{"id": i, "name": "kept"} for i in ids])
    asked = [*ids[::3], "nobody", "p99999"]
    with short.connect() as conn:
        found = set(conn.scalars(_NAMED.on(conn), {"keys": asked}))
        assert _NAMED.on(conn) is _NAMED.on(conn)  # built once per dialect
        assert set(conn.scalars(_NAMED.on(conn), {"keys": []})) == set()
        expected = set(conn.scalars(select(t.people.c.id).where(t.people.c.id.in_(asked))))
        both = set(conn.scalars(_ACTIVE_NAMED.on(conn), {"keys": ["o'brien", "p1", "none"]}))
    assert found == expected == {i for i in ids[::3]}
    assert both == {"o'brien", "p1"}


def test_fixed_names_must_be_names() -> None:
    with pytest.raises(ValueError, match="not names"):
        one_of(t.people.c.id, ["x'); DROP TABLE people; --"])
