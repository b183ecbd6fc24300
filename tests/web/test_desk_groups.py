"""The desk and access groups: a restricted item is refused at the counter as at a kiosk; a
manager's "Lend anyway" is an audited decision, not a breach for "Needs attention"."""

from __future__ import annotations

import pytest

from hub.store import Store
from tests.web.conftest import Clock
from tests.web.test_desk import Desk, desk, desk_app, desk_events, held  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_a_restricted_item_is_refused_at_the_desk_and_an_override_is_no_breach(
    desk: Desk,  # noqa: F811
    store: Store,
    clock: Clock,
) -> None:
    store.set_category_groups("camera", ["FILM101"], clock(), "manager")
    desk.find("04A1B2C3")
    desk.scan("CAM-0001")
    assert "Only for FILM101: you are not in it" in desk.page()
    assert (
        desk.override("CAM-0001", "visiting student, agreed with FILM101's lead").status_code == 303
    )
    assert desk.confirm().status_code == 303
    denied, lent = desk_events(store)
    assert (denied.reason, lent.asset) == ("not_in_group", "CAM-0001")
    assert held(store) == {"CAM-0001": "ada"}
    assert store.attention().anomalies == []
