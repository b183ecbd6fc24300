"""Spreadsheet imports and label PDFs: done off the event loop (the dashboard keeps answering
while a large import runs) and refused with a clear message past their limits, with nothing
imported."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.store import Store
from hub.web.app import WebSettings, create_app
from tests.web.conftest import PASSWORD, Clock, serving, session_of
from tests.web.served import csrf_of

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
WAIT = 30.0  # seconds an awaited event may take on a loaded machine before the test fails


def _people_csv(count: int) -> bytes:
    lines = ["id,name,email,badges"]
    lines += [f"p{n:06d},Person {n},p{n}@example.edu,{0x10000000 + n:08X}" for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


class _Heard(logging.Handler):
    """Sets an event when the dashboard logs a line starting with ``prefix``."""

    def __init__(self, prefix: str) -> None:
        super().__init__(logging.INFO)
        self.prefix = prefix
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.prefix):
            self.event.set()


@pytest.fixture
def heard() -> Iterator[_Heard]:
    handler = _Heard("importing people")
    log = logging.getLogger("hub.web.imports")
    level = log.level
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    yield handler
    log.removeHandler(handler)
    log.setLevel(level)


def _signed_in(base: str) -> tuple[httpx.Client, str]:
    """A manager's browser session (a session reads the database only; a token's use is
    recorded, which would wait for the held database below)."""
    client = httpx.Client(base_url=base, timeout=WAIT)
    token = csrf_of(client.get("/login").text)
    reply = client.post("/login", data={"username": "manager", "password": PASSWORD, "csrf": token})
    assert reply.status_code == 303
    return client, csrf_of(client.get("/people").text)


def test_the_dashboard_answers_while_a_large_import_runs(
    app: FastAPI, store: Store, clock: Clock, tmp_path: Path, heard: _Heard
) -> None:
    """The import is held inside the database by another writer (as a busy hub would hold
    it); meanwhile other requests are answered, and the import then completes whole."""
    rows = 2_000
    blocker = sqlite3.connect(tmp_path / "hub.db", isolation_level=None, timeout=WAIT)
    imported: dict[str, httpx.Response] = {}
    with serving(app) as base:
        client, csrf = _signed_in(base)

        def upload() -> None:
            imported["reply"] = client.post(
                "/people/import",
                data={"csrf": csrf},
                files={"file": ("people.csv", _people_csv(rows), "text/csv")},
                timeout=WAIT * 2,
            )

        blocker.execute("BEGIN IMMEDIATE")  # holds the write lock the import needs
        try:
            worker = threading.Thread(target=upload)
            worker.start()
            assert heard.event.wait(WAIT), "the import never started"
            assert httpx.get(f"{base}/healthz", timeout=WAIT).status_code == 200
            assert client.get("/api/v1/kiosks").status_code == 200
            assert "reply" not in imported, "the import finished while the database was held"
        finally:
            blocker.execute("ROLLBACK")
        worker.join(WAIT * 2)
        client.close()
    assert imported["reply"].status_code == 303
    assert imported["reply"].headers["location"] == f"/people?added={rows}&changed=0&unchanged=0"
    assert store.person_detail("p001999", clock()) is not None


def _limited(store: Store, clock: Clock, **limits: int) -> FastAPI:
    return create_app(store, WebSettings(secret_key="k" * 40, **limits), clock)  # type: ignore[arg-type]


def _import(client: TestClient, csrf: str, kind: str, data: bytes) -> httpx.Response:
    reply: httpx.Response = client.post(
        f"/{kind}/import",
        data={"csrf": csrf},
        files={"file": (f"{kind}.csv", data, "text/csv")},
        follow_redirects=False,
    )
    return reply


def test_an_upload_over_the_size_limit_is_refused_and_nothing_imported(
    store: Store, clock: Clock
) -> None:
    app = _limited(store, clock, max_import_bytes=4096)
    client, csrf = session_of(app)
    small = _people_csv(20)
    assert len(small) < 4096
    assert _import(client, csrf, "people", small).status_code == 303
    for size in (400, 40_000):  # past the limit; far past it (refused from its length)
        reply = _import(client, csrf, "people", _people_csv(size))
        assert reply.status_code == 400
        assert "larger than 4 KB, the most one import takes here" in reply.text
    assert store.person_detail("p000399", clock()) is None
    assert store.person_detail("p000019", clock()) is not None


def test_an_upload_over_the_row_limit_is_refused_whole(store: Store, clock: Clock) -> None:
    app = _limited(store, clock, max_import_rows=100)
    client, csrf = session_of(app)
    reply = _import(client, csrf, "people", _people_csv(101))
    assert reply.status_code == 400
    assert "more than 100 rows, the most one import takes here" in reply.text
    assert store.person_detail("p000000", clock()) is None
    assets = b"code,name,category\n" + b"".join(b"X-%04d,Thing,misc\n" % n for n in range(101))
    reply = _import(client, csrf, "assets", assets)
    assert reply.status_code == 400 and "more than 100 rows" in reply.text
    assert _import(client, csrf, "assets", assets.rsplit(b"X-0100", 1)[0]).status_code == 303


def test_a_file_of_bad_rows_lists_the_first_problems_and_counts_the_rest(
    app: FastAPI, clock: Clock
) -> None:
    client, csrf = session_of(app)
    bad = b"id,name,email\n" + b"".join(b"p%d,Name,not-an-email\n" % n for n in range(500))
    reply = _import(client, csrf, "people", bad)
    assert reply.status_code == 400
    assert "and 400 more problems like these" in reply.text


def test_a_label_pdf_over_the_limit_says_how_to_print_it(store: Store, clock: Clock) -> None:
    for n in range(4):
        store.add_asset(f"TRI-{n:04d}", "Tripod", "grip")
    app = _limited(store, clock, max_labels=3)
    client, csrf = session_of(app, "viewer")
    form = {"csrf": csrf, "stock": "L7160"}
    reply = client.post("/labels", data={**form, "category": "grip"})
    assert reply.status_code == 400
    assert "That is 4 labels; one PDF holds at most 3." in reply.text
    codes = "TRI-0000 TRI-0001 TRI-0002"
    reply = client.post("/labels", data={**form, "codes": codes})
    assert reply.status_code == 200 and reply.content.startswith(b"%PDF")


def test_skipping_more_labels_than_a_sheet_has_is_explained(app: FastAPI) -> None:
    client, csrf = session_of(app, "viewer")
    form = {"csrf": csrf, "stock": "L7651", "codes": "CAM-0001", "start_at": "100"}
    reply = client.post("/labels", data=form)
    assert reply.status_code == 400
    assert "A L7651 sheet has 65 labels: skip fewer than that." in reply.text


def test_a_malformed_upload_is_explained_not_a_server_error(app: FastAPI) -> None:
    client, csrf = session_of(app)
    client = TestClient(app, raise_server_exceptions=False, cookies=client.cookies)
    broken = {"content-type": "multipart/form-data; boundary=x"}
    for kind in ("people", "assets"):
        cases = [
            ({}, "send the file from the import form"),
            ({"data": {"csrf": csrf}}, "send the file from the import form"),
            ({"content": b"--x\r\nbroken", "headers": broken}, "choose a CSV file to import"),
        ]
        for request, said in cases:
            reply = client.post(f"/{kind}/import", **request)  # type: ignore[arg-type]
            assert reply.status_code == 400 and said in reply.text, (kind, request)
