"""Book values of the registry: listed asset by asset, or totalled for the reports page.

The total at a hundred thousand assets must not cost a Python pass over every one of them.
Straight-line values are exact integer arithmetic on cents (``hub.domain.valuation``), which
the database can do as well: it sums those, and only categories on declining balance (whose
powers need decimals) are valued here row by row. A property test holds the two to the same
result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from hub.domain.lifecycle import Status
from hub.domain.valuation import DAYS_PER_YEAR, Depreciation, Method, value_cents
from hub.store.schema import assets, categories


@dataclass(frozen=True)
class Valued:
    code: str
    name: str
    category: str
    acquired: date | None
    cost: Decimal | None
    value: Decimal | None  # book value on the day asked; None without cost and date


@dataclass(frozen=True)
class ValuationTotals:
    counted: int  # assets not disposed of
    valued: int  # of those, with a cost and a date
    cost: Decimal
    book_value: Decimal


_CENTS = cast(func.round(assets.c.cost * 100), BigInteger)
_METHOD = func.coalesce(categories.c.depreciation, Method.STRAIGHT_LINE.value)
_LIFE = func.coalesce(categories.c.life_years, Depreciation.life_years)
_SALVAGE = func.coalesce(categories.c.salvage_pct, Depreciation.salvage_pct)
_HELD = assets.outerjoin(categories, categories.c.name == assets.c.category)


def _owned(on: date) -> ColumnElement[bool]:
    """Not disposed of, and acquired by ``on`` (or on a date not recorded)."""
    return and_(
        assets.c.status != Status.DISPOSED.value,
        or_(assets.c.acquired.is_(None), assets.c.acquired <= on),
    )


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


def _valued(conn: Connection, on: date, q: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``q`` (its last columns acquired, cents, method, life, salvage) with those
    replaced by ``acquired, cents, value in cents``; a rule is made once per category."""
    rules: dict[tuple[Any, Any, Any], Depreciation] = {}
    for *head, acquired, cost, method, life, salvage in conn.execute(q):
        if cost is None or acquired is None:
            yield (*head, acquired, cost, None)
            continue
        rule = rules.get((method, life, salvage))
        if rule is None:
            rule = rules[method, life, salvage] = Depreciation(Method(method), life, salvage)
        yield (*head, acquired, cost, value_cents(cost, (on - acquired).days, rule))


def listed(conn: Connection, on: date) -> list[Valued]:
    """Every asset owned on ``on`` and not disposed of, by category and code, with its book
    value that day."""
    q = (
        select(
            assets.c.category,
            assets.c.code,
            assets.c.name,
            assets.c.acquired,
            _CENTS,
            _METHOD,
            _LIFE,
            _SALVAGE,
        )
        .select_from(_HELD)
        .where(_owned(on))
        .order_by(assets.c.category, assets.c.code)
    )
    return [
        Valued(code, name, category, acquired, _money(cost), _money(value))
        for category, code, name, acquired, cost, value in _valued(conn, on, q)
    ]


def _days(on: date, dialect: str) -> ColumnElement[int]:
    """Whole days from acquisition to ``on``: SQLite keeps dates as ISO text."""
    if dialect == "sqlite":
        return cast(func.julianday(on.isoformat()) - func.julianday(assets.c.acquired), Integer)
    return type_coerce(cast(on, Date) - assets.c.acquired, Integer)


def _half_up(num: ColumnElement[int], den: ColumnElement[int] | int) -> ColumnElement[int]:
    """As ``hub.domain.valuation``'s: ``num`` is never negative here."""
    twice: ColumnElement[int] = num * 2 + den
    return twice // (den * 2)


def _within(value: ColumnElement[int], high: ColumnElement[int], dialect: str) -> Any:
    """``value`` clamped to ``0..high``, written once (a CASE would repeat it)."""
    if dialect == "sqlite":
        return func.max(0, func.min(value, high))  # SQLite's scalar forms, given two arguments
    return func.greatest(0, func.least(value, high))


def _straight_line(on: date, dialect: str) -> ColumnElement[int]:
    """``value_cents`` of a straight-line rule, as a column. It cannot fall below salvage once
    the days used are clamped to the life, so the floor needs no test here."""
    life = _LIFE * DAYS_PER_YEAR.numerator
    used = _within(_days(on, dialect) * DAYS_PER_YEAR.denominator, life, dialect)
    salvage = _half_up(_CENTS * _SALVAGE, 100)
    return _half_up(_CENTS * life - (_CENTS - salvage) * used, life)


def totals(conn: Connection, on: date) -> ValuationTotals:
    """The count, cost and book value on ``on`` of everything owned then and not disposed of."""
    dialect = conn.dialect.name
    method = _METHOD
    straight = and_(
        method == Method.STRAIGHT_LINE.value,
        _CENTS.is_not(None),
        assets.c.acquired.is_not(None),
    )
    counted, cost, valued, value = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(_CENTS), 0),
            func.count(case((straight, 1))),
            func.coalesce(func.sum(case((straight, _straight_line(on, dialect)))), 0),
        )
        .select_from(_HELD)
        .where(_owned(on))
    ).one()
    declining = select(categories.c.name).where(method == Method.DECLINING_BALANCE.value)
    if conn.execute(declining.limit(1)).first() is not None:
        others = (
            select(assets.c.acquired, _CENTS, _METHOD, _LIFE, _SALVAGE)
            .select_from(_HELD)
            .where(_owned(on), assets.c.category.in_(declining))
        )
        for _acquired, _cents, worth in _valued(conn, on, others):
            if worth is not None:
                valued += 1
                value += worth
    return ValuationTotals(
        counted, valued, Decimal(int(cost)).scaleb(-2), Decimal(int(value)).scaleb(-2)
    )
