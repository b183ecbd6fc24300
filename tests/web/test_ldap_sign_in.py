"""Signing in with a directory account through the login form, against a real slapd: the
local account first, then LDAP (StartTLS, a service account's search, memberOf groups)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect
from sqlalchemy import update

from hub.identity.directory import Directory, DirectoryUnavailable
from hub.identity.settings import IdentitySection, LdapSection, Mapping
from hub.store import Store
from hub.store.audit import AuditFilter
from hub.store.schema import people as people_table
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user, sign_up_external
from hub.web.sessions import COOKIE
from tests.identity_servers import (
    SERVICE_DN,
    SERVICE_PASSWORD,
    SUFFIX,
    Slapd,
    group_ldif,
    person_ldif,
    slapd,
)
from tests.web.conftest import PASSWORD, Clock
from tests.web.served import served, sign_in

SAM = "sam's directory password"
OTHER = "someone else's password"


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    with slapd(tmp_path_factory.mktemp("slapd")) as server:
        server.add(
            person_ldif("sam", "sam@uni.example", SAM, number="s1001")
            + person_ldif("pat", "pat@uni.example", OTHER)
            + person_ldif("nobody", "nobody@uni.example", OTHER, number="s9999")
            + person_ldif("dee", "dee@uni.example", OTHER, number="s1002")
            + person_ldif("viv", "viv@uni.example", OTHER)
            + group_ldif("film-students", "sam", "dee")
            + group_ldif("cage-staff", "pat")
        )
        yield server


def ldap_section(server: Slapd, secret: Path, **changes: object) -> LdapSection:
    secret.write_text(SERVICE_PASSWORD + "\n")
    fields: dict[str, object] = {
        "name": "campus directory",
        "servers": [server.url],
        "starttls": True,
        "ca_file": server.pki.ca_file,
        "bind_dn": SERVICE_DN,
        "bind_password_file": secret,
        "search_base": f"ou=people,{SUFFIX}",
        "person_attribute": "employeeNumber",
        "mapping": Mapping(
            match="id",
            staff_groups={"cage-staff": "manager"},
            existing_users=True,
            sync_groups=True,
        ),
    }
    fields.update(changes)
    return LdapSection.model_validate(fields)


@pytest.fixture
def people(store: Store, clock: Clock) -> Store:
    store.add_person("s1001", "Sam Student", ["0A0A0A01"])
    store.add_person("s1002", "Dee Disabled", ["0A0A0A02"])
    sign_up_external(store, "s1002", "borrower", "s1002", clock(), by="test")
    store.set_user_disabled("s1002", True, clock(), "admin")
    create_user(store, "viv", PASSWORD, "viewer", clock())
    return store


@pytest.fixture
def ldap_app(people: Store, clock: Clock, directory: Slapd, tmp_path: Path) -> FastAPI:
    section = ldap_section(directory, tmp_path / "bind-password")
    settings = WebSettings(secret_key="k" * 40, identity=IdentitySection(ldap=section))
    return create_app(people, settings, clock)


def _signed_in_as(store: Store, client: httpx.Client, clock: Clock) -> tuple[str, str]:
    found = store.web_session(client.cookies[COOKIE], clock(), WebSettings("k").session_limits)
    assert found is not None
    return found.username, found.role


def test_a_student_signs_in_with_their_directory_password_as_a_borrower(
    ldap_app: FastAPI, people: Store, clock: Clock
) -> None:
    with served(ldap_app) as url, httpx.Client(base_url=url) as client:
        reply = sign_in(client, "sam", SAM)
        assert reply.status_code == 303 and reply.headers["location"] == "/me"
        assert _signed_in_as(people, client, clock) == ("s1001", "borrower")
        user = people.get_user("s1001")
        assert user is not None and user.person == "s1001" and user.password_hash is None
        assert _groups_of(people, "s1001") == ["film-students"]  # from memberOf
        entry = people.audit_page(AuditFilter(action="user.sign_in"))[0]
        assert entry.action == "user.sign_in" and "campus directory" in (entry.detail or "")

        # a second sign-in finds the same account: nothing new is made
        client.cookies.clear()
        assert sign_in(client, "SAM", SAM).headers["location"] == "/me"
        assert [u.username for u in people.user_list()].count("s1001") == 1


def test_staff_group_and_existing_user_sign_in_with_their_own_roles(
    ldap_app: FastAPI, people: Store, clock: Clock
) -> None:
    with served(ldap_app) as url, httpx.Client(base_url=url) as client:
        reply = sign_in(client, "pat", OTHER)
        assert reply.status_code == 303 and reply.headers["location"] == "/"
        assert _signed_in_as(people, client, clock) == ("pat", "manager")
        client.cookies.clear()
        reply = sign_in(client, "viv", OTHER)  # the directory's password, not the local one
        assert reply.headers["location"] == "/"
        assert _signed_in_as(people, client, clock) == ("viv", "viewer")
        client.cookies.clear()
        assert sign_in(client, "viv", PASSWORD).headers["location"] == "/"  # local still works


@pytest.mark.parametrize(
    ("login", "password", "status", "said"),
    [
        ("sam", "not sam's password", 401, "Wrong username or password"),
        ("nobody-here", OTHER, 401, "Wrong username or password"),
        ("s*", SAM, 401, "Wrong username or password"),  # a filter, not a wildcard
        ("sam)(uid=*", SAM, 401, "Wrong username or password"),
        ("nobody", OTHER, 403, "is not a person this cage knows"),
        ("dee", OTHER, 403, "is disabled"),
    ],
)
def test_refusals_say_why_and_make_nothing(
    ldap_app: FastAPI, people: Store, login: str, password: str, status: int, said: str
) -> None:
    users = people.user_list()
    with served(ldap_app) as url, httpx.Client(base_url=url) as client:
        reply = sign_in(client, login, password)
        assert reply.status_code == status, reply.text[:300]
        assert said in reply.text
        assert COOKIE not in client.cookies
    assert people.user_list() == users
    assert _groups_of(people, "s1001") == []


def test_a_wrong_directory_password_counts_towards_the_lockout(
    ldap_app: FastAPI, people: Store
) -> None:
    with served(ldap_app) as url, httpx.Client(base_url=url) as client:
        for _ in range(10):
            assert sign_in(client, "sam", "a guess").status_code == 401
        reply = sign_in(client, "sam", SAM)  # now right, but the account is paused
        assert reply.status_code == 401
    assert people.get_user("s1001") is None


def test_an_empty_password_is_never_an_anonymous_bind(directory: Slapd, tmp_path: Path) -> None:
    checked = Directory(ldap_section(directory, tmp_path / "pw"), SERVICE_PASSWORD)
    assert checked.check("sam", "").account is None
    assert checked.check("sam", SAM).account is not None


def test_ldaps_with_the_ca_and_a_dn_template(directory: Slapd, tmp_path: Path) -> None:
    section = ldap_section(
        directory,
        tmp_path / "pw",
        servers=[directory.tls_url],
        starttls=False,
        bind_dn=None,
        bind_password_file=None,
        search_base=None,
        user_dn_template=f"uid={{username}},ou=people,{SUFFIX}",
    )
    found = Directory(section, None).check("sam", SAM).account
    assert found is not None and found.person_key == "s1001"
    assert found.groups == ("film-students",)
    assert Directory(section, None).check("sam", "wrong").account is None


def test_a_server_whose_certificate_is_not_trusted_is_not_asked(
    directory: Slapd, tmp_path: Path
) -> None:
    other_ca = tmp_path / "system-ca.pem"
    other_ca.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
    section = ldap_section(directory, tmp_path / "pw", ca_file=other_ca)
    with pytest.raises(DirectoryUnavailable):
        Directory(section, SERVICE_PASSWORD).check("sam", SAM)


def test_a_directory_that_is_down_is_said_and_local_accounts_still_work(
    people: Store, clock: Clock, directory: Slapd, tmp_path: Path
) -> None:
    section = ldap_section(directory, tmp_path / "pw", servers=["ldap://127.0.0.1:1"])
    settings = WebSettings(secret_key="k" * 40, identity=IdentitySection(ldap=section))
    with served(create_app(people, settings, clock)) as url, httpx.Client(base_url=url) as client:
        reply = sign_in(client, "sam", SAM)
        assert reply.status_code == 503
        assert "could not be asked to check your password" in reply.text
        assert sign_in(client, "viv", PASSWORD).headers["location"] == "/"


def _groups_of(store: Store, person: str) -> list[str]:
    """The groups sign-in gave them (kept apart from the registry's)."""
    return list(store.person_groups(person).provider)


@pytest.mark.browser
def test_in_chromium_a_directory_user_signs_in_through_the_login_form(
    browser: Browser,
    ldap_app: FastAPI,
    people: Store,
    clock: Clock,
) -> None:
    with served(ldap_app) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/login")
        page.fill("input[name=username]", "nobody")
        page.fill("input[name=password]", OTHER)
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_contain_text("is not a person this cage knows")
        page.fill("input[name=username]", "sam")
        page.fill("input[name=password]", "not sam's password")
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_contain_text("Wrong username or password")
        page.fill("input[name=username]", "sam")
        page.fill("input[name=password]", SAM)
        page.click("button[type=submit]")
        expect(page).to_have_url(url + "/me")
        token = next(c.get("value") for c in context.cookies() if c.get("name") == COOKIE)
        assert token is not None
        found = people.web_session(token, clock(), WebSettings("k").session_limits)
        assert found is not None and (found.username, found.role) == ("s1001", "borrower")
        context.close()


def test_a_person_no_longer_active_is_refused_even_when_linked_before(
    ldap_app: FastAPI, people: Store
) -> None:
    with served(ldap_app) as url, httpx.Client(base_url=url) as client:
        assert sign_in(client, "sam", SAM).headers["location"] == "/me"
        with people.engine.begin() as conn:  # no dashboard form retires a person yet
            conn.execute(
                update(people_table).where(people_table.c.id == "s1001").values(active=False)
            )
        client.cookies.clear()
        reply = sign_in(client, "sam", SAM)
        assert reply.status_code == 403 and "no longer active" in reply.text
        assert COOKIE not in client.cookies
