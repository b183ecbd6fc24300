"""The renewal rule the kiosk's Extend and the portal's Renew share: one loan period more from
the due time, a kit whole or not at all, never once due, past the limit, while paused or into
someone else's booking; and the kiosk decides exactly as the rule does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kiosk.screens import HeldItem
from kiosk.session import BadgeTapped, ExtendLoan, Record, Settings, State, step
from rules.lending import Person
from rules.renewal import Held, renew
from wire import EventType, LoanPeriodSpec, ReplicaPolicy

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ADA = Person("ada", "Ada Lovelace")
POLICY = ReplicaPolicy(
    loans={"camera": LoanPeriodSpec(amount=48), "lens": LoanPeriodSpec(amount=24)},
    max_renewals=1,
)
CAM = Held("CAM-1", "Canon C70", "camera", T0 + timedelta(hours=5))
KIT = Held("KIT-1", "C70 kit", "camera", T0 + timedelta(hours=5), kit="KIT-1")
LENS = Held("LENS-1", "50mm lens", "lens", T0 + timedelta(hours=5), kit="KIT-1")


def test_a_loan_renews_by_its_category_s_period_from_its_due_time() -> None:
    done = renew([CAM], "CAM-1", ADA, T0, POLICY)
    assert done is not None and done.granted
    assert done.due == CAM.due + timedelta(hours=48) and done.codes == ("CAM-1",)


def test_a_kit_renews_whole_at_its_shortest_piece_s_period() -> None:
    done = renew([KIT, LENS, CAM], "LENS-1", ADA, T0, POLICY)
    assert done is not None and done.codes == ("KIT-1", "LENS-1")
    assert done.name == "C70 kit" and done.due == KIT.due + timedelta(hours=24)


def test_refusals_say_why() -> None:
    late = Held("CAM-1", "Canon C70", "camera", T0 - timedelta(minutes=1))
    used = Held("CAM-1", "Canon C70", "camera", T0 + timedelta(hours=1), renewals=1)
    booked = Held(
        "CAM-1", "Canon C70", "camera", T0 + timedelta(hours=5), booked_from=T0 + timedelta(days=1)
    )
    paused = Person("ada", "Ada", blocked_until=T0 + timedelta(days=3))
    cases = [
        ([late], ADA, "Canon C70 cannot be extended: it is overdue"),
        ([used], ADA, "Canon C70 cannot be extended: it was extended already"),
        ([booked], ADA, "Canon C70 cannot be extended: someone has booked it"),
        ([CAM], paused, "Canon C70 cannot be extended while your loans are paused"),
    ]
    for loans, person, text in cases:
        done = renew(loans, "CAM-1", person, T0, POLICY)
        assert done is not None and not done.granted and done.refusal == text
    # a kit is held back by any of its pieces
    stuck = Held("LENS-1", "50mm lens", "lens", T0 + timedelta(hours=5), renewals=1, kit="KIT-1")
    done = renew([KIT, stuck], "KIT-1", ADA, T0, POLICY)
    assert (
        done is not None and done.refusal == "C70 kit cannot be extended: it was extended already"
    )


def test_something_not_held_is_not_renewed() -> None:
    assert renew([CAM], "CAM-2", ADA, T0, POLICY) is None


@given(
    hours=st.integers(min_value=-10, max_value=60),
    renewals=st.integers(min_value=0, max_value=2),
    booked=st.one_of(st.none(), st.integers(min_value=1, max_value=120)),
)
def test_the_kiosk_decides_exactly_as_the_rule(
    hours: int, renewals: int, booked: int | None
) -> None:
    due = T0 + timedelta(hours=hours)
    starts = T0 + timedelta(hours=booked) if booked is not None else None
    held = Held("CAM-1", "Canon C70", "camera", due, renewals, starts)
    loan = HeldItem(
        "CAM-1", "Canon C70", due, category="camera", renewals=renewals, booked_from=starts
    )
    settings = Settings(kiosk_name="Film cage", policy=POLICY)
    state, _ = step(State(), BadgeTapped("04A1B2C3", ADA, (loan,)), T0, settings)
    _, effects = step(state, ExtendLoan("CAM-1"), T0, settings)
    records = [e for e in effects if isinstance(e, Record) and e.type is EventType.EXTEND]
    done = renew([held], "CAM-1", ADA, T0, POLICY)
    assert done is not None
    assert bool(records) == done.granted
    if records:
        assert records[0].due == done.due
