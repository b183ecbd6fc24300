"""The dashboard over HTTP: who may do what, and what a manager sees and does on each page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.store import Store
from hub.web.security import RANK
from tests.events import commit, kiosk_event
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.routes import api_routes, needed_role
from tests.web.served import sign_in
from wire import EventType, KioskState, KioskStatus, ReturnCondition
from wire.ids import uuid7

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PUBLIC = {"/login", "/healthz", "/feed/{token}.ics"}


def _csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _login(client: TestClient, user: str = "manager", password: str = PASSWORD) -> int:
    return int(sign_in(client, user, password).status_code)


def _client(app: FastAPI, user: str = "manager", home: str = "/") -> tuple[TestClient, str]:
    client = TestClient(app)
    assert _login(client, user) == 303
    return client, _csrf_of(client.get(home).text)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "X", path)


def test_every_route_needs_a_role_and_refuses_anonymous_callers(app: FastAPI) -> None:
    routes = [(p, r) for p, r in api_routes(app) if p not in PUBLIC]
    assert len(routes) >= 30
    client = TestClient(app)
    for path, route in routes:
        assert needed_role(route.dependant) is not None, f"{path} declares no role"
        for method in route.methods or ():
            reply = client.request(method, _concrete(path), follow_redirects=False)
            if path.startswith("/api/"):
                assert reply.status_code == 401, (method, path)
            else:
                assert reply.status_code == 303, (method, path)
                assert reply.headers["location"] == "/login"


def test_viewers_cannot_act_and_managers_cannot_administer(app: FastAPI) -> None:
    checked = 0
    for user, rank in (("viewer", 0), ("manager", 1)):
        client, csrf = _client(app, user)
        for path, route in api_routes(app):
            role = needed_role(route.dependant)
            if role is None or RANK[role] <= rank:
                continue
            for method in route.methods or ():
                data = {"csrf": csrf} if method == "POST" and not path.startswith("/api") else None
                reply = client.request(
                    method,
                    _concrete(path),
                    data=data,
                    headers={"X-CSRF-Token": csrf},
                    follow_redirects=False,
                )
                assert reply.status_code == 403, (user, method, path, reply.status_code)
                checked += 1
    assert checked >= 15


def test_wrong_password_gets_no_session(app: FastAPI) -> None:
    client = TestClient(app)
    assert _login(client, password="not the password") == 401
    assert client.get("/api/v1/items-out").status_code == 401


def test_post_without_csrf_token_is_refused(app: FastAPI) -> None:
    client = TestClient(app)
    client.get("/login")
    reply = client.post("/login", data={"username": "manager", "password": PASSWORD})
    assert reply.status_code == 403
    assert client.get("/api/v1/items-out").status_code == 401
    client, _csrf = _client(app)
    assert client.post("/people/ada/block", data={"reason": "x"}).status_code == 403


def test_login_rate_limit(app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(10):
        assert _login(client, password="wrong password!") == 401
    # even the right password waits out the window, answered like a wrong one
    assert _login(client) == 401


def test_overview_shows_overdue_with_how_late_and_who_and_kiosk_health(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0001", hours=2, seq=1)
    checkout(store, clock, "LENS-0001", hours=5, seq=2)
    clock.now += timedelta(hours=4)
    store.record_status(
        KioskStatus(kiosk="cage-1", state=KioskState.ONLINE, version="0.1.0", outbox=3),
        '{"kiosk": "cage-1", "state": "online", "version": "0.1.0", "outbox": 3}',
        clock(),
    )
    client, _ = _client(app)
    page = client.get("/").text
    overdue = page.split('id="overdue"')[1].split("</table>")[0]
    today = page.split('id="due-today"')[1].split("</table>")[0]
    assert "Canon C70" in overdue and "Ada Lovelace" in overdue and "Overdue · 2 h late" in overdue
    assert "Zeiss 50mm" in today and "Zeiss" not in overdue
    kiosks = page.split('id="kiosks"')[1].split("</table>")[0]
    assert "online" in kiosks and ">3<" in kiosks
    data = client.get("/api/v1/overview").json()
    assert data["counts"]["overdue"] == 1 and data["counts"]["due_today"] == 1
    assert client.get("/").headers["content-security-policy"].startswith("default-src 'self'")


def test_names_are_escaped(app: FastAPI, store: Store, clock: Clock) -> None:
    checkout(store, clock, "CAM-0002", person="eve", hours=1)
    clock.now += timedelta(hours=2)
    client, _ = _client(app)
    for page in (client.get("/").text, client.get("/people").text, client.get("/out").text):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_logout_ends_the_session(app: FastAPI) -> None:
    client, csrf = _client(app)
    client.post("/logout", data={"csrf": csrf})
    assert client.get("/api/v1/items-out").status_code == 401


def test_conflicts_and_quarantine_are_shown_to_managers(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0001", person="ada", seq=1)
    clock.now += timedelta(minutes=5)
    checkout(store, clock, "CAM-0001", person="eve", seq=2)  # lent again while out
    events = "cagekeeper/v1/kiosks/cage-{}/events"
    store.quarantine(events.format(1), "cage-1", "not JSON: oops", b"x", clock())
    clock.now += timedelta(minutes=1)
    store.quarantine(events.format(2), "cage-2", "bad signature", b"y", clock())
    for _ in range(3):  # cage-1 keeps sending its message, long after cage-2's
        clock.now += timedelta(hours=1)
        store.quarantine(events.format(1), "cage-1", "not JSON: oops", b"x", clock())
    client, _ = _client(app)
    page = client.get("/").text
    assert "Needs attention" in page
    anomalies = page[page.index('id="anomalies"') :]
    assert "lent twice" in anomalies
    assert "CAM-0001 lent to eve at cage-1" in anomalies and "while held by ada" in anomalies
    assert "2 messages" in page
    latest = page[page.index("Last received") :]
    assert latest.index("not JSON: oops") < latest.index("bad signature")  # still arriving: top
    assert "<td>4</td>" in latest  # received four times


def test_asset_page_and_lifecycle_are_audited(app: FastAPI, store: Store, clock: Clock) -> None:
    checkout(store, clock, "CAM-0001", person="ada")
    client, csrf = _client(app)
    assert TestClient(app).get("/a/cam-0001", follow_redirects=False).status_code == 303
    page = client.get("/a/cam-0001")
    assert page.status_code == 200
    assert "Canon C70" in page.text and "Ada Lovelace" in page.text
    assert "checkout" in page.text and 'src="data:image/svg+xml' in page.text  # its QR label
    assert client.get("/a/NOPE-1").status_code == 404
    # out on loan: it cannot be retired, and the page says why
    reply = client.post("/a/CAM-0002/lifecycle", data={"action": "retire", "csrf": csrf})
    assert reply.status_code == 200 and "retired" in reply.text
    reply = client.post("/a/CAM-0001/lifecycle", data={"action": "retire", "csrf": csrf})
    assert "returned first" in reply.text
    audit = client.get("/audit").text
    assert "asset.retire" in audit and "CAM-0002" in audit and "manager" in audit


def test_blocking_a_person_reaches_the_kiosk_replica(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    client, csrf = _client(app)
    reply = client.post(
        "/people/ada/block", data={"reason": "Lost a lens cap", "days": "7", "csrf": csrf}
    )
    assert reply.status_code == 200 and "Blocked until" in reply.text
    people = store.replica_rows(clock()).people
    ada = next(p for p in people if p.id == "ada")
    assert ada.blocked_until == clock() + timedelta(days=7)
    assert ada.blocked_reason is not None and "Lost a lens cap" in ada.blocked_reason
    client.post("/people/ada/unblock", data={"csrf": csrf})
    assert "Blocked until" not in client.get("/people/ada").text
    assert "person.block" in client.get("/audit").text


def test_bookings_are_made_refused_on_conflict_and_cancelled(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    client, csrf = _client(app)
    form = {
        "asset": "cam-0001",
        "person": "ada",
        "starts": "2026-03-03T10:00",
        "ends": "2026-03-03T16:00",
        "csrf": csrf,
    }
    first = client.post("/bookings", data=form)
    assert first.status_code == 200 and "Booking 1 made" in first.text
    assert "Ada Lovelace" in first.text.split('id="timeline"')[1]
    clash = client.post("/bookings", data={**form, "person": "eve", "starts": "2026-03-03T12:00"})
    assert clash.status_code == 409
    assert "Not booked: CAM-0001 is booked by ada" in clash.text
    client.post("/bookings/1/cancel", data={"csrf": csrf})
    assert "No bookings." in client.get("/bookings").text


def test_a_damage_report_is_in_the_queue_until_closed(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0001", person="ada", seq=1)
    back = kiosk_event(
        clock() + timedelta(hours=1),
        EventType.RETURN,
        seq=2,
        person="ada",
        asset="CAM-0001",
        condition=ReturnCondition.DAMAGED,
        detail="bent hot shoe",
    )
    commit(store, back)
    client, csrf = _client(app)
    queue = client.get("/maintenance").text
    assert "bent hot shoe" in queue and "damaged" in queue
    client.post("/maintenance/1/close", data={"outcome": "repaired", "cost": "45.00", "csrf": csrf})
    after = client.get("/maintenance").text
    assert "Nothing waiting." in after and "45.00" in after
    assert "available" in client.get("/a/CAM-0001").text


def test_every_table_exports_as_csv(app: FastAPI, store: Store, clock: Clock) -> None:
    checkout(store, clock, "CAM-0001", person="ada")
    client, _ = _client(app)
    exports = [
        "/out",
        "/assets",
        "/people",
        "/bookings",
        "/maintenance",
        "/kiosks",
        "/audit",
        *(
            f"/reports?table={t}"
            for t in ("utilization", "overdue", "popular", "idle", "valuation", "maintenance")
        ),
    ]
    for path in exports:
        sep = "&" if "?" in path else "?"
        reply = client.get(f"{path}{sep}format=csv")
        assert reply.status_code == 200, path
        assert reply.headers["content-type"].startswith("text/csv"), path
        assert "attachment" in reply.headers["content-disposition"]
    assets = client.get("/assets?format=csv").content.decode("utf-8-sig")
    assert assets.splitlines()[0].startswith("code,name,category")
    assert "CAM-0001,Canon C70,camera" in assets


def test_reports_draw_charts_from_the_ledger(app: FastAPI, store: Store, clock: Clock) -> None:
    checkout(store, clock, "CAM-0001", person="ada", hours=30)
    clock.now += timedelta(days=2)
    client, _ = _client(app)
    page = client.get("/reports").text
    assert 'id="utilization-chart"' in page and "data:image/svg+xml" in page
    popular = page.split('id="popular"')[1].split("</table>")[0]
    assert "CAM-0001" in popular
    idle = page.split('id="idle"')[1].split("</table>")[0]
    assert "LENS-0001" in idle and "CAM-0001" not in idle


def test_a_bad_import_changes_nothing_and_names_the_lines(app: FastAPI, store: Store) -> None:
    client, csrf = _client(app)
    bad = "code,name,category,cost\nNEW-1,Tripod,grip,10\nNEW-2,,grip,lots\n"
    reply = client.post(
        "/assets/import",
        data={"csrf": csrf},
        files={"file": ("assets.csv", bad.encode(), "text/csv")},
    )
    assert reply.status_code == 400
    assert "line 3" in reply.text and "Nothing was imported" in reply.text
    assert store.asset("NEW-1") is None
    good = "code,name,category\nNEW-1,Tripod,grip\n"
    reply = client.post(
        "/assets/import",
        data={"csrf": csrf},
        files={"file": ("assets.csv", good.encode(), "text/csv")},
    )
    assert "Imported: 1 added, 0 changed, 0 unchanged." in reply.text
    assert store.asset("NEW-1") is not None


def test_api_tokens_for_integrations(app: FastAPI, store: Store, clock: Clock) -> None:
    admin, csrf = _client(app, "admin")
    page = admin.post("/tokens", data={"name": "booking bridge", "role": "manager", "csrf": csrf})
    token = re.search(r'id="new-token">([^<]+)<', page.text)
    assert token
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    bot = TestClient(app)
    assert bot.get("/api/v1/items-out", headers=bearer).status_code == 200
    made = bot.post(
        "/api/v1/bookings",
        headers=bearer,
        json={
            "asset": "LENS-0001",
            "person": "ada",
            "starts": "2026-03-04T09:00:00Z",
            "ends": "2026-03-04T12:00:00Z",
        },
    )
    assert made.status_code == 201
    clash = bot.post(
        "/api/v1/bookings",
        headers=bearer,
        json={
            "asset": "LENS-0001",
            "person": "eve",
            "starts": "2026-03-04T10:00:00Z",
            "ends": "2026-03-04T11:00:00Z",
        },
    )
    assert clash.status_code == 409 and "booked by ada" in clash.json()["detail"]
    doc = bot.get("/api/v1/openapi.json", headers=bearer).json()
    assert "/api/v1/items-out" in doc["paths"] and "/api/v1/bookings" in doc["paths"]
    assert "token:booking bridge" in admin.get("/audit").text
    admin.post("/tokens/1/revoke", data={"csrf": csrf})
    assert bot.get("/api/v1/items-out", headers=bearer).status_code == 401
    assert bot.get("/api/v1/items-out", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_session_writes_to_the_api_need_the_csrf_header(app: FastAPI) -> None:
    client, csrf = _client(app)
    body = {
        "asset": "LENS-0001",
        "person": "ada",
        "starts": "2026-03-04T09:00:00Z",
        "ends": "2026-03-04T12:00:00Z",
    }
    assert client.post("/api/v1/bookings", json=body).status_code == 403
    assert (
        client.post("/api/v1/bookings", json=body, headers={"X-CSRF-Token": csrf}).status_code
        == 201
    )


def test_the_live_feed_misses_nothing_that_arrives_in_the_same_instant(
    store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0001", seq=1)
    from hub.web.live import _Window

    (first,) = store.feed(limit=1)
    window = _Window(first.at, {first.id})
    checkout(store, clock, "CAM-0002", seq=2)  # same hub clock reading, any id order
    checkout(store, clock, "LENS-0001", seq=3)
    later = window.fresh(store.feed(window.start, 100), lambda e: (e.id, e.at))
    assert sorted(e.asset or "" for e in later) == ["CAM-0002", "LENS-0001"]


def test_a_stocktake_lists_what_was_expected_and_not_seen(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    for code in ("CAM-0001", "CAM-0002"):
        store.update_asset(code, clock(), "manager", home="Film cage")
    client, csrf = _client(app)
    page = client.post("/stocktakes", data={"location": "Film cage", "csrf": csrf})
    assert page.status_code == 200 and "Count 1: Film cage" in page.text
    clock.now += timedelta(minutes=5)
    at = clock()
    seen = kiosk_event(at, EventType.SEEN, person="ada", asset="CAM-0001")
    commit(store, seen)
    store.update_asset("LENS-0001", clock(), "manager", home="Sound lab")
    stray = seen.model_copy(update={"id": uuid7(int(at.timestamp() * 1000)), "seq": 2})
    stray = stray.model_copy(update={"asset": "LENS-0001"})
    store.commit_events([(stray, stray.model_dump_json())], at)
    page = client.get("/stocktakes/1").text
    missing = page.split('id="missing"')[1].split("</table>")[0]
    assert "CAM-0002" in missing and "CAM-0001" not in missing
    seen_rows = page.split('id="seen"')[1].split("</table>")[0].split("<tr")
    (cam,) = [row for row in seen_rows if "CAM-0001" in row]
    (lens,) = [row for row in seen_rows if "LENS-0001" in row]
    assert "Away from home" not in cam
    assert 'class="away"' in lens and "Away from home:</strong> Sound lab" in lens
    assert 'href="/stocktakes" class="here">Counts</a>' in page and "Stocktake" not in page
    client.post("/stocktakes/1/close", data={"csrf": csrf})
    assert "closed" in client.get("/stocktakes").text
    csv_text = client.get("/stocktakes/1?format=csv").content.decode("utf-8-sig")
    assert "missing,CAM-0002" in csv_text
    assert csv_text.splitlines()[0].endswith(",home,away_from_home")
    (lens_line,) = [line for line in csv_text.splitlines() if ",LENS-0001," in line]
    assert lens_line.startswith("seen,") and lens_line.endswith(",Sound lab,yes")


def test_tokens_cannot_carry_the_admin_role(app: FastAPI) -> None:
    admin, csrf = _client(app, "admin")
    reply = admin.post("/tokens", data={"name": "x", "role": "admin", "csrf": csrf})
    assert reply.status_code == 400 and "ckt_" not in reply.text


def test_an_error_after_a_redirect_is_ours_not_the_links(app: FastAPI, store: Store) -> None:
    client, csrf = _client(app)
    assert "hacked" not in client.get("/maintenance?error=hacked").text
    reply = client.post("/a/CAM-0001/lifecycle", data={"action": "dispose", "csrf": csrf})
    assert "only a retired item can be disposed of" in reply.text or "say why" in reply.text
    assert "say why" not in client.get("/a/CAM-0001").text  # shown once


def test_the_live_feed_sends_a_late_commit_once(store: Store, clock: Clock) -> None:
    from hub.web.live import _Window

    checkout(store, clock, "CAM-0001", seq=1)
    (shown,) = store.feed(limit=1)
    window = _Window(shown.at + timedelta(seconds=3), {shown.id})  # a later row went first
    rows = store.feed(window.start, 100)
    assert window.fresh(rows, lambda e: (e.id, e.at)) == []  # the page has that one
    clock.now += timedelta(seconds=1)
    checkout(store, clock, "CAM-0002", seq=2)  # stamped before the cursor, committed after
    rows = store.feed(window.start, 100)
    assert [e.asset for e in window.fresh(rows, lambda e: (e.id, e.at))] == ["CAM-0002"]
    assert window.fresh(store.feed(window.start, 100), lambda e: (e.id, e.at)) == []
