"""Bookings that check reality: the item's current loan, the booker's trainings, local times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.bookings import (
    Clash,
    CurrentLoan,
    Facts,
    OnLoan,
    Other,
    Request,
    Untrained,
    explain,
    from_local,
    refusals,
    state,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


def _ask(starts_h: float, hours: float = 4, person: str = "bo") -> Request:
    starts = NOW + timedelta(hours=starts_h)
    return Request("CAM-1", person, starts, starts + timedelta(hours=hours))


def test_a_booking_that_starts_before_the_item_is_due_back_is_refused_and_says_until_when() -> None:
    loan = CurrentLoan("ada", NOW + timedelta(hours=48))
    request = _ask(24)
    [refusal] = refusals(request, Facts(loan=loan), NOW)
    assert refusal == OnLoan(loan, overdue=False)
    # the time is the cage's, not UTC: 09:00 UTC on the 4th is 04:00 in New York
    assert explain(request, refusal, NY) == (
        "CAM-1 is on loan to ada until Wed 04 Mar 2026 04:00 EST, after the booking would start"
    )


def test_a_booking_from_the_due_time_on_is_accepted() -> None:
    loan = CurrentLoan("ada", NOW + timedelta(hours=48))
    assert refusals(_ask(48), Facts(loan=loan), NOW) == []


def test_an_overdue_item_cannot_be_booked_until_it_is_back() -> None:
    loan = CurrentLoan("ada", NOW - timedelta(hours=1))
    request = _ask(24 * 30)  # a month ahead: nobody knows when it will be back
    [refusal] = refusals(request, Facts(loan=loan), NOW)
    assert isinstance(refusal, OnLoan) and refusal.overdue
    assert "overdue with ada" in explain(request, refusal, UTC)


def test_the_holder_may_book_what_they_hold() -> None:
    loan = CurrentLoan("bo", NOW + timedelta(hours=48))
    assert refusals(_ask(1), Facts(loan=loan), NOW) == []


def test_a_missing_training_refuses() -> None:
    request = _ask(1)
    [refusal] = refusals(request, Facts(requires="cinema-1", trainings={}), NOW)
    assert refusal == Untrained("cinema-1", None)
    assert explain(request, refusal, UTC) == "bo does not hold the cinema-1 training CAM-1 needs"


def test_a_certificate_expired_by_the_start_refuses_one_valid_then_does_not() -> None:
    request = _ask(48)
    expired = {"cinema-1": NOW + timedelta(hours=24)}
    [refusal] = refusals(request, Facts(requires="cinema-1", trainings=expired), NOW)
    assert refusal == Untrained("cinema-1", NOW + timedelta(hours=24))
    assert "expires Tue 03 Mar 2026 04:00 EST, before the booking starts" in explain(
        request, refusal, NY
    )
    valid = {"cinema-1": NOW + timedelta(days=365)}
    forever: dict[str, datetime | None] = {"cinema-1": None}
    for held in (valid, forever):
        assert refusals(request, Facts(requires="cinema-1", trainings=held), NOW) == []


def test_every_reason_is_given_at_once() -> None:
    other = Other("eve", NOW + timedelta(hours=2), NOW + timedelta(hours=3))
    facts = Facts(
        others=[other],
        loan=CurrentLoan("ada", NOW + timedelta(hours=5)),
        requires="cinema-1",
        trainings={},
    )
    found = refusals(_ask(1), facts, NOW)
    assert [type(r) for r in found] == [Clash, OnLoan, Untrained]


def test_a_no_show_says_so_and_a_manager_s_cancellation_says_cancelled() -> None:
    assert state(cancelled=True, picked_up=False, released_at=NOW) == "no-show"
    assert state(cancelled=True, picked_up=False, released_at=None) == "cancelled"
    assert state(cancelled=False, picked_up=True, released_at=None) == "picked up"
    assert state(cancelled=False, picked_up=False, released_at=None) == "booked"


def test_a_time_the_clocks_skip_is_refused() -> None:
    # 8 March 2026, 02:30 does not happen in New York
    with pytest.raises(ValueError, match="does not exist in America/New_York"):
        from_local(datetime(2026, 3, 8, 2, 30), NY)
    assert from_local(datetime(2026, 3, 8, 3, 30), NY).utcoffset() == timedelta(hours=-4)


@given(
    st.integers(-100, 100).map(lambda h: NOW + timedelta(hours=h)),
    st.integers(0, 200).map(lambda h: NOW + timedelta(hours=h)),
    st.integers(1, 72),
)
def test_a_loan_to_someone_else_refuses_exactly_the_bookings_starting_before_it_is_back(
    due: datetime, starts: datetime, hours: int
) -> None:
    request = Request("CAM-1", "bo", starts, starts + timedelta(hours=hours))
    refused = any(
        isinstance(r, OnLoan) for r in refusals(request, Facts(loan=CurrentLoan("ada", due)), NOW)
    )
    assert refused == (due <= NOW or starts < due)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_a_local_time_that_exists_comes_back_as_typed(naive: datetime) -> None:
    try:
        at = from_local(naive, NY)
    except ValueError:
        return  # in the hour the clocks skip
    assert at.astimezone(NY).replace(tzinfo=None) == naive
