"""Desk mode over HTTP: a manager finds a person by badge, id or name, scans items, overrides a
refusal with a reason, confirms; the events land in the ledger as a kiosk's would, signed by the
desk's own key and committed through ingest, and custody, strikes and the audit log follow."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.desk.source import DESK_ID
from hub.store import Store
from hub.store.schema import holdings, late_returns, ledger
from hub.web.app import WebSettings, create_app
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.served import client_of
from wire import CustodyEvent, EventType, ReplicaPolicy, decode_event

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


class Desk:
    """A manager's browser at the desk, as plain HTTP: each step posts the page's own form."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.url = "/desk"

    @property
    def csrf(self) -> str:
        return _csrf(self.client.get("/desk").text)

    def state(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query)

    def _post(self, path: str, **data: str | list[str]) -> httpx.Response:
        form: dict[str, str | list[str]] = {**self.state(), **data, "csrf": self.csrf}
        reply: httpx.Response = self.client.post(path, data=form, follow_redirects=False)
        if reply.status_code == 303:
            self.url = reply.headers["location"]
        return reply

    def find(self, q: str) -> httpx.Response:
        self.url = "/desk"
        return self._post("/desk/find", q=q)

    def scan(self, text: str) -> httpx.Response:
        return self._post("/desk/scan", scanned=text)

    def override(self, code: str, reason: str) -> httpx.Response:
        return self._post("/desk/override", item=code, reason=reason)

    def confirm_refused(self) -> httpx.Response:
        """Confirm a cart with nothing to do: no button, so the form is sent by hand."""
        return self._post("/desk/confirm", plan="")

    def page(self) -> str:
        reply: httpx.Response = self.client.get(self.url)
        assert reply.status_code == 200, reply.text[:500]
        return str(reply.text)

    def confirm(self, conditions: list[str] | None = None) -> httpx.Response:
        plan = re.search(r'name="plan" value="([^"]*)"', self.page())
        assert plan, "no confirm button"
        return self._post("/desk/confirm", plan=html.unescape(plan.group(1)), cond=conditions or [])


@pytest.fixture
def desk_app(store: Store, clock: Clock) -> FastAPI:
    rules = ReplicaPolicy(max_items=3)
    return create_app(store, WebSettings(secret_key="k" * 40, lending=rules), clock)


@pytest.fixture
def desk(desk_app: FastAPI) -> Iterator[Desk]:
    yield Desk(client_of(desk_app, "manager", PASSWORD))


def test_a_badge_tap_then_scans_lend_through_ingest_signed_by_the_desk(
    desk: Desk, store: Store, clock: Clock
) -> None:
    reply = desk.find("04:a1:b2:c3")  # the reader's own way of typing the UID
    assert reply.status_code == 303
    assert "Ada Lovelace" in desk.page()
    desk.scan("CK1:CAM-0001")  # a QR scanner types the label's content
    desk.scan("cam-0002")  # a code typed by hand
    page = desk.page()
    assert page.count(">Lend</span>") == 2
    reply = desk.confirm()
    assert reply.status_code == 303 and reply.headers["location"].startswith("/desk/receipt/")
    receipt = desk.client.get(reply.headers["location"]).text
    assert "Ada Lovelace" in receipt and "CAM-0001" in receipt and "CAM-0002" in receipt

    events = desk_events(store)  # each verified against the desk's own key
    assert [(e.type, e.asset, e.seq) for e in events] == [
        (EventType.CHECKOUT, "CAM-0001", 1),
        (EventType.CHECKOUT, "CAM-0002", 2),
    ]
    for event in events:
        assert event.badge == "04A1B2C3" and event.person == "ada"
        assert event.due == clock() + timedelta(hours=24)
    assert held(store) == {"CAM-0001": "ada", "CAM-0002": "ada"}


def desk_events(store: Store) -> list[CustodyEvent]:
    """The desk's events in the ledger, each checked against the desk's signing key."""
    with store.engine.connect() as conn:
        payloads = conn.scalars(
            ledger.select()
            .with_only_columns(ledger.c.payload)
            .where(ledger.c.kiosk == DESK_ID)
            .order_by(ledger.c.seq)
        ).all()
    return [decode_event(p.encode(), store.kiosk_key) for p in payloads]


def held(store: Store) -> dict[str, str]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            holdings.select().with_only_columns(holdings.c.asset, holdings.c.person)
        )
        return {r.asset: r.person for r in rows}


def audit(store: Store, action: str) -> list[tuple[str | None, str | None]]:
    return [(e.target, e.detail) for e in store.audit_entries() if e.action == action]


def test_a_person_is_found_by_id_or_by_name_and_a_stranger_is_not(desk: Desk, store: Store) -> None:
    store.add_person("ada2", "Ada Byron", [])
    assert desk.find("eve").status_code == 303  # an exact id
    assert "eve</span>" in desk.page()
    several = desk.find("ada")  # the id "ada" exactly: that person, not a list
    assert several.status_code == 303 and "Ada Lovelace" in desk.page()
    listed = desk.find("byron")
    assert listed.status_code == 303 and "Ada Byron" in desk.page()
    choices = desk.find("Ada ")
    assert choices.status_code == 200
    assert "Ada Lovelace (ada)" in choices.text and "Ada Byron (ada2)" in choices.text
    nobody = desk.find("Grace")
    assert nobody.status_code == 404 and "No one matches" in nobody.text
    assert desk_events(store) == []
    stranger = desk.find("0A0B0C0D")  # a badge nobody has: refused as a kiosk refuses it
    assert stranger.status_code == 404 and "Badge not recognised" in stranger.text
    [event] = desk_events(store)
    assert event.type is EventType.DENIED and event.reason == "unknown_badge"
    assert event.badge == "0A0B0C0D"


def test_refusals_are_the_kiosks_and_are_recorded_at_the_scan(
    desk: Desk, store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0002", person="eve")  # at a kiosk
    desk.find("ada")
    desk.scan("CAM-0002")
    desk.scan("NOPE-1")
    page = desk.page()
    assert "Still on someone else&#39;s loan" in page
    assert "Unknown item" in page
    assert "Lend anyway" not in page  # neither is the person's to override
    refused = desk.override("CAM-0002", "lending it twice")
    assert refused.status_code == 400 and "cannot be overridden" in refused.text
    events = desk_events(store)
    assert [(e.type, e.asset, e.reason) for e in events] == [
        (EventType.DENIED, "CAM-0002", "held_by_other"),
        (EventType.DENIED, "NOPE-1", "unknown_item"),
    ]
    nothing = desk.confirm_refused()
    assert nothing.status_code == 400
    assert held(store) == {"CAM-0002": "eve"}


def test_an_override_lends_despite_a_block_with_the_reason_in_ledger_and_audit(
    desk: Desk, store: Store, clock: Clock
) -> None:
    store.block_person("ada", None, "lost a lens", clock(), "admin")
    desk.find("04A1B2C3")
    page = desk.page()
    assert "lost a lens" in page
    desk.scan("CAM-0001")
    assert "No new loans until staff lift the block" in desk.page()
    short = desk.override("CAM-0001", "ok")
    assert short.status_code == 400 and "needs a reason" in short.text
    assert desk.override("CAM-0001", "thesis shoot, approved by the head").status_code == 303
    page = desk.page()
    assert "override" in page and "thesis shoot, approved by the head" in page
    assert desk.confirm().status_code == 303
    denied, lent = desk_events(store)
    assert denied.type is EventType.DENIED and denied.reason == "blocked"
    assert lent.type is EventType.CHECKOUT and lent.asset == "CAM-0001"
    assert lent.detail == "desk override by manager: thesis shoot, approved by the head"
    assert held(store) == {"CAM-0001": "ada"}
    [(target, detail)] = audit(store, "desk.override")
    assert target == "CAM-0001"
    assert detail == "lent to ada despite blocked: thesis shoot, approved by the head"
    [(_visit, summary)] = audit(store, "desk.visit")
    assert summary == "1 lent, 0 back for ada"


def test_the_item_limit_counts_what_the_person_holds(
    desk: Desk, store: Store, clock: Clock
) -> None:
    checkout(store, clock, "CAM-0001", seq=1)
    checkout(store, clock, "CAM-0002", seq=2)
    desk.find("ada")
    desk.scan("LENS-0001")
    page = desk.page()
    assert "Limit of 3 items reached" not in page
    store.add_asset("LENS-0002", "Zeiss 85mm", "camera")
    desk.scan("LENS-0002")
    assert "Limit of 3 items reached" in desk.page()
    desk.scan("CAM-0001")  # taking one back makes room, as at a kiosk
    assert "Limit of 3 items reached" not in desk.page()


def test_check_in_over_the_counter_takes_back_from_the_holder_one_strike_per_visit(
    desk: Desk, store: Store, clock: Clock
) -> None:
    clock.now -= timedelta(hours=30)
    checkout(store, clock, "CAM-0001", hours=2, seq=1)
    checkout(store, clock, "CAM-0002", hours=2, seq=2)
    clock.now += timedelta(hours=30)  # both a day late now
    desk.url = "/desk"
    desk.scan("CAM-0001")
    desk.scan("CAM-0002")
    desk.scan("LENS-0001")
    page = desk.page()
    assert page.count("from Ada Lovelace") == 2
    assert "Not on loan: nothing to check in" in page
    reply = desk.confirm(["CAM-0001:damaged", "CAM-0002:ok"])
    assert reply.status_code == 303
    receipt = desk.client.get(reply.headers["location"]).text
    assert "Taken back" in receipt and "damaged" in receipt
    events = desk_events(store)
    assert [(e.type, e.asset, e.person, e.condition) for e in events] == [
        (EventType.RETURN, "CAM-0001", "ada", "damaged"),
        (EventType.RETURN, "CAM-0002", "ada", "ok"),
    ]
    assert held(store) == {}
    asset = store.asset("CAM-0001")
    assert asset is not None and asset.status == "maintenance"  # damaged: out of circulation
    with store.engine.connect() as conn:
        sessions = conn.scalars(
            late_returns.select().with_only_columns(late_returns.c.session)
        ).all()
    assert len(sessions) == 2 and len(set(sessions)) == 1  # one visit: one strike


def test_a_cart_that_changed_since_it_was_shown_is_not_confirmed(
    desk: Desk, store: Store, clock: Clock
) -> None:
    desk.find("ada")
    desk.scan("CAM-0001")
    desk.scan("CAM-0002")
    page = desk.page()
    plan = html.unescape(re.search(r'name="plan" value="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    checkout(store, clock, "CAM-0001", person="eve")  # a kiosk lent it meanwhile
    reply = desk._post("/desk/confirm", plan=plan)
    assert reply.status_code == 303  # back to the cart, which now says why
    assert "Something changed since this page was shown" in desk.page()
    assert "Still on someone else&#39;s loan" in desk.page()
    assert desk_events(store) == [] and held(store) == {"CAM-0001": "eve"}
    assert desk.confirm().status_code == 303  # what the page shows now is what is done
    assert held(store) == {"CAM-0001": "eve", "CAM-0002": "ada"}


def test_altered_or_bad_input_gets_a_clear_answer_and_records_nothing_wrong(
    desk: Desk, store: Store
) -> None:
    desk.find("ada")
    junk = desk.scan("WIFI:S:home;P:secret;;")
    assert junk.status_code == 400 and "Not an equipment label" in junk.text
    [event] = desk_events(store)
    assert event.reason == "not_a_label" and "secret" not in (event.detail or "")
    for forged in (
        {"visit": ["not-a-visit"]},
        {"code": ["bad code!"]},
        {"badge": ["nothex"]},
        {"person": ["nobody-here"]},
        {"ov": ["CAM-0001:x"]},
    ):
        reply = desk.client.get("/desk", params={**desk.state(), **forged})
        assert reply.status_code == 400, forged
        assert "start again" in reply.text
    assert desk.client.get("/desk/receipt/desk-1-abcdef").status_code == 404
    assert desk.client.get("/desk/receipt/../../etc").status_code == 404
    assert len(desk_events(store)) == 1


def test_a_confirm_sent_twice_lends_once_and_never_turns_into_a_return(
    desk: Desk, store: Store
) -> None:
    desk.find("ada")
    desk.scan("CAM-0001")
    cart_url = desk.url
    page = desk.page()
    plan = html.unescape(re.search(r'name="plan" value="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    first = desk._post("/desk/confirm", plan=plan)
    desk.url = cart_url  # the same form sent again: a double click, or a reload
    second = desk._post("/desk/confirm", plan=plan)
    assert first.headers["location"] == second.headers["location"]
    assert second.headers["location"].startswith("/desk/receipt/")
    again = desk.client.get(cart_url, follow_redirects=False)  # the old cart: its receipt
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    assert [e.type for e in desk_events(store)] == [EventType.CHECKOUT]
    assert held(store) == {"CAM-0001": "ada"}


def test_text_of_no_card_length_is_searched_as_a_person_not_refused_as_a_badge(
    desk: Desk, store: Store
) -> None:
    """The desk reads badges by the one UID rule (4, 7 or 10 bytes): hex of another length is
    an id or a name typed, never an unknown badge in the ledger."""
    store.add_person("0a0b0c0d0e", "Five Bytes", [])
    assert desk.find("0A:0B:0C:0D:0E").status_code == 404  # no id with the colons
    assert desk.find("0a0b0c0d0e").status_code == 303 and "Five Bytes" in desk.page()
    assert desk_events(store) == []
