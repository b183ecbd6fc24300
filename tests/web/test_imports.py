"""The dashboard's import: a preview that says where each column goes and what would be added,
changed or refused (storing nothing), the manager's own column choices, then the import whole
with its counts; the same handler for assets and people."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from hub.store import Store
from tests.browsing import signed_in
from tests.web.conftest import PASSWORD, session_of
from tests.web.served import served

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
EXPORTS = Path(__file__).parent.parent / "fixtures" / "exports"


class _Form(HTMLParser):
    """The preview form's fields as a browser would send them (selected options, the sheet)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "import-preview":
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("type") == "hidden":
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select is not None and "selected" in a:
            self.fields.append((self._select, a["value"]))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.fields.pop()
            self.fields.append((name, text + data))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _preview_form(html: str) -> list[tuple[str, str]]:
    form = _Form()
    form.convert_charrefs = True
    form.feed(html)
    return form.fields


def _post(
    client: TestClient, csrf: str, kind: str, data: bytes, step: str = "preview"
) -> httpx.Response:
    reply: httpx.Response = client.post(
        f"/{kind}/import",
        data={"csrf": csrf, "step": step},
        files={"file": (f"{kind}.csv", data, "text/csv")},
        follow_redirects=False,
    )
    return reply


def _send(client: TestClient, fields: list[tuple[str, str]], step: str) -> httpx.Response:
    """The preview form sent back with one of its buttons, as multipart (as its enctype says)."""
    parts = [(k, (None, v.encode())) for k, v in [*fields, ("step", step)]]
    reply: httpx.Response = client.post("/assets/import", files=parts, follow_redirects=False)
    return reply


def _mapping(html: str) -> dict[str, str]:
    return dict(v.rsplit("=", 1) for k, v in _preview_form(html) if k == "map")


def test_a_preview_says_what_would_happen_and_stores_nothing(app: FastAPI, store: Store) -> None:
    client, csrf = session_of(app)

    reply = _post(client, csrf, "assets", (EXPORTS / "snipe-it.csv").read_bytes())

    assert reply.status_code == 200
    summary = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", "", reply.text.split('id="import-summary"')[1])
    )
    assert (
        "Nothing is stored yet. Read as a Snipe-IT export: 7 to add, 0 to change, 0 unchanged"
        in summary
    )
    mapping = _mapping(reply.text)
    assert mapping["Asset Tag"] == "code" and mapping["Purchase Cost"] == "cost"
    assert mapping["Lens Mount"] == "field:Lens Mount" and mapping["ID"] == "-"
    assert "with Ada Lovelace in Snipe-IT" in unescape(reply.text)  # a note, not a loan
    assert store.asset("CAM-0101") is None


def test_the_preview_is_imported_as_shown_with_the_managers_choices(
    app: FastAPI, store: Store
) -> None:
    client, csrf = session_of(app)
    preview = _post(client, csrf, "assets", (EXPORTS / "snipe-it.csv").read_bytes())
    fields = _preview_form(preview.text)

    # the manager prefers Snipe-IT's current location as the home, and drops the company
    chosen = [
        *[f for f in fields if f[1] not in ("Location=field:Location", "Default Location=home")],
        ("map", "Location=home"),
        ("map", "Default Location=-"),
    ]
    again = _send(client, chosen, "preview")
    assert again.status_code == 200
    assert _mapping(again.text)["Location"] == "home"
    assert _mapping(again.text)["Default Location"] == "-"

    fields = [
        *[f for f in _preview_form(again.text) if f[1] != "Company=field:Company"],
        ("map", "Company=-"),
    ]
    done = _send(client, fields, "import")
    assert done.status_code == 303
    assert done.headers["location"] == "/assets?added=7&changed=0&unchanged=0"
    listing = client.get(done.headers["location"]).text
    assert "Imported: 7 added, 0 changed, 0 unchanged." in listing

    page = unescape(client.get("/a/CAM-0101").text)
    assert "Canon C70" in re.sub(r"\s+", " ", page)  # manufacturer and model
    assert "Lens Mount</dt><dd>RF</dd>" in page and "Company" not in page
    export = client.get("/assets?format=csv").text
    assert "field:Lens Mount" in export.splitlines()[0]

    reimport = _post(client, csrf, "assets", export.encode(), step="import")
    assert reimport.headers["location"] == "/assets?added=0&changed=0&unchanged=10"


def test_a_preview_with_refused_rows_names_them_and_offers_no_import(
    app: FastAPI, store: Store
) -> None:
    client, csrf = session_of(app)
    bad = (EXPORTS / "cheqroom.csv").read_bytes().replace(b"Expired", b"Gone fishing")

    reply = _post(client, csrf, "assets", bad)

    assert reply.status_code == 200
    problems = unescape(reply.text.split('id="import-problems"')[1].split("</ul>")[0])
    assert "line 5, Status: status 'Gone fishing' is not one Cheqroom uses here" in problems
    assert 'value="import"' not in reply.text.split('id="import-preview"')[1].split("</form>")[0]
    # an import of it anyway is refused whole, with the same reason
    refused = _post(client, csrf, "assets", bad, step="import")
    assert refused.status_code == 400 and "Nothing was imported" in refused.text
    assert store.asset("BMPCC6K01") is None


def test_a_hostile_cell_survives_the_preview_round_trip_as_text(app: FastAPI, store: Store) -> None:
    client, csrf = session_of(app)
    notes = "</textarea><script>alert(1)</script>\nsecond line"
    sheet = f'code,name,category,notes\nA-1,Tripod,Grip,"{notes}"\n'.encode()

    preview = _post(client, csrf, "assets", sheet)
    assert "<script>alert(1)" not in preview.text
    fields = [(k, v.replace("\n", "\r\n")) for k, v in _preview_form(preview.text)]
    assert _send(client, fields, "import").status_code == 303  # CRLF, as a browser sends it
    detail = store.asset_detail("A-1")
    assert detail is not None and detail.asset.notes == notes


def test_a_file_that_is_not_utf8_is_refused_and_not_sent_back(app: FastAPI) -> None:
    client, csrf = session_of(app)

    reply = _post(client, csrf, "assets", "code,name,category\nA,Café,C\n".encode("latin-1"))

    assert reply.status_code == 400 and "not UTF-8" in reply.text
    assert 'name="sheet"' not in reply.text


def test_people_are_previewed_and_imported_by_the_same_handler(app: FastAPI, store: Store) -> None:
    client, csrf = session_of(app)
    sheet = b"id,name,email,badges\ncy,Cy Young,cy@example.org,04C0C0C0\nada,Ada Lovelace,,\n"

    preview = _post(client, csrf, "people", sheet)
    assert "1 to add" in re.sub(r"<[^>]+>", "", preview.text)
    done = _post(client, csrf, "people", sheet, step="import")
    assert done.headers["location"] == "/people?added=1&changed=0&unchanged=1"


def test_in_chromium_a_manager_previews_then_imports(
    browser: Browser,
    app: FastAPI,
    store: Store,
) -> None:
    with served(app) as url:
        page = signed_in(browser, url, "manager", PASSWORD)
        page.goto(url + "/assets")
        page.set_input_files("input[name=file]", str(EXPORTS / "shelf.csv"))
        page.click("button[value=preview]")
        expect(page.locator("#import-summary")).to_contain_text("Read as a Shelf export")
        expect(page.locator("#import-summary")).to_contain_text("4 to add")
        assert store.asset("SAM-0001") is None
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing off screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for box in page.locator("#import-columns select").all():
            edge = box.bounding_box()
            assert edge is not None and edge["x"] + edge["width"] <= 390
        expect(page.locator("#import-columns")).to_contain_text("M3-00991")  # a first value
        page.select_option("select[aria-label='Where Tags goes']", "Tags=-")
        page.click("#import-preview button[value=import]")
        expect(page.locator("#imported")).to_have_text("Imported: 4 added, 0 changed, 0 unchanged.")
        page.goto(url + "/a/SAM-0001")
        expect(page.locator("dl.facts")).to_contain_text("Serial Number")
        expect(page.locator("dl.facts")).not_to_contain_text("aerial")  # Tags left out
        page.close()
