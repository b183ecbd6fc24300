"""The desk's audit entries commit with the visit's events: when the audit log cannot be
written, the desk says nothing was recorded, and indeed nothing was lent; confirmed again once
the database is well, the loan and its audit entries are there together."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from hub.store import Store
from hub.web.app import WebSettings, create_app
from tests.integration.test_unit_of_work import audit_log_down
from tests.web.conftest import PASSWORD, Clock
from tests.web.served import client_of
from tests.web.test_desk import Desk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def counter(store: Store, clock: Clock) -> Iterator[Desk]:
    app = create_app(store, WebSettings(secret_key="k" * 40), clock)
    yield Desk(client_of(app, "manager", PASSWORD))


def _desk_audit(store: Store) -> list[tuple[str, str | None]]:
    return [(e.action, e.detail) for e in store.audit_entries() if e.action.startswith("desk.")]


def test_a_visit_whose_audit_entry_fails_lends_nothing_and_says_so(
    counter: Desk, store: Store
) -> None:
    store.block_person("ada", None, "lost a lens", Clock()(), "admin")
    counter.find("04A1B2C3")
    counter.scan("CAM-0001")
    assert counter.override("CAM-0001", "thesis shoot, approved by the head").status_code == 303
    with audit_log_down(store):
        failed = counter.confirm()
    assert failed.status_code == 409
    assert re.search(r"nothing was recorded", failed.text)
    assert store.items_out() == [] and _desk_audit(store) == []
    assert [r.type for r in store.ledger_rows("desk")] == ["denied"]  # the scan, before

    assert counter.confirm().status_code == 303
    assert [(o.asset, o.person) for o in store.items_out()] == [("CAM-0001", "ada")]
    assert sorted(_desk_audit(store)) == [
        ("desk.override", "lent to ada despite blocked: thesis shoot, approved by the head"),
        ("desk.visit", "1 lent, 0 back for ada"),
    ]
