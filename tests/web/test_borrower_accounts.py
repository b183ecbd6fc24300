"""Borrower accounts: a person's own sign-in lands on their page, and no dashboard page, API
route or staff action opens to it; an account with no password of ours cannot use the password
form at all."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI

from hub.cli import cli
from hub.errors import AlreadyExists, NotFound
from hub.store import Store
from hub.web.auth import Role, create_user, sign_up_external
from hub.web.login import REFUSED
from tests.web.conftest import PASSWORD, Clock
from tests.web.routes import api_routes, needed_role
from tests.web.served import served, sign_in
from tests.web.test_sessions import _cli_config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _borrower(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    reply = sign_in(client, "ada.l", PASSWORD)
    assert reply.status_code == 303 and reply.headers["location"] == "/me", reply.text[:300]
    return client


def test_a_borrower_lands_on_their_page_and_no_staff_page_opens(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    create_user(store, "ada.l", PASSWORD, "borrower", clock(), person="ada")
    with served(app) as url:
        ada = _borrower(url)
        pages = [
            path
            for path, route in api_routes(app)
            if "GET" in (route.methods or ())
            and not path.startswith("/api/")
            and "{" not in path
            and needed_role(route.dependant) not in (None, Role.BORROWER)
        ]
        assert len(pages) >= 15
        for path in pages:
            reply = ada.get(path)
            assert reply.status_code == 303 and reply.headers["location"] == "/me", path
        api = ada.get("/api/v1/items-out")
        assert api.status_code == 403 and "viewer" in api.json()["error"]


def test_a_borrower_account_names_a_person_once(store: Store, clock: Clock) -> None:
    with pytest.raises(ValueError, match="person"):
        create_user(store, "nobody", PASSWORD, "borrower", clock())
    with pytest.raises(NotFound, match="zed"):
        create_user(store, "zed", PASSWORD, "borrower", clock(), person="zed")
    create_user(store, "ada.l", PASSWORD, "borrower", clock(), person="ada")
    with pytest.raises(AlreadyExists, match="ada"):
        create_user(store, "ada.two", PASSWORD, "borrower", clock(), person="ada")
    assert store.get_user("ada.two") is None
    found = store.user_of_person("ada")
    assert found is not None and (found.username, found.role) == ("ada.l", Role.BORROWER)
    with pytest.raises(ValueError, match="person"):
        store.set_user_role("viewer", "borrower", clock(), "admin")
    with pytest.raises(ValueError, match="cages"):
        create_user(
            store, "eve.b", PASSWORD, "borrower", clock(), cages=["Film cage"], person="eve"
        )


def test_an_identity_provider_s_account_never_opens_with_a_password(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    sign_up_external(store, "ada.l", "borrower", "ada", clock(), "oidc:test")
    with served(app) as url:
        for tried in ("", PASSWORD, "None"):
            reply = sign_in(httpx.Client(base_url=url, timeout=30), "ada.l", tried)
            assert reply.status_code in (401, 422) and (
                reply.status_code == 422 or REFUSED in reply.text
            )
    assert [e.action for e in store.audit_entries() if e.target == "ada.l"] == ["user.add"]


def test_the_shell_makes_a_borrower_account_only_for_a_person(tmp_path: Path, store: Store) -> None:
    config = _cli_config(tmp_path, str(store.engine.url))
    runner = CliRunner()
    add = ["-c", str(config), "user", "add", "ada.l", "--role", "borrower"]
    refused = runner.invoke(cli, add)
    assert refused.exit_code != 0 and "--person" in refused.output
    made = runner.invoke(cli, [*add, "--person", "ada", "--password-stdin"], input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    assert "ada.l (borrower, ada) created" in made.output
    assert store.user_of_person("ada") is not None
