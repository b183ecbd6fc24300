"""Two hub processes on one PostgreSQL database, each with its dashboard's desk: the desk is
registered once, its events are numbered from one counter (no number used twice), and what one
desk lent the other sees as out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.desk.source import DESK_ID
from hub.store import Store
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.web.conftest import PASSWORD, Clock
from tests.web.served import client_of
from tests.web.test_desk import Desk, desk_events, held

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def two_desks(pg_stores: tuple[Store, Store], clock: Clock) -> Iterator[tuple[Desk, Desk, Store]]:
    first = pg_stores[0]
    first.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    first.add_person("eve", "Eve Example", ["0EEEEEEE"])
    for code in ("CAM-0001", "CAM-0002", "CAM-0003"):
        first.add_asset(code, code, "camera")
    create_user(first, "manager", PASSWORD, "manager", clock())
    desks = []
    for s in pg_stores:
        app = create_app(s, WebSettings(secret_key="k" * 40), clock)
        desks.append(Desk(client_of(app, "manager", PASSWORD)))
    yield desks[0], desks[1], first


def test_two_hubs_desks_share_one_source_and_one_numbering(
    two_desks: tuple[Desk, Desk, Store],
) -> None:
    a, b, store = two_desks
    a.find("04A1B2C3")
    b.find("eve")
    a.scan("CAM-0001")
    b.scan("CAM-0002")
    b.scan("CAM-0001")  # lent at the other hub's desk: refused here
    assert "Still on someone else&#39;s loan" not in b.page()  # not yet: A has not confirmed
    assert a.confirm().status_code == 303
    assert "Still on someone else&#39;s loan" in b.page()
    assert b.confirm().status_code == 303
    assert held(store) == {"CAM-0001": "ada", "CAM-0002": "eve"}
    events = desk_events(store)
    assert sorted(e.seq for e in events) == list(range(1, len(events) + 1))
    assert [k.id for k in store.kiosk_views()].count(DESK_ID) == 1
