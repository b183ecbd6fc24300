"""The editing forms over real HTTP: roles and CSRF guard them, bad input is a clear 400 with
what was typed kept and nothing stored (never a 500), and a refused change leaves no audit
entry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
from fastapi import FastAPI

from hub.store import Store
from tests.web.conftest import PASSWORD
from tests.web.served import page_csrf, served, signed_in


@pytest.fixture
def url(app: FastAPI) -> Iterator[str]:
    with served(app) as base:
        yield base


def _post(client: httpx.Client, path: str, form: dict[str, str]) -> httpx.Response:
    return client.post(path, data=form, headers={"Origin": str(client.base_url).rstrip("/")})


def test_each_page_needs_its_role(url: str) -> None:
    with closing(signed_in(url, "viewer", PASSWORD)) as viewer:
        for path in ("/assets/new", "/people/new", "/a/CAM-0001/edit", "/locations", "/users"):
            assert viewer.get(path).status_code == 403, path
    with closing(signed_in(url, "manager", PASSWORD)) as manager:
        assert manager.get("/users").status_code == 403
        csrf = page_csrf(manager, "/assets")
        form = {"csrf": csrf, "username": "x.y", "role": "admin", "password": "p" * 20}
        assert _post(manager, "/users", form).status_code == 403


def test_a_form_without_its_csrf_token_changes_nothing(url: str, store: Store) -> None:
    with closing(signed_in(url, "manager", PASSWORD)) as manager:
        form = {"code": "NEW-1", "name": "New", "category": "camera"}
        assert _post(manager, "/assets/new", form).status_code == 403
        assert _post(manager, "/assets/new", {**form, "csrf": "forged"}).status_code == 403
        assert _post(manager, "/a/CAM-0001/pieces", {"pieces": "LENS-0001"}).status_code == 403
    assert store.asset("NEW-1") is None
    assert store.asset_detail("CAM-0001").pieces == []  # type: ignore[union-attr]


def test_bad_input_is_explained_and_kept(url: str, store: Store) -> None:
    with closing(signed_in(url, "manager", PASSWORD)) as manager:
        csrf = page_csrf(manager, "/assets/new")
        form = {
            "csrf": csrf,
            "code": "CAM-0001",
            "name": "N" * 5000,
            "category": "camera",
            "acquired": "the last day of 2025",
            "home": "Narnia",
            "notes": "keep <me>",
        }
        reply = _post(manager, "/assets/new", form)
        assert reply.status_code == 400
        for said in ("at most 200 fit", "must be a date such as", "not on the list of locations"):
            assert said in reply.text, said
        assert "keep &lt;me&gt;" in reply.text  # what was typed comes back, escaped

        form.update(name="Canon again", acquired="2025-12-31", home="")
        reply = _post(manager, "/assets/new", form)
        assert reply.status_code == 400 and "there is an asset CAM-0001 already" in reply.text
        assert store.asset("CAM-0001").name == "Canon C70"  # type: ignore[union-attr]

        reply = _post(manager, "/people/new", {"csrf": csrf, "id": "new", "name": "N. Ew"})
        assert reply.status_code == 400 and "kept for the dashboard" in reply.text
        reply = _post(manager, "/people/new", {"csrf": csrf, "id": "ada", "name": "Again"})
        assert reply.status_code == 400 and "there is a person &#39;ada&#39; already" in reply.text
        reply = _post(manager, "/people/nobody/edit", {"csrf": csrf, "name": "Who"})
        assert reply.status_code == 404
        reply = _post(manager, "/a/CAM-0001/pieces", {"csrf": csrf, "pieces": "CAM-0001"})
        assert reply.status_code == 400 and "cannot be a piece of itself" in reply.text
    assert [e.action for e in store.audit_entries()] == []  # nothing was changed


def test_an_admin_cannot_lock_themselves_out(url: str, store: Store) -> None:
    with closing(signed_in(url, "admin", PASSWORD)) as admin:
        csrf = page_csrf(admin, "/users")
        reply = _post(admin, "/users/admin/access", {"csrf": csrf, "role": "viewer"})
        assert reply.status_code == 400 and "cannot take the admin role" in reply.text
        reply = _post(admin, "/users/admin/disable", {"csrf": csrf, "disabled": "true"})
        assert reply.status_code == 400
        reply = _post(admin, "/users/manager/access", {"csrf": csrf, "role": "root"})
        assert reply.status_code == 400
        reply = _post(admin, "/users/ghost/disable", {"csrf": csrf, "disabled": "true"})
        assert reply.status_code == 404
    user = store.login_user("admin")
    assert user is not None and user.role == "admin" and not user.disabled
