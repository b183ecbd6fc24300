"""An item's coming days as the portal shows them: local days that follow the clock changes,
a loan still out past its due time taking the days until it comes back, a booking's days, and
the asker's own loans and bookings marked as theirs, never anyone else's named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.portal.availability import day_starts, outlook
from hub.store.borrower import Shelf, Spoken

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday; the clocks go forward on Sunday


def _local(at: datetime) -> str:
    return at.astimezone(LONDON).strftime("%a %H:%M")


def test_days_are_local_midnights_across_a_clock_change() -> None:
    days = day_starts(T0, LONDON, 4)
    assert [d.astimezone(LONDON).strftime("%a %H:%M") for d in days] == [
        "Fri 00:00", "Sat 00:00", "Sun 00:00", "Mon 00:00", "Tue 00:00"
    ]  # fmt: skip
    # Sunday is 23 hours long
    assert days[3].astimezone(UTC) - days[2].astimezone(UTC) == timedelta(hours=23)


def test_out_booked_and_mine_by_day() -> None:
    item = Shelf(
        "CAM-1",
        "Canon C70",
        "camera",
        "out",
        (),
        (
            Spoken(T0, T0 + timedelta(days=1), "out", False),
            Spoken(T0 + timedelta(days=3), T0 + timedelta(days=4), "booked", True),
        ),
    )
    seen = outlook(item, T0, LONDON, _local, 6)
    assert [d.kind for d in seen.days] == ["out", "out", "free", "mine", "mine", "free"]
    assert seen.now == "Out until Sat 10:00"
    assert seen.booked == ("Your booking Mon 11:00 to Tue 11:00",)


def test_an_overdue_loan_keeps_today_taken_and_says_so() -> None:
    late = Shelf("CAM-1", "Canon C70", "camera", "out", (), (Spoken(T0, T0, "out", False),))
    seen = outlook(late, T0 + timedelta(hours=3), LONDON, _local, 2)
    assert seen.now == "Out, overdue"
    assert [d.kind for d in seen.days] == ["out", "free"]
    repair = Shelf("CAM-2", "Sony FX3", "camera", "maintenance", (), ())
    assert {d.kind for d in outlook(repair, T0, LONDON, _local, 3).days} == {"repair"}
