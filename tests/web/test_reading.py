"""Reading the dashboard: names and links where ids were, overdue marks, refusal reasons, report
figures that follow the ledger, and an audit log with one entry per action and filters."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI

from hub.store import Store
from hub.web.pages import reports
from tests.events import commit, kiosk_event
from tests.web.conftest import PASSWORD, Clock, checkout, serving, session_of
from tests.web.served import signed_in
from wire import DenialReason, EventType

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _denied(store: Store, clock: Clock, reason: DenialReason, seq: int, **more: str) -> None:
    denied = kiosk_event(clock(), EventType.DENIED, seq=seq, tiebreak=seq, reason=reason, **more)
    commit(store, denied)


def _part(page: str, element_id: str) -> str:
    return page.split(f'id="{element_id}"')[1].split("</table>")[0].split("</ol>")[0]


def test_pages_name_people_items_and_kiosks_and_link_to_them(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0001", hours=1)
    clock.now += timedelta(hours=2)  # overdue now
    client, _ = session_of(app)

    assets = _part(client.get("/assets").text, "assets")
    row = next(r for r in assets.split("<tr") if "CAM-0001" in r)
    assert 'class="overdue"' in row and "overdue</span>" in row
    assert '<a href="/people/ada">Ada Lovelace</a>' in row and ">ada<" not in row
    calm = next(r for r in assets.split("<tr") if "CAM-0002" in r)
    assert "overdue" not in calm

    timeline = _part(client.get("/a/CAM-0001").text, "history")
    assert '<a href="/people/ada">Ada Lovelace</a>' in timeline
    assert '<a href="/kiosks#kiosk-cage-1">Film cage</a>' in timeline

    person = client.get("/people/ada").text
    history = person.split("<h2>History</h2>")[1]
    assert '<a href="/a/CAM-0001">Canon C70</a>' in history and "Film cage" in history

    feed = _part(client.get("/").text, "feed")
    assert '<a href="/a/CAM-0001">Canon C70</a>' in feed
    assert '<a href="/people/ada">Ada Lovelace</a>' in feed and "@ Film cage" in feed
    assert 'id="kiosk-cage-1"' in client.get("/kiosks").text  # where those links land


def test_a_refusal_says_why_in_the_feed_the_timelines_and_the_api(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0001", person="eve")
    _denied(store, clock, DenialReason.HELD_BY_OTHER, 2, person="ada", asset="CAM-0001")
    _denied(store, clock, DenialReason.NOT_A_LABEL, 3, detail="a link to example.org")
    client, _ = session_of(app)

    feed = _part(client.get("/").text, "feed")
    assert "checked out to someone else" in feed
    assert "not a Cagekeeper label: a link to example.org" in feed
    assert "checked out to someone else" in _part(client.get("/a/CAM-0001").text, "history")
    assert "checked out to someone else" in client.get("/people/ada").text

    sent = []
    with serving(app) as url:
        live = signed_in(url, "manager", PASSWORD)
        start = {"since": "2000-01-01T00:00:00+00:00"}
        with live.stream("GET", "/api/v1/feed", params=start) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    sent.append(line)
                if len(sent) == 3:
                    break
        live.close()
    denied = next(x for x in sent if "held_by_other" in x)
    assert '"refusal": "checked out to someone else"' in denied
    assert '"kiosk_name": "Film cage"' in denied


def test_report_figures_follow_the_ledger_at_once_when_quick(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    web = app.state.web
    assert reports.warm(web)  # the hub's background pass, before anyone asks
    assert not reports.warm(web)  # nothing changed: nothing computed again
    client, _ = session_of(app)
    page = client.get("/reports").text
    assert "up to date with the ledger" in page and "Nothing lent in this period." in page

    clock.now += timedelta(minutes=1)
    checkout(store, clock, "CAM-0001")
    page = client.get("/reports").text  # no waiting for a timer
    assert "CAM-0001" in _part(page, "popular")
    assert f"Figures as of {web.local(clock())}, up to date" in page


def test_slow_report_figures_say_how_old_they_are_and_refresh_on_request(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    web = app.state.web
    web.cache.quick = timedelta(0)  # as at a hundred thousand assets: every computation is slow
    client, _ = session_of(app)
    first = web.local(clock())
    assert "Nothing lent in this period." in client.get("/reports").text

    clock.now += timedelta(minutes=5)
    checkout(store, clock, "CAM-0001")
    page = client.get("/reports").text
    assert f"Figures as of {first}: the ledger or the registry has changed since" in page
    assert 'name="fresh"' in page and "Nothing lent in this period." in page

    page = client.get("/reports?weeks=12&fresh=1").text  # the Refresh button
    assert "CAM-0001" in _part(page, "popular")
    assert f"Figures as of {web.local(clock())}, up to date" in page and 'name="fresh"' not in page

    clock.now += timedelta(minutes=1)
    checkout(store, clock, "CAM-0002", seq=2)
    assert reports.warm(web)  # the hub's next pass brings them up to date without a click
    assert "CAM-0002" in _part(client.get("/reports").text, "popular")


def test_the_audit_log_filters_by_who_what_text_and_day(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    store.audit(clock(), "manager", "asset.retire", "CAM-0001", "replaced")
    store.audit(clock(), "cli:root", "person.block", "ada", "late again")
    clock.now += timedelta(days=2)
    store.audit(clock(), "manager", "asset.update", "CAM-0002", "name")
    client, _ = session_of(app)

    def shown(query: str) -> list[str]:
        page = client.get("/audit" + query)
        assert page.status_code == 200, page.text
        body = _part(page.text, "audit")
        return re.findall(r"<td>((?:asset|person)\.\w+)</td>", body)

    assert shown("") == ["asset.update", "person.block", "asset.retire"]
    assert shown("?actor=manager") == ["asset.update", "asset.retire"]
    assert shown("?action=asset") == ["asset.update", "asset.retire"]  # the family
    assert shown("?action=asset.retire") == ["asset.retire"]
    assert shown("?q=late") == ["person.block"]
    assert shown("?since=2026-03-03") == ["asset.update"]
    assert shown("?until=2026-03-02") == ["person.block", "asset.retire"]
    assert "No entries match." in client.get("/audit?actor=nobody").text
    page = client.get("/audit?action=person").text
    assert '<a href="/people/ada">ada</a>' in page  # the target links to what it names
    assert '<a href="/a/CAM-0001">CAM-0001</a>' in client.get("/audit?action=asset").text

    csv_text = client.get("/audit?actor=manager&format=csv").content.decode("utf-8-sig")
    assert csv_text.count("asset.") == 2 and "person.block" not in csv_text
    assert client.get("/audit?since=yesterday").status_code == 422  # refused, not a 500
    assert client.get("/audit?since=2026-02-30").status_code == 400


def test_a_refusals_text_keeps_badge_uids_from_viewers(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    """A kiosk's free text may quote a badge; viewers see only its last digits (as elsewhere)."""
    _denied(store, clock, DenialReason.BLOCKED, 1, person="ada", detail="badge 04A1B2C3 blocked")
    viewer, _ = session_of(app, "viewer")
    manager, _ = session_of(app, "manager")
    for path in ("/", "/people/ada"):
        assert "04A1B2C3" in manager.get(path).text, path
        seen = viewer.get(path).text
        assert "04A1B2C3" not in seen and "blocked from borrowing: badge ****B2C3" in seen, path
    assert "04A1B2C3" not in str(viewer.get("/api/v1/people/ada").json())
