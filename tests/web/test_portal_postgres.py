"""Two hub processes on one PostgreSQL database renewing the same loan for the same student
at once (a form sent to both behind a load balancer): both decide from the same loan and make
the same events, so the loan is renewed once, by one loan period; the portal's source is
registered once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.portal.renewing import PORTAL_ID, extensions, portal_source
from hub.store import Store
from hub.store.schema import holdings, ledger
from tests.web.conftest import Clock, checkout

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def two_hubs(pg_stores: tuple[Store, Store], clock: Clock) -> tuple[Store, Store]:
    first = pg_stores[0]
    first.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    first.add_asset("CAM-0001", "Canon C70", "camera")
    first.set_loan_hours("camera", 48)
    first.add_kiosk("cage-1", "Film cage", clock())
    checkout(first, clock, "CAM-0001", hours=5)
    return pg_stores


def test_two_hubs_renewing_one_loan_at_once_renew_it_once(
    two_hubs: tuple[Store, Store], clock: Clock
) -> None:
    a, b = two_hubs
    # both read the loan before either records
    seen = [[ln.held for ln in s.my_loans("ada", clock())] for s in (a, b)]
    due = seen[0][0].due + timedelta(hours=48)
    for store, loans in zip((a, b), seen, strict=True):
        portal_source(store).record(extensions("ada", loans, due), "portal-x", None, clock())
    with a.engine.connect() as conn:
        row = conn.execute(select(holdings).where(holdings.c.asset == "CAM-0001")).one()
        extends = conn.execute(select(ledger.c.kiosk).where(ledger.c.type == "extend")).all()
    assert (row.due, row.renewals) == (due, 1)
    assert [k for (k,) in extends] == [PORTAL_ID]
    assert [k.id for k in a.kiosk_views()].count(PORTAL_ID) == 1
