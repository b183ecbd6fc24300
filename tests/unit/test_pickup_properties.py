"""When an item someone else reserved is free again, for any bookings (hypothesis): the time
the kiosk gives is one when nobody else has it, and not a moment later than that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rules.lending import Booking
from rules.pickup import free_again

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
_BOOKINGS = st.lists(
    st.builds(
        lambda person, start, hours: Booking(
            person,
            NOW + timedelta(minutes=30 * start),
            NOW + timedelta(minutes=30 * (start + hours)),
        ),
        st.sampled_from(["ada", "bo", "grace"]),
        st.integers(-8, 24),
        st.integers(1, 8),
    ),
    max_size=8,
)


def _others_at(bookings: list[Booking], at: datetime) -> list[Booking]:
    return [b for b in bookings if b.person != "ada" and b.starts <= at < b.ends]


@given(_BOOKINGS)
def test_free_again_is_the_first_free_moment_after_others_bookings(
    bookings: list[Booking],
) -> None:
    free = free_again(bookings, "ada", NOW)
    live = [b for b in bookings if b.person != "ada" and b.ends > NOW]
    if not live:
        assert free is None
        return
    assert free is not None and free > NOW
    assert not _others_at(bookings, free)  # nobody else has it then
    first = min(live, key=lambda b: b.starts)
    assert free >= first.ends
    # and it is the first such moment: from the first booking on, someone else has it throughout
    t = max(first.starts, NOW)
    while t < free:
        assert _others_at(bookings, t), f"free at {t}, before {free}"
        t += timedelta(minutes=30)


@given(_BOOKINGS)
def test_the_bookers_own_bookings_never_change_it(bookings: list[Booking]) -> None:
    others = [b for b in bookings if b.person != "ada"]
    assert free_again(bookings, "ada", NOW) == free_again(others, "ada", NOW)
