"""A kit's page names the pieces still out after the kit came back, and with whom."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI

from hub.store import Store
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.served import client_of
from wire import CustodyEvent, EventType
from wire.ids import uuid7

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_a_kit_back_without_a_piece_shows_which_is_still_out(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    store.add_asset("KIT-0001", "C70 kit", "camera")
    store.add_asset("BATT-0001", "Battery", "camera", kit="KIT-0001")
    store.add_asset("LENS-0009", "Kit lens", "camera", kit="KIT-0001")
    for seq, code in enumerate(("KIT-0001", "BATT-0001", "LENS-0009"), start=1):
        checkout(store, clock, code, seq=seq)
    clock.now += timedelta(hours=1)
    for seq, code in ((4, "KIT-0001"), (5, "LENS-0009")):  # the battery stays out
        back = CustodyEvent(
            id=uuid7(int(clock.now.timestamp() * 1000) + seq),
            kiosk="cage-1",
            seq=seq,
            at=clock.now,
            type=EventType.RETURN,
            person="ada",
            asset=code,
        )
        store.commit_events([(back, back.model_dump_json())], clock.now)
    client = client_of(app, "viewer", PASSWORD)
    page = client.get("/a/KIT-0001").text
    incomplete = page.split('id="kit-incomplete"')[1].split("</dd>")[0]
    assert "1 still out" in incomplete and "Battery (BATT-0001) with Ada Lovelace" in incomplete
    assert "LENS-0009" not in incomplete
    # the pieces list says who has the battery and until when
    assert 'out with <a href="/people/ada">Ada Lovelace</a>' in page
