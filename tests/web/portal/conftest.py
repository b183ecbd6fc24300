"""The portal's tests share one cage: Ada and Eve with their loans, and the portal app over it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from hub.store import Store
from tests.web.conftest import Clock
from tests.web.portal.world import lent_to_ada_and_eve, portal_app


@pytest.fixture
def cage(store: Store, clock: Clock) -> Store:
    return lent_to_ada_and_eve(store, clock)


@pytest.fixture
def portal(cage: Store, clock: Clock) -> FastAPI:
    return portal_app(cage, clock)
