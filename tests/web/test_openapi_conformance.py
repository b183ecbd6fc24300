"""The API answers as its OpenAPI document says: schemathesis generates requests from the
document (valid and invalid) against the real hub app on a real port with a real SQLite
database, signed in with a manager's API token, and finds no server error and no response the
document does not describe. Bounded: a fixed seed and a few examples per operation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from hub.store import Store
from tests.web.conftest import Clock, checkout, serving

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SCHEMATHESIS = Path(sys.executable).with_name("st")
EXAMPLES = 15  # per operation and phase
SEED = 20260302
# JSON Schema cannot say "ends after starts" nor bound a date-time, so a schema-valid booking
# may still be refused with the documented 422; every other status stays checked.
CONFIG = """
request-timeout = 20.0

[[operations]]
include-path = "/api/v1/bookings"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "400", "401", "403", "404", "409", "422",
]
"""


def test_schemathesis_finds_no_server_error_and_no_undocumented_response(
    app: FastAPI, store: Store, clock: Clock, tmp_path: Path
) -> None:
    checkout(store, clock, "CAM-0001")
    token = store.add_token("conformance", "manager", "admin", clock())
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    report = tmp_path / "report.json"
    with serving(app) as base:
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "--config-file",
                str(config),
                "run",
                f"{base}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                str(SEED),
                "--workers",  # one: parallel workers tripped a thread-safety bug in the generator
                "1",
                "--exclude-path",  # endless server-sent events: a request never completes
                "/api/v1/feed",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    summary = json.loads(report.read_text())
    detail = run.stdout[-6000:]
    assert summary["failures"] == [], detail
    assert summary["errors"] == [], detail
    assert summary["operations"]["tested"] == summary["operations"]["selected"] >= 10, detail
    assert summary["test_cases"]["generated"] >= 100, detail
    assert run.returncode == 0, detail


def test_an_unsupported_method_names_every_method_of_the_path(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    token = store.add_token("conformance", "manager", "admin", clock())
    with serving(app) as base:
        reply = httpx.request(
            "PUT", f"{base}/api/v1/bookings", headers={"Authorization": f"Bearer {token}"}
        )
        page = httpx.request("PATCH", f"{base}/people/ada/block")
    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET, HEAD, POST"
    assert page.status_code == 405 and page.headers["allow"] == "POST"


def test_errors_come_in_the_documented_shapes(app: FastAPI, store: Store, clock: Clock) -> None:
    token = store.add_token("conformance", "manager", "admin", clock())
    auth = {"Authorization": f"Bearer {token}"}
    with serving(app) as base:
        doc = httpx.get(f"{base}/api/v1/openapi.json", headers=auth).json()
        missing = httpx.get(f"{base}/api/v1/people/nobody", headers=auth)
        garbled = httpx.post(
            f"{base}/api/v1/bookings",
            headers={**auth, "Content-Type": "application/json"},
            content=b"{not json",
        )
        empty = httpx.post(
            f"{base}/api/v1/bookings",
            headers=auth,
            json={
                "asset": "CAM-0002",
                "person": "ada",
                "starts": "2026-03-03T09:00:00Z",
                "ends": "2026-03-03T09:00:00Z",
            },
        )
    assert missing.status_code == 404 and missing.json() == {"detail": "no person nobody"}
    assert "404" in doc["paths"]["/api/v1/people/{person_id}"]["get"]["responses"]
    assert garbled.status_code in (400, 422)
    assert str(garbled.status_code) in doc["paths"]["/api/v1/bookings"]["post"]["responses"]
    assert empty.status_code == 422
    assert empty.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "ends"],
            "msg": "a booking must end after it starts",
            "input": None,
        }
    ]
