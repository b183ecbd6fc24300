"""The hub's pure rules: alert stages, strikes, preventive service, book value, lifecycle."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain import lifecycle
from hub.domain.service import ServiceRule, service_due
from hub.domain.strikes import StrikeRules, ban_until, minutes_late, strikes_in_term
from hub.domain.sweeper import AlertRules, OpenLoan, Stage, sweep
from hub.domain.usage import Move, loan_spans, utilization
from hub.domain.valuation import Depreciation, Method, book_value, value_cents

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = AlertRules(
    due_soon=timedelta(hours=2), escalate_after=timedelta(hours=24), lost_after=timedelta(days=7)
)


def _loan(due: datetime, loan: str = "ev-1") -> OpenLoan:
    return OpenLoan("CAM-1", "ada", loan, due)


def test_each_stage_is_raised_once_as_time_passes() -> None:
    loan = _loan(T0 + timedelta(hours=10))
    open_ids: set[str] = set()
    seen: list[Stage] = []
    t = T0
    while t < T0 + timedelta(days=10):  # every 15 minutes for ten days
        result = sweep([loan], open_ids, t, RULES)
        seen += [r.stage for r in result.raise_]
        open_ids |= {r.id for r in result.raise_}
        assert result.withdraw == []
        t += timedelta(minutes=15)
    assert seen == [Stage.DUE_SOON, Stage.OVERDUE, Stage.ESCALATED, Stage.LOST]


def test_a_returned_item_withdraws_its_alerts() -> None:
    loan = _loan(T0)
    first = sweep([loan], [], T0 + timedelta(hours=1), RULES)
    ids = [r.id for r in first.raise_]
    assert [r.stage for r in first.raise_] == [Stage.OVERDUE]
    after = sweep([], ids, T0 + timedelta(hours=2), RULES)
    assert after.raise_ == [] and after.withdraw == ids


def test_an_extension_withdraws_the_old_stage_and_starts_afresh() -> None:
    before = sweep([_loan(T0)], [], T0 + timedelta(hours=1), RULES)
    opened = [r.id for r in before.raise_]
    extended = _loan(T0 + timedelta(days=1))
    after = sweep([extended], opened, T0 + timedelta(hours=1), RULES)
    assert after.withdraw == opened and after.raise_ == []


def test_a_hub_that_was_down_sends_the_current_stage_not_the_history() -> None:
    result = sweep([_loan(T0)], [], T0 + timedelta(days=9), RULES)
    assert {r.stage for r in result.raise_} == {Stage.OVERDUE, Stage.LOST}


def test_alert_rules_must_escalate_before_lost() -> None:
    with pytest.raises(ValueError, match="escalation"):
        AlertRules(escalate_after=timedelta(days=9), lost_after=timedelta(days=7))


def test_late_returns_earn_strikes_and_a_ban() -> None:
    rules = StrikeRules(grace=timedelta(minutes=15), limit=3, term=timedelta(days=120))
    assert minutes_late(T0, T0 + timedelta(minutes=10), rules) is None
    assert minutes_late(T0, T0 + timedelta(hours=2), rules) == 120
    late = [T0, T0 + timedelta(days=30)]
    assert ban_until(late, T0 + timedelta(days=30), rules) is None
    third = T0 + timedelta(days=60)
    assert ban_until([*late, third], third, rules) == third + timedelta(days=14)
    # strikes leave the rolling term, and the ban ends
    assert strikes_in_term([*late, third], T0 + timedelta(days=125), rules) == 2
    assert ban_until([*late, third], third + timedelta(days=15), rules) is None
    assert ban_until([*late, third], third, StrikeRules(limit=None)) is None


def test_service_is_due_by_checkouts_or_days() -> None:
    rule = ServiceRule(every_days=90, every_checkouts=20)
    assert service_due(rule, T0, 19, T0 + timedelta(days=10)) is None
    assert "20 checkouts" in (service_due(rule, T0, 20, T0) or "")
    assert "90 days ago" in (service_due(rule, T0, 0, T0 + timedelta(days=90)) or "")
    assert service_due(ServiceRule(), T0, 1000, T0 + timedelta(days=1000)) is None


@pytest.mark.parametrize(
    ("method", "on", "value"),
    [
        (Method.STRAIGHT_LINE, date(2024, 1, 1), "1000.00"),
        (Method.STRAIGHT_LINE, date(2025, 12, 31), "640.25"),
        (Method.STRAIGHT_LINE, date(2040, 1, 1), "100.00"),
        (Method.DECLINING_BALANCE, date(2026, 1, 1), "359.80"),
        (Method.DECLINING_BALANCE, date(2040, 1, 1), "100.00"),
    ],
)
def test_book_value(method: Method, on: date, value: str) -> None:
    rule = Depreciation(method, life_years=5, salvage_pct=10)
    assert book_value(Decimal("1000"), date(2024, 1, 1), on, rule) == Decimal(value)


def test_book_value_never_rises_and_never_falls_below_salvage() -> None:
    rule = Depreciation(Method.DECLINING_BALANCE, life_years=4, salvage_pct=5)
    values = [
        book_value(Decimal("2500"), date(2020, 1, 1), date(2020, 1, 1) + timedelta(days=d), rule)
        for d in range(0, 365 * 6, 7)
    ]
    assert values == sorted(values, reverse=True)
    assert min(values) == Decimal("125.00")


@settings(max_examples=500, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**11),
    st.integers(min_value=-400, max_value=40 * 366),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=0, max_value=99),
)
def test_straight_line_is_the_exact_value_rounded_once(
    cost: int, days: int, life: int, salvage_pct: int
) -> None:
    """Rounded from the exact fraction, never from a 28-digit approximation of it, so a
    total summed by the database equals the values listed one by one."""
    rule = Depreciation(Method.STRAIGHT_LINE, life, salvage_pct)
    salvage = math.floor(Fraction(cost * salvage_pct, 100) + Fraction(1, 2))
    years = min(max(Fraction(days * 4, 1461), Fraction(0)), Fraction(life))
    exact = cost - (cost - salvage) * years / life
    assert value_cents(cost, days, rule) == math.floor(exact + Fraction(1, 2))


@pytest.mark.parametrize("life", [1, 2])
def test_declining_balance_over_a_life_of_one_or_two_years(life: int) -> None:
    """At two years the doubled rate is 100 %: the first year used to fail as 0 ** 0."""
    rule = Depreciation(Method.DECLINING_BALANCE, life_years=life, salvage_pct=10)
    start = date(2024, 1, 1)
    values = [
        book_value(Decimal("1000"), start, start + timedelta(days=d), rule)
        for d in range(0, 365 * 3, 30)
    ]
    assert values[0] == Decimal("1000.00")
    assert values == sorted(values, reverse=True)
    assert min(values) == Decimal("100.00")


def test_lifecycle_moves() -> None:
    assert lifecycle.move("available", lifecycle.Action.RETIRE) is lifecycle.Status.RETIRED
    assert lifecycle.move("retired", lifecycle.Action.DISPOSE) is lifecycle.Status.DISPOSED
    with pytest.raises(lifecycle.LifecycleError, match="returned first"):
        lifecycle.move("out", lifecycle.Action.RETIRE)
    with pytest.raises(lifecycle.LifecycleError, match="only a retired"):
        lifecycle.move("available", lifecycle.Action.DISPOSE)


def test_utilization_per_week() -> None:
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    moves = [
        Move("CAM-1", "camera", "checkout", monday + timedelta(hours=10)),
        Move("CAM-1", "camera", "return", monday + timedelta(hours=10 + 84)),
        Move("CAM-2", "camera", "checkout", monday + timedelta(days=13)),  # still out
    ]
    end = monday + timedelta(days=14)
    loans = loan_spans(moves, monday, end)
    use = utilization(loans.spans, {"camera": 2, "audio": 1}, monday, end)
    first, second = use["camera"][monday], use["camera"][monday + timedelta(days=7)]
    assert first == pytest.approx(84 / (2 * 168))
    assert second == pytest.approx(24 / (2 * 168))
    assert set(use["audio"].values()) == {0.0}


def test_only_real_loans_count_toward_utilization() -> None:
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    end = monday + timedelta(days=7)
    moves = [
        Move("CAM-1", "camera", "checkout", monday + timedelta(hours=10)),
        Move("CAM-1", "camera", "return", monday + timedelta(hours=11)),
        Move("CAM-1", "camera", "return", monday + timedelta(hours=12)),  # the door station too
        Move("CAM-2", "camera", "return", monday + timedelta(hours=5)),  # nobody had it
        Move("LENS-1", "lens", "return", monday + timedelta(hours=24)),  # lent last week
    ]
    loans = loan_spans(moves, monday, end, held_at_start={"LENS-1": "lens", "MIC-1": "audio"})
    assert sorted((c, (b - a).total_seconds() / 3600) for c, a, b in loans.spans) == [
        ("audio", 168.0),  # out all week with nothing happening
        ("camera", 1.0),
        ("lens", 24.0),
    ]
    assert len(loans.returns) == 2  # the stray and repeated returns ended nothing
