"""A borrower's own reservation: each refusal the borrower can meet, and what it says."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.domain import bookings as booking_rules
from hub.domain import reminders
from hub.domain import reservations as r
from rules.opening import OpeningHours

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday; London is on UTC until the 29th
HOURS = OpeningHours("Europe/London", {d: (time(9), time(17)) for d in range(5)})
POLICY = r.Policy(r.ReservationRules(live=2), HOURS, max_items=3)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _refused(
    starts: datetime, ends: datetime, who: r.Borrower | None = None, items: int = 1
) -> list[str]:
    found = r.refusals(r.Window(starts, ends, items), who or r.Borrower(), POLICY, NOW)
    return [r.explain(x, LONDON) for x in found]


def test_a_window_inside_opening_hours_within_the_limits_is_allowed() -> None:
    assert _refused(_at(3, 10), _at(4, 17)) == []  # ends exactly at closing time


def test_a_window_must_start_and_end_while_the_cage_is_open() -> None:
    assert _refused(_at(7, 10), _at(9, 12)) == [  # starts on a Saturday
        "the cage is closed at Sat 07 Mar 2026 10:00 GMT: start while it is open"
    ]
    assert _refused(_at(3, 10), _at(3, 18)) == [
        "the cage is closed at Tue 03 Mar 2026 18:00 GMT: end while it is open"
    ]
    assert _refused(_at(3, 8), _at(3, 9)) == [  # the end at opening time is not inside
        "the cage is closed at Tue 03 Mar 2026 08:00 GMT: start while it is open",
        "the cage is closed at Tue 03 Mar 2026 09:00 GMT: end while it is open",
    ]


def test_too_long_too_far_ahead_and_already_begun_are_refused() -> None:
    assert _refused(_at(3, 10), _at(6, 16)) == ["a reservation may last at most 3 days"]
    assert _refused(_at(23, 10), _at(23, 12)) == ["a reservation may start at most 14 days ahead"]
    begun = r.Window(_at(2, 9, 0), _at(2, 12), 1)
    late = r.refusals(begun, r.Borrower(), POLICY, NOW + timedelta(minutes=1))
    assert [r.explain(x, LONDON) for x in late] == [
        "that window began more than 30 minutes ago: choose a later start"
    ]
    assert _refused(_at(2, 9, 0), _at(2, 12)) == []  # 30 minutes ago: within the pickup grace


def test_a_blocked_borrower_and_one_with_overdue_items_are_refused() -> None:
    blocked = r.Borrower(blocked_until=_at(16, 0), blocked_reason="3 late returns")
    assert _refused(_at(3, 10), _at(3, 12), blocked) == [
        "you are blocked from borrowing until Mon 16 Mar 2026 00:00 GMT (3 late returns)"
    ]
    forever = r.Borrower(blocked_until=datetime(9999, 1, 1, tzinfo=UTC))
    assert _refused(_at(3, 10), _at(3, 12), forever) == [
        "you are blocked from borrowing until staff lift the block"
    ]
    assert _refused(_at(3, 10), _at(3, 12), r.Borrower(blocked_until=_at(1, 0))) == []
    assert _refused(_at(3, 10), _at(3, 12), r.Borrower(overdue=2)) == [
        "bring back your overdue items first"
    ]


def test_the_item_limit_counts_what_is_held_and_what_the_window_takes() -> None:
    assert _refused(_at(3, 10), _at(3, 12), r.Borrower(held=1), items=2) == []
    assert _refused(_at(3, 10), _at(3, 12), r.Borrower(held=1), items=3) == [
        "with what you hold now this would pass the limit of 3 items"
    ]


def test_live_reservations_are_capped() -> None:
    assert _refused(_at(3, 10), _at(3, 12), r.Borrower(live=1)) == []
    assert _refused(_at(3, 10), _at(3, 12), r.Borrower(live=2)) == [
        "you already have 2 live reservations: the most allowed"
    ]


def test_item_refusals_never_name_who_else_booked_or_holds_it() -> None:
    request = booking_rules.Request("CAM-0001", "ada", _at(3, 10), _at(3, 12))
    clash = booking_rules.Clash(booking_rules.Other("eve", _at(3, 9), _at(3, 11)))
    loan = booking_rules.OnLoan(booking_rules.CurrentLoan("eve", _at(4, 9)), overdue=False)
    late = booking_rules.OnLoan(booking_rules.CurrentLoan("eve", _at(1, 9)), overdue=True)
    texts = [r.explain_item(request, x, LONDON) for x in (clash, loan, late)]
    assert texts == [
        "CAM-0001 is reserved from Tue 03 Mar 2026 09:00 GMT to Tue 03 Mar 2026 11:00 GMT",
        "CAM-0001 is on loan until Wed 04 Mar 2026 09:00 GMT, after your window starts",
        "CAM-0001 is overdue with its borrower: nobody knows when it will be back",
    ]
    assert not any("eve" in t for t in texts)
    untrained = booking_rules.Untrained("cinema-1", None)
    assert r.explain_item(request, untrained, LONDON) == (
        "CAM-0001 needs the cinema-1 training, which you do not hold"
    )


def test_the_creation_rate_says_when_one_more_may_be_made() -> None:
    rules = r.ReservationRules(per_window=2, window=timedelta(hours=1))
    made = [NOW - timedelta(minutes=50), NOW - timedelta(minutes=20)]
    assert r.retry_after(made[:1], rules, NOW) is None
    assert r.retry_after(made, rules, NOW) == timedelta(minutes=10)
    assert r.retry_after([NOW - timedelta(minutes=70), *made[1:]], rules, NOW) is None


def test_a_pickup_reminder_is_raised_once_within_its_lead() -> None:
    lead = timedelta(hours=1)
    soon = reminders.Pickup(1, "ada", NOW + timedelta(minutes=40))
    later = reminders.Pickup(2, "ada", NOW + timedelta(hours=3))
    begun = reminders.Pickup(3, "ada", NOW - timedelta(minutes=1))
    due = reminders.due([later, soon, begun], set(), NOW, lead)
    assert due == [(reminders.reminder_id(soon), soon)]
    assert reminders.due([soon], {reminders.reminder_id(soon)}, NOW, lead) == []
    moved = reminders.Pickup(1, "ada", NOW + timedelta(minutes=50))  # rebooked: a fresh one
    assert reminders.due([moved], {reminders.reminder_id(soon)}, NOW, lead) == [
        (reminders.reminder_id(moved), moved)
    ]
