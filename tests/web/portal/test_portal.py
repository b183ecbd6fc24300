"""The borrower portal over HTTP: a student sees what they hold and when it is due in the cage's
time, kits as one, their strikes, block, bookings and history; renews by the kiosks' rule, the
renewal recorded as signed ``extend`` events that move the loan at the hub and in a kiosk's
replica; browses what their trainings allow with each item's coming days; and subscribes to
their due times. Nobody reaches anyone else's data, and every action is audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from hub.portal.renewing import PORTAL_ID, extensions, portal_source
from hub.replica_feed import ReplicaFeed
from hub.store import Store
from hub.store.schema import feed_tokens, ledger
from tests.web.conftest import PASSWORD, Clock
from tests.web.portal.world import (
    audited,
    due_of,
    renew,
    signed_in,
)
from tests.web.served import csrf_of, sign_in
from wire import ReplicaPolicy, ReplicaSnapshot, Topics, decode_event

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _card(page: str, code: str) -> str:
    """One loan's card on the page."""
    start = page.index(f'id="loan-{code}"')
    end = page.find('<li class="card', start)
    return page[start : end if end > 0 else None]


def test_a_borrower_signs_in_to_their_loans_due_in_the_cage_s_time(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    client = TestClient(portal)
    reply = sign_in(client, "ada.l", PASSWORD)
    assert reply.headers["location"] == "/me"
    page = client.get("/me").text
    # 09:30 UTC + 5 h = 14:30 UTC = 09:30 in New York
    assert "Canon C70" in page and "Mon 02 Mar 09:30" in page
    # the kit is one card with its battery under it, not two loans
    assert page.count('id="loan-KIT-0001"') == 1 and 'id="loan-BATT-0001"' not in page
    assert "NP-FZ100 battery" in _card(page, "KIT-0001")
    assert re.search(r'id="holding-count">2<', page)
    # Eve's loan is not on Ada's page, nor is Eve
    assert "Zeiss" not in page and "LENS-0001" not in page and "alert(1)" not in page
    assert "overdue" not in page.split('id="standing"')[0]

    clock.now += timedelta(hours=6)  # past the sign-in's idle time too
    card = _card(signed_in(portal, "ada.l").get("/me").text, "CAM-0001")
    assert "badge late" in card and "Canon C70 cannot be extended: it is overdue" in card


def test_renewing_records_signed_extend_events_that_move_the_loan_everywhere(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    feed_out: list[ReplicaSnapshot] = []
    topics = Topics()

    def take(topic: str, payload: str, retain: bool) -> bool:
        if topic == topics.replica_snapshot():
            feed_out.append(ReplicaSnapshot.model_validate_json(payload))
        return True

    feed = ReplicaFeed(cage, take, topics, ReplicaPolicy(max_renewals=1), 0)
    before, _ = due_of(cage, "CAM-0001")
    client = signed_in(portal, "ada.l")
    message = renew(client, "CAM-0001")
    assert message.startswith("Renewed: Canon C70, now due Wed 04 Mar 09:30")
    due, renewals = due_of(cage, "CAM-0001")
    assert due == before + timedelta(hours=48) and renewals == 1
    with cage.engine.connect() as conn:
        row = conn.execute(select(ledger).where(ledger.c.type == "extend")).one()
    assert row.kiosk == PORTAL_ID and row.person == "ada" and row.asset == "CAM-0001"
    key = cage.kiosk_key(PORTAL_ID)
    assert (
        key is not None and decode_event(row.payload.encode(), cage.kiosk_key).due == due
    )  # signed
    assert [(a, t) for a, t, _d in audited(cage, "portal.renew")] == [("ada.l", "CAM-0001")]
    # a kiosk's replica has the new due time and the renewal, so it will not extend again
    feed.step(clock())
    held = {h.asset: h for h in feed_out[-1].holdings}
    assert held["CAM-0001"].due == due and held["CAM-0001"].renewals == 1
    # a second try is refused by the rule, and audited
    assert renew(client, "CAM-0001") == "Canon C70 cannot be extended: it was extended already"
    assert due_of(cage, "CAM-0001") == (due, 1)
    assert audited(cage, "portal.renew.refused")[-1][1] == "CAM-0001"


def test_a_kit_renews_whole_and_the_portal_follows_the_kiosk_s_refusals(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    client = signed_in(portal, "ada.l")
    assert renew(client, "BATT-0001").startswith("Renewed: FX3 kit")
    kit_due, kit_n = due_of(cage, "KIT-0001")
    assert due_of(cage, "BATT-0001") == (kit_due, kit_n) and kit_n == 1
    # the battery's 24 h bounds the kit's renewal
    assert kit_due == clock() + timedelta(hours=5 + 24)

    # someone else's booking inside the next period keeps the camera in
    cage.add_booking(
        "CAM-0001", "eve", clock() + timedelta(days=1), clock() + timedelta(days=2), clock()
    )
    assert renew(client, "CAM-0001") == "Canon C70 cannot be extended: someone has booked it"
    assert due_of(cage, "CAM-0001")[1] == 0

    # blocked: no renewals; overdue: none either
    cage.block_person("ada", clock() + timedelta(days=2), "late", clock(), "manager")
    assert "while your loans are paused" in renew(client, "CAM-0001")
    cage.unblock_person("ada", clock(), "manager")
    clock.now += timedelta(hours=6)
    client = signed_in(portal, "ada.l")
    assert renew(client, "CAM-0001") == "Canon C70 cannot be extended: it is overdue"
    with cage.engine.connect() as conn:
        assert (
            conn.scalar(
                select(ledger.c.id).where(ledger.c.asset == "CAM-0001", ledger.c.type == "extend")
            )
            is None
        )


def test_the_calendar_feed_has_my_due_times_and_bookings_behind_a_secret_address(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    cage.add_booking(
        "CAM-0002", "ada", clock() + timedelta(days=2), clock() + timedelta(days=3), clock()
    )
    cage.add_booking(
        "CAM-0002", "eve", clock() + timedelta(days=4), clock() + timedelta(days=5), clock()
    )
    client = signed_in(portal, "ada.l")
    csrf = csrf_of(client.get("/me").text)
    shown = client.post("/me/feed", data={"csrf": csrf}).text
    url = re.search(r'id="feed-url" readonly value="([^"]+)"', shown)
    assert url
    path = url.group(1).split("testserver", 1)[1]
    token = path.removeprefix("/feed/").removesuffix(".ics")
    with cage.engine.connect() as conn:
        assert conn.scalar(select(feed_tokens.c.digest)) != token  # kept hashed

    calendar_app = TestClient(portal)  # no session: calendar apps cannot sign in
    reply = calendar_app.get(path)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(reply.content)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {
        "Due back: Canon C70 (CAM-0001)",
        "Due back: FX3 kit (KIT-0001)",
        "Booked: Sony FX3 (CAM-0002)",
    }
    due, _ = due_of(cage, "CAM-0001")
    assert events["Due back: Canon C70 (CAM-0001)"].decoded("dtstart") == due
    uid = str(events["Due back: Canon C70 (CAM-0001)"]["uid"])

    # renewed: the same event moves
    renew(client, "CAM-0001")
    again = Calendar.from_ical(calendar_app.get(path).content)
    moved = next(e for e in again.walk("VEVENT") if str(e["uid"]) == uid)
    assert moved.decoded("dtstart") == due + timedelta(hours=48)

    # a new address ends the old; stopping ends the new; audited each time
    csrf = csrf_of(client.get("/me").text)
    newer = client.post("/me/feed", data={"csrf": csrf}).text
    path2 = re.search(r'value="[^"]*(/feed/[^"]+)"', newer)
    assert path2 and path2.group(1) != path
    assert calendar_app.get(path).status_code == 404
    assert calendar_app.get(path2.group(1)).status_code == 200
    client.post("/me/feed/stop", data={"csrf": csrf})
    assert calendar_app.get(path2.group(1)).status_code == 404
    assert calendar_app.get("/feed/ckf_guessed.ics").status_code == 404
    assert calendar_app.get("/feed/" + "x" * 300 + ".ics").status_code in (404, 422)
    assert [a for a, _t, _d in audited(cage, "portal.feed.create")] == ["ada.l"]
    assert [a for a, _t, _d in audited(cage, "portal.feed.renew")] == ["ada.l"]
    assert [a for a, _t, _d in audited(cage, "portal.feed.end")] == ["ada.l"]


def test_strikes_blocks_bookings_and_history_are_mine(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    cage.add_booking(
        "CAM-0002", "ada", clock() + timedelta(days=2), clock() + timedelta(days=3), clock()
    )
    cage.add_booking(
        "CAM-0002", "eve", clock() + timedelta(days=4), clock() + timedelta(days=5), clock()
    )
    cage.block_person("ada", clock() + timedelta(days=3), "Late twice", clock(), "manager")
    client = signed_in(portal, "ada.l")
    page = client.get("/me").text
    standing = page[page.index('id="standing"') : page.index('id="bookings"')]
    assert "Blocked" in standing and "Thu 05 Mar 04:30" in standing and "Late twice" in standing
    booked = page[page.index('id="booking-list"') : page.index('id="calendar"')]
    assert booked.count("Sony FX3") == 1 and "Wed 04 Mar 04:30" in booked
    history = page[page.index('id="history"') :]
    assert history.count("Borrowed") == 3 and "Zeiss" not in history


def test_browse_lists_what_my_trainings_allow_with_each_item_s_coming_days(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    cage.add_asset("DRONE-1", "Mavic 3", "drone")
    cage.require_training("drone", "drone-license")
    cage.add_booking(
        "CAM-0002", "eve", clock() + timedelta(days=2), clock() + timedelta(days=3), clock()
    )
    client = signed_in(portal, "ada.l")
    page = client.get("/me/browse").text
    assert 'id="item-DRONE-1"' not in page
    assert "<strong>drone</strong>: Needs the drone-license training" in page
    # Eve's lens: out until its due time, her name never shown
    lens = page[page.index('id="item-LENS-0001"') :]
    assert "Out until Mon 02 Mar 09:30" in lens[:600] and "Lovelace" not in page
    assert "alert(1)" not in page and "&lt;script&gt;" not in page
    sony = page[page.index('id="item-CAM-0002"') :]
    days = re.findall(r'class="day (\w+)"', sony[: sony.index("</ol>")])
    assert days == ["free", "free", "booked", "booked", "free", "free", "free"]
    mine = page[page.index('id="item-CAM-0001"') :]
    assert "With you, due" in mine[:600]
    assert 'id="item-BATT-0001"' not in page  # a kit's piece goes with its kit
    assert 'id="cat-battery"' not in page  # nor is its category listed empty
    cage.grant_training("ada", "drone-license", None)
    assert 'id="item-DRONE-1"' in client.get("/me/browse").text


def test_the_same_renewal_sent_twice_is_one_event(cage: Store, clock: Clock) -> None:
    """Two hub processes (or a form sent again) deciding on the same loan make the same
    events: ingest takes them once, so a loan is never renewed twice for one decision."""
    loans = [loan.held for loan in cage.my_loans("ada", clock())]
    unit = [held for held in loans if held.code == "CAM-0001"]
    due = unit[0].due + timedelta(hours=48)
    first, again = extensions("ada", unit, due), extensions("ada", unit, due)
    assert [e.id for e in first] == [e.id for e in again]
    portal_source(cage).record(first, "portal-a", None, clock())
    portal_source(cage).record(again, "portal-b", None, clock())
    assert due_of(cage, "CAM-0001") == (due, 1)
    with cage.engine.connect() as conn:
        assert len(conn.execute(select(ledger.c.id).where(ledger.c.type == "extend")).all()) == 1
    # the next renewal of the renewed loan is another fact, with another id
    renewed = [
        held
        for held in (ln.held for ln in cage.my_loans("ada", clock()))
        if held.code == "CAM-0001"
    ]
    assert extensions("ada", renewed, due + timedelta(hours=48))[0].id != first[0].id


def test_browse_hides_a_category_restricted_to_groups_the_borrower_is_not_in(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    cage.add_asset("DRONE-1", "Mavic 3", "drone")
    cage.set_category_groups("drone", ["FILM101"], clock(), "admin")
    client = signed_in(portal, "ada.l")
    page = client.get("/me/browse").text
    assert 'id="item-DRONE-1"' not in page
    assert "<strong>drone</strong>: Only for FILM101: you are not in it" in page
    cage.set_groups("ada", ["film101"])  # as her identity provider names it
    assert 'id="item-DRONE-1"' in client.get("/me/browse").text
