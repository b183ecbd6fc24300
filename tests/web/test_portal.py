"""The borrower portal over HTTP: a student sees what they hold and when it is due in the cage's
time, kits as one, their strikes, block, bookings and history; renews by the kiosks' rule, the
renewal recorded as signed ``extend`` events that move the loan at the hub and in a kiosk's
replica; browses what their trainings allow with each item's coming days; and subscribes to
their due times. Nobody reaches anyone else's data, and every action is audited."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from hub.portal.renewing import PORTAL_ID, extensions, portal_source
from hub.replica_feed import ReplicaFeed
from hub.store import Store
from hub.store.base import StoreBase
from hub.store.borrower import BorrowerReads
from hub.store.feed_tokens import FeedTokens
from hub.store.schema import audit_log, feed_tokens, holdings, ledger
from hub.web.app import WebSettings, create_app
from hub.web.auth import Role, create_user
from hub.web.security import RANK
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.routes import api_routes, needed_role
from tests.web.served import client_of, sign_in
from wire import ReplicaPolicy, ReplicaSnapshot, Topics, decode_event

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TZ = "America/New_York"  # the cage's zone: 09:30 UTC is 04:30 there


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


def _sign_in(app: FastAPI, user: str) -> TestClient:
    return client_of(app, user, PASSWORD)


@pytest.fixture
def cage(store: Store, clock: Clock) -> Store:
    """Ada (a borrower account, "ada.l") and Eve; a kit; Ada holds a camera and the kit."""
    store.set_loan_hours("camera", 48)
    store.add_asset("KIT-0001", "FX3 kit", "camera")
    store.add_asset("BATT-0001", "NP-FZ100 battery", "battery")
    store.set_kit_pieces("KIT-0001", ["BATT-0001"], clock(), "test")
    store.set_loan_hours("battery", 24)
    create_user(store, "ada.l", PASSWORD, "borrower", clock(), person="ada")
    create_user(store, "eve.b", PASSWORD, "borrower", clock(), person="eve")
    checkout(store, clock, "CAM-0001", hours=5, seq=1)
    checkout(store, clock, "KIT-0001", hours=5, seq=2)
    checkout(store, clock, "BATT-0001", hours=5, seq=3)
    checkout(store, clock, "LENS-0001", person="eve", hours=5, seq=4)
    return store


@pytest.fixture
def portal(cage: Store, clock: Clock) -> FastAPI:
    rules = ReplicaPolicy(max_renewals=1)
    return create_app(cage, WebSettings(secret_key="k" * 40, display_tz=TZ, lending=rules), clock)


def _due(store: Store, asset: str) -> tuple[datetime, int]:
    with store.engine.connect() as conn:
        row = conn.execute(
            select(holdings.c.due, holdings.c.renewals).where(holdings.c.asset == asset)
        ).one()
    return row.due, row.renewals


def _audit(store: Store, action: str) -> list[tuple[str, str | None, str | None]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.target, audit_log.c.detail)
            .where(audit_log.c.action == action)
            .order_by(audit_log.c.id)
        ).all()
    return [tuple(r) for r in rows]


def _card(page: str, code: str) -> str:
    """One loan's card on the page."""
    start = page.index(f'id="loan-{code}"')
    end = page.find('<li class="card', start)
    return page[start : end if end > 0 else None]


def _renew(client: TestClient, code: str) -> str:
    page = client.get("/me")
    reply = client.post(
        "/me/renew", data={"code": code, "csrf": _csrf(page.text)}, follow_redirects=False
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/me"
    message = re.search(r'id="me-message">([^<]*)<', client.get("/me").text)
    assert message, "no message after renewing"
    return message.group(1)


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
    card = _card(_sign_in(portal, "ada.l").get("/me").text, "CAM-0001")
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
    before, _ = _due(cage, "CAM-0001")
    client = _sign_in(portal, "ada.l")
    message = _renew(client, "CAM-0001")
    assert message.startswith("Renewed: Canon C70, now due Wed 04 Mar 09:30")
    due, renewals = _due(cage, "CAM-0001")
    assert due == before + timedelta(hours=48) and renewals == 1
    with cage.engine.connect() as conn:
        row = conn.execute(select(ledger).where(ledger.c.type == "extend")).one()
    assert row.kiosk == PORTAL_ID and row.person == "ada" and row.asset == "CAM-0001"
    key = cage.kiosk_key(PORTAL_ID)
    assert (
        key is not None and decode_event(row.payload.encode(), cage.kiosk_key).due == due
    )  # signed
    assert [(a, t) for a, t, _d in _audit(cage, "portal.renew")] == [("ada.l", "CAM-0001")]
    # a kiosk's replica has the new due time and the renewal, so it will not extend again
    feed.step(clock())
    held = {h.asset: h for h in feed_out[-1].holdings}
    assert held["CAM-0001"].due == due and held["CAM-0001"].renewals == 1
    # a second try is refused by the rule, and audited
    assert _renew(client, "CAM-0001") == "Canon C70 cannot be extended: it was extended already"
    assert _due(cage, "CAM-0001") == (due, 1)
    assert _audit(cage, "portal.renew.refused")[-1][1] == "CAM-0001"


def test_a_kit_renews_whole_and_the_portal_follows_the_kiosk_s_refusals(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    client = _sign_in(portal, "ada.l")
    assert _renew(client, "BATT-0001").startswith("Renewed: FX3 kit")
    kit_due, kit_n = _due(cage, "KIT-0001")
    assert _due(cage, "BATT-0001") == (kit_due, kit_n) and kit_n == 1
    # the battery's 24 h bounds the kit's renewal
    assert kit_due == clock() + timedelta(hours=5 + 24)

    # someone else's booking inside the next period keeps the camera in
    cage.add_booking(
        "CAM-0001", "eve", clock() + timedelta(days=1), clock() + timedelta(days=2), clock()
    )
    assert _renew(client, "CAM-0001") == "Canon C70 cannot be extended: someone has booked it"
    assert _due(cage, "CAM-0001")[1] == 0

    # blocked: no renewals; overdue: none either
    cage.block_person("ada", clock() + timedelta(days=2), "late", clock(), "manager")
    assert "while your loans are paused" in _renew(client, "CAM-0001")
    cage.unblock_person("ada", clock(), "manager")
    clock.now += timedelta(hours=6)
    client = _sign_in(portal, "ada.l")
    assert _renew(client, "CAM-0001") == "Canon C70 cannot be extended: it is overdue"
    with cage.engine.connect() as conn:
        assert (
            conn.scalar(
                select(ledger.c.id).where(ledger.c.asset == "CAM-0001", ledger.c.type == "extend")
            )
            is None
        )


def test_nobody_reaches_another_person_s_loans_or_pages(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    client = _sign_in(portal, "ada.l")
    before = _due(cage, "LENS-0001")
    # Eve's item named in Ada's renewal: refused, nothing moved, the try audited
    assert _renew(client, "LENS-0001") == "That is not on your loan."
    assert _due(cage, "LENS-0001") == before
    assert _audit(cage, "portal.renew.refused")[-1][:2] == ("ada.l", "LENS-0001")
    # her page and the JSON view are Ada's only, whatever is asked for
    other = client.get("/me", params={"person": "eve", "id": "eve"}).text
    assert "Canon C70" in other and "Zeiss" not in other and "LENS-0001" not in other
    mine = client.get("/api/v1/me/loans", params={"person": "eve"}).json()
    assert sorted(x["asset"] for x in mine) == ["BATT-0001", "CAM-0001", "KIT-0001"]
    # managers' pages and API, Eve's person page among them, refuse a borrower
    for path in ("/people/eve", "/a/LENS-0001", "/", "/out", "/audit", "/bookings"):
        reply = client.get(path, follow_redirects=False)
        assert reply.status_code in (303, 403), path
        assert "Zeiss" not in reply.text and "LENS-0001" not in reply.text, path
        if reply.status_code == 303:
            assert reply.headers["location"] == "/me", path
    for path in ("/api/v1/items-out", "/api/v1/people/eve", "/api/v1/assets/LENS-0001"):
        reply = client.get(path)
        assert reply.status_code in (401, 403, 404), path
        assert "LENS-0001" not in reply.text or reply.status_code == 404, path


def test_every_manager_route_refuses_a_borrower(portal: FastAPI) -> None:
    client = _sign_in(portal, "ada.l")
    csrf = _csrf(client.get("/me").text)
    checked = 0
    for path, route in api_routes(portal):
        role = needed_role(route.dependant)
        if role is None or RANK[role] <= RANK[Role.BORROWER]:  # the portal's own, and sign-out
            continue
        for method in route.methods or ():
            concrete = re.sub(r"\{[^}]+\}", "X", path)
            data = {"csrf": csrf} if method == "POST" and not path.startswith("/api") else None
            reply = client.request(
                method, concrete, data=data, headers={"X-CSRF-Token": csrf}, follow_redirects=False
            )
            assert reply.status_code in (303, 403), (method, path, reply.status_code)
            if reply.status_code == 303:
                assert reply.headers["location"] == "/me"
            checked += 1
    assert checked >= 30


def test_a_manager_without_a_person_gets_no_portal(portal: FastAPI) -> None:
    client = _sign_in(portal, "manager")
    assert client.get("/me", follow_redirects=False).status_code in (303, 403)
    assert client.get("/api/v1/me/loans").status_code in (401, 403)


def test_every_portal_form_needs_the_session_s_csrf_token(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    client = _sign_in(portal, "ada.l")
    for path, data in (
        ("/me/renew", {"code": "CAM-0001"}),
        ("/me/feed", {}),
        ("/me/feed/stop", {}),
    ):
        for token in ("", "not-the-token"):
            reply = client.post(path, data={**data, "csrf": token}, follow_redirects=False)
            assert reply.status_code == 403, (path, token)
    assert _due(cage, "CAM-0001")[1] == 0
    with cage.engine.connect() as conn:
        assert conn.scalar(select(feed_tokens.c.username)) is None


def test_the_calendar_feed_has_my_due_times_and_bookings_behind_a_secret_address(
    portal: FastAPI, cage: Store, clock: Clock
) -> None:
    cage.add_booking(
        "CAM-0002", "ada", clock() + timedelta(days=2), clock() + timedelta(days=3), clock()
    )
    cage.add_booking(
        "CAM-0002", "eve", clock() + timedelta(days=4), clock() + timedelta(days=5), clock()
    )
    client = _sign_in(portal, "ada.l")
    csrf = _csrf(client.get("/me").text)
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
    due, _ = _due(cage, "CAM-0001")
    assert events["Due back: Canon C70 (CAM-0001)"].decoded("dtstart") == due
    uid = str(events["Due back: Canon C70 (CAM-0001)"]["uid"])

    # renewed: the same event moves
    _renew(client, "CAM-0001")
    again = Calendar.from_ical(calendar_app.get(path).content)
    moved = next(e for e in again.walk("VEVENT") if str(e["uid"]) == uid)
    assert moved.decoded("dtstart") == due + timedelta(hours=48)

    # a new address ends the old; stopping ends the new; audited each time
    csrf = _csrf(client.get("/me").text)
    newer = client.post("/me/feed", data={"csrf": csrf}).text
    path2 = re.search(r'value="[^"]*(/feed/[^"]+)"', newer)
    assert path2 and path2.group(1) != path
    assert calendar_app.get(path).status_code == 404
    assert calendar_app.get(path2.group(1)).status_code == 200
    client.post("/me/feed/stop", data={"csrf": csrf})
    assert calendar_app.get(path2.group(1)).status_code == 404
    assert calendar_app.get("/feed/ckf_guessed.ics").status_code == 404
    assert calendar_app.get("/feed/" + "x" * 300 + ".ics").status_code in (404, 422)
    assert [a for a, _t, _d in _audit(cage, "portal.feed.create")] == ["ada.l"]
    assert [a for a, _t, _d in _audit(cage, "portal.feed.renew")] == ["ada.l"]
    assert [a for a, _t, _d in _audit(cage, "portal.feed.end")] == ["ada.l"]


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
    client = _sign_in(portal, "ada.l")
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
    client = _sign_in(portal, "ada.l")
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


def test_the_portal_s_store_reads_shadow_no_other_part_of_the_store(store: Store) -> None:
    parts = {type(part) for part in vars(store).values() if isinstance(part, StoreBase)}
    for portal in (BorrowerReads, FeedTokens):
        assert portal in parts
        for name in (n for n in vars(portal) if not n.startswith("__")):
            # the store hands the call to the portal's part, and no other part answers to it
            assert getattr(Store, name).__wrapped__ is vars(portal)[name], name
            owners = [p.__name__ for p in parts if name in dir(p)]
            assert owners == [portal.__name__], (name, owners)


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
    assert _due(cage, "CAM-0001") == (due, 1)
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
    client = _sign_in(portal, "ada.l")
    page = client.get("/me/browse").text
    assert 'id="item-DRONE-1"' not in page
    assert "<strong>drone</strong>: Only for FILM101: you are not in it" in page
    cage.set_groups("ada", ["film101"])  # as her identity provider names it
    assert 'id="item-DRONE-1"' in client.get("/me/browse").text
