"""What is out, a page at a time (the page and the API, by keyset cursors and links), and the
CSV downloads written as they are read, a chunk at a time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.sheets import parse_assets
from hub.store import Store
from hub.store import views as store_views
from tests.web.conftest import PASSWORD, Clock, checkout
from tests.web.served import client_of

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CODES = [f"TRI-{n:04d}" for n in range(7)]


def _client(app: FastAPI) -> TestClient:
    return client_of(app, "manager", PASSWORD)


@pytest.fixture
def lent(store: Store, clock: Clock) -> list[str]:
    """Seven tripods out, two of them due at the same time (the asset code breaks the tie),
    in the order the list shows them."""
    for n, code in enumerate(CODES):
        store.add_asset(code, f"Tripod {n}", "grip")
        hours = {0: 5, 1: 3, 2: 3, 3: 9, 4: 1, 5: 7, 6: 2}[n]
        checkout(store, clock, code, hours=hours, seq=n + 1)
    return ["TRI-0004", "TRI-0006", "TRI-0001", "TRI-0002", "TRI-0000", "TRI-0005", "TRI-0003"]


def _rows(html: str) -> list[str]:
    table = html.split('id="items-out"')[1].split("</table>")[0]
    return re.findall(r'data-asset="([^"]+)"', table)


def _link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_the_page_walks_the_list_forward_and_back(app: FastAPI, lent: list[str]) -> None:
    client = _client(app)
    seen: list[list[str]] = []
    url: str | None = "/out?limit=3"
    while url is not None:
        html = client.get(url).text
        seen.append(_rows(html))
        assert '<span class="count">7</span>' in html  # the whole count on every page
        url = _link(html, "next")
    assert seen == [lent[:3], lent[3:6], lent[6:]]
    back = _link(html, "prev")
    assert back is not None
    html = client.get(back).text
    assert _rows(html) == lent[3:6]
    first = _link(html, "prev")
    assert first is not None
    assert _rows(client.get(first).text) == lent[:3]
    assert _link(client.get(first).text, "prev") is None


def test_the_api_pages_by_its_link_header(app: FastAPI, lent: list[str], clock: Clock) -> None:
    client = _client(app)
    got: list[str] = []
    url: str | None = "/api/v1/items-out?limit=2"
    pages = 0
    while url is not None:
        reply = client.get(url)
        assert reply.status_code == 200
        got += [item["asset"] for item in reply.json()]
        pages += 1
        url = reply.links.get("next", {}).get("url")
    assert got == lent and pages == 4
    clock.now += timedelta(hours=4)  # four are late by now
    client = _client(app)  # the idle session has ended meanwhile: signed in again
    late = client.get("/api/v1/items-out?overdue=true&limit=2")
    assert [i["asset"] for i in late.json()] == lent[:2]
    rest = client.get(late.links["next"]["url"])
    assert [i["asset"] for i in rest.json()] == lent[2:4] and "next" not in rest.links
    assert "overdue=true" in late.links["next"]["url"]
    old_style = client.get("/api/v1/items-out?limit=2&offset=2").json()  # still understood
    assert [i["asset"] for i in old_style] == lent[2:4]


def test_page_sizes_and_cursors_are_checked(app: FastAPI, lent: list[str]) -> None:
    client = _client(app)
    assert client.get("/api/v1/items-out?limit=501").status_code == 422
    assert client.get("/out?limit=501").status_code == 422
    reply = client.get("/api/v1/items-out?after=yesterday")
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["query", "after"]
    assert client.get("/out?before=yesterday").status_code == 422


def test_the_openapi_document_describes_the_paging(app: FastAPI) -> None:
    doc = _client(app).get("/api/v1/openapi.json").json()
    route = doc["paths"]["/api/v1/items-out"]["get"]
    params = {p["name"]: p for p in route["parameters"]}
    assert {"limit", "after", "before", "overdue", "offset"} <= params.keys()
    assert params["limit"]["schema"]["maximum"] == 500
    assert params["offset"].get("deprecated") is True
    assert "Link" in route["responses"]["200"]["headers"]


def test_exports_are_streamed_in_chunks_and_hold_every_row(
    app: FastAPI, store: Store, lent: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_views, "EXPORT_CHUNK", 2)  # many chunks from a small registry
    client = _client(app)
    with client.stream("GET", "/out?format=csv") as reply:
        assert reply.headers["content-type"].startswith("text/csv")
        assert "content-length" not in reply.headers  # sent as it is written
        body = b"".join(reply.iter_bytes()).decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("asset,asset_name,category")
    assert [line.split(",")[0] for line in lines[1:]] == lent
    assets = client.get("/assets?format=csv").content
    parsed = parse_assets(assets)  # the registry's import reads the export back
    assert [row.code for row in parsed] == sorted(["CAM-0001", "CAM-0002", "LENS-0001", *CODES])
    people = client.get("/people?format=csv").content.decode("utf-8-sig").splitlines()
    assert people[0] == "id,name,email,badges,groups,staff"
    assert [line.split(",")[0] for line in people[1:]] == ["ada", "eve"]
    assert "04A1B2C3" in people[1] and "0EEEEEEE" in people[2]
    audit = client.get("/audit?format=csv").content.decode("utf-8-sig").splitlines()
    assert audit[0] == "at,actor,action,target,detail"
