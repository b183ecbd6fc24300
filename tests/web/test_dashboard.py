"""The dashboard over HTTP: what a manager sees and does on each page (who may do what:
test_dashboard_access)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.store import Store
from tests.events import commit, kiosk_event
from tests.web.conftest import Clock, checkout, session_of
from wire import EventType, KioskState, KioskStatus, ReturnCondition
from wire.ids import uuid7

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


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
    client, _ = session_of(app)
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
    client, _ = session_of(app)
    for page in (client.get("/").text, client.get("/people").text, client.get("/out").text):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


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
    client, _ = session_of(app)
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
    client, csrf = session_of(app)
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
    client, csrf = session_of(app)
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
    client, csrf = session_of(app)
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
    client, csrf = session_of(app)
    queue = client.get("/maintenance").text
    assert "bent hot shoe" in queue and "damaged" in queue
    client.post("/maintenance/1/close", data={"outcome": "repaired", "cost": "45.00", "csrf": csrf})
    after = client.get("/maintenance").text
    assert "Nothing waiting." in after and "45.00" in after
    assert "available" in client.get("/a/CAM-0001").text


def test_every_table_exports_as_csv(app: FastAPI, store: Store, clock: Clock) -> None:
    checkout(store, clock, "CAM-0001", person="ada")
    client, _ = session_of(app)
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
    client, _ = session_of(app)
    page = client.get("/reports").text
    assert 'id="utilization-chart"' in page and "data:image/svg+xml" in page
    popular = page.split('id="popular"')[1].split("</table>")[0]
    assert "CAM-0001" in popular
    idle = page.split('id="idle"')[1].split("</table>")[0]
    assert "LENS-0001" in idle and "CAM-0001" not in idle


def test_a_bad_import_changes_nothing_and_names_the_lines(app: FastAPI, store: Store) -> None:
    client, csrf = session_of(app)
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
    client, csrf = session_of(app)
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


def test_an_error_after_a_redirect_is_ours_not_the_links(app: FastAPI, store: Store) -> None:
    client, csrf = session_of(app)
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
