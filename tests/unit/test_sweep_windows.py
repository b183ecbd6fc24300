"""Which due times a later sweeper pass must look at: pure, no store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.domain.sweeper import AlertRules, OpenLoan, boundary_windows, stages

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = AlertRules(
    due_soon=timedelta(hours=2), escalate_after=timedelta(hours=24), lost_after=timedelta(days=7)
)


def _inside(due: datetime, windows: list[tuple[datetime, datetime]]) -> bool:
    return any(lo <= due <= hi for lo, hi in windows)


def test_a_loan_whose_stage_changed_between_two_passes_is_in_a_window() -> None:
    last, now = T0, T0 + timedelta(minutes=5)
    windows = boundary_windows(last, now, RULES)
    assert len(windows) == 4  # due soon, overdue, escalated, lost: apart at this gap
    for minutes in range(-60 * 24 * 8, 60 * 4):
        due = T0 + timedelta(minutes=minutes)
        loan = OpenLoan("CAM-1", "ada", "ev-1", due)
        changed = stages(loan, last, RULES) != stages(loan, now, RULES)
        assert not changed or _inside(due, windows), due


def test_a_long_gap_reads_each_loan_once_and_a_clock_gone_back_reads_none() -> None:
    windows = boundary_windows(T0, T0 + timedelta(days=30), RULES)
    assert windows == [(T0 - RULES.lost_after, T0 + timedelta(days=30) + RULES.due_soon)]
    assert boundary_windows(T0, T0 - timedelta(minutes=1), RULES) == []
