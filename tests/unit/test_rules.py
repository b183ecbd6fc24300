"""Due times under opening hours, closed days and daylight-saving changes (pure rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from rules.loans import LoanPeriod, PeriodKind, due_time
from rules.opening import OpeningHours

WEEKDAYS_9_TO_17 = {d: (time(9), time(17)) for d in range(5)}
LONDON = OpeningHours("Europe/London", WEEKDAYS_9_TO_17, frozenset({date(2026, 4, 3)}))


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_always_open_cage_counts_plain_hours() -> None:
    start = utc(2026, 3, 7, 22, 0)  # a Saturday night
    assert due_time(LoanPeriod(PeriodKind.HOURS, 48), start, OpeningHours()) == utc(
        2026, 3, 9, 22, 0
    )


def test_hours_landing_when_closed_move_to_the_next_opening() -> None:
    friday_4pm = utc(2026, 3, 6, 16, 0)  # GMT in early March
    assert due_time(LoanPeriod(PeriodKind.HOURS, 4), friday_4pm, LONDON) == utc(2026, 3, 9, 9, 0)


def test_until_next_opening_across_the_clock_change() -> None:
    # Friday 27 March 2026 (GMT) -> Monday 30 March, 09:00 BST = 08:00 UTC
    friday = utc(2026, 3, 27, 14, 0)
    assert due_time(LoanPeriod(PeriodKind.NEXT_OPENING, 0), friday, LONDON) == utc(
        2026, 3, 30, 8, 0
    )


def test_days_count_open_days_and_skip_holidays() -> None:
    # Thursday 2 April; Friday 3 April is Good Friday (closed), weekend closed:
    # 2 open days later is Tuesday 7 April at 17:00 BST = 16:00 UTC
    thursday = utc(2026, 4, 2, 10, 0)
    assert due_time(LoanPeriod(PeriodKind.DAYS, 2), thursday, LONDON) == utc(2026, 4, 7, 16, 0)


def test_is_open_respects_closed_dates() -> None:
    assert LONDON.is_open(utc(2026, 4, 2, 10, 0))
    assert not LONDON.is_open(utc(2026, 4, 3, 10, 0))
    assert not LONDON.is_open(utc(2026, 4, 4, 10, 0))


def test_a_period_needs_a_positive_amount() -> None:
    with pytest.raises(ValueError, match="positive"):
        LoanPeriod(PeriodKind.DAYS, 0)


def test_weeks_of_checkouts_are_always_due_while_open() -> None:
    start = utc(2026, 3, 1, 0, 0)
    for hour in range(0, 24 * 60, 7):  # every 7 hours for 60 days, across the DST change
        at = start + timedelta(hours=hour)
        for period in (
            LoanPeriod(PeriodKind.HOURS, 5),
            LoanPeriod(PeriodKind.DAYS, 1),
            LoanPeriod(PeriodKind.NEXT_OPENING, 0),
        ):
            due = due_time(period, at, LONDON)
            assert due > at
            local = due.astimezone(LONDON.zone)
            assert local.weekday() < 5 and local.date() not in LONDON.closed
            assert time(9) <= local.time() <= time(17)


def test_a_loan_of_thirty_minutes_is_due_thirty_minutes_later_or_at_the_next_opening() -> None:
    half_hour = LoanPeriod(PeriodKind.MINUTES, 30)
    tuesday = utc(2026, 3, 3, 10, 0)
    assert due_time(half_hour, tuesday, LONDON) == utc(2026, 3, 3, 10, 30)
    # taken at 16:45 on a Friday: the cage is shut at 17:15, so it is due when it opens Monday
    assert due_time(half_hour, utc(2026, 3, 6, 16, 45), LONDON) == utc(2026, 3, 9, 9, 0)
    with pytest.raises(ValueError, match="positive"):
        LoanPeriod(PeriodKind.MINUTES, 0)
