"""The reports' weekly figures are decided in hub.domain.usage: which weeks a period covers, and
late returns against all returns per week."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.domain.usage import overdue_by_week, report_weeks

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def test_a_period_covers_every_week_it_touches_from_the_monday_before() -> None:
    weeks = report_weeks(datetime(2026, 3, 4, 12, tzinfo=UTC), datetime(2026, 3, 17, tzinfo=UTC))
    assert weeks == [MONDAY, datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)]


def test_an_empty_period_has_no_weeks() -> None:
    assert report_weeks(MONDAY, MONDAY) == []


def test_late_returns_are_counted_against_all_returns_of_their_week() -> None:
    rate = overdue_by_week(MONDAY, late={0: 1, 2: 2}, returned={0: 4, 1: 3, 2: 2})
    assert rate == {
        MONDAY: (1, 4),
        datetime(2026, 3, 9, tzinfo=UTC): (0, 3),
        datetime(2026, 3, 16, tzinfo=UTC): (2, 2),
    }
