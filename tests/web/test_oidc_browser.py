"""In real headless Chromium against a real OpenID provider (oidc-provider on Node): a student
signs in through the provider's own login page and lands on their page as a borrower; staff by
their group; an unknown person, a disabled account, a cancelled or tampered sign-in are refused
with a clear message and nothing made."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hub.identity.settings import IdentitySection, Mapping, OidcSection
from hub.localbroker import free_port
from hub.store import Store
from hub.store.audit import AuditFilter
from hub.web.app import WebSettings, create_app
from hub.web.auth import sign_up_external
from hub.web.identity import CALLBACK
from hub.web.sessions import COOKIE
from tests.browsing import PHONE, shoot
from tests.identity_servers import oidc_provider
from tests.web.conftest import Clock
from tests.web.served import served

pytestmark = pytest.mark.browser
CLIENT_ID = "cagekeeper-hub"
CLIENT_SECRET = "the test client's secret"
ACCOUNTS = {
    "sam": {"email": "Sam@Uni.example", "name": "Sam Student", "groups": ["film-students"]},
    "pat": {"email": "pat@uni.example", "name": "Pat Staff", "groups": ["cage-staff"]},
    "dee": {"email": "dee@uni.example", "name": "Dee Disabled"},
    # an account whose owner typed sam's address and never confirmed it
    "mallory": {"email": "sam@uni.example", "email_verified": False},
}


@dataclass(frozen=True)
class Hub:
    url: str
    issuer: str
    store: Store
    clock: Clock


def oidc_section(port: int, secret: Path, issuer: str | None = None) -> OidcSection:
    secret.write_text(CLIENT_SECRET + "\n")
    return OidcSection(
        name="University login",
        issuer=issuer or f"http://127.0.0.1:{port}",
        client_id=CLIENT_ID,
        client_secret_file=secret,
        scopes=["openid", "email", "profile", "groups"],
        groups_claim="groups",
        mapping=Mapping(match="email", staff_groups={"cage-staff": "manager"}, sync_groups=True),
    )


@pytest.fixture
def people(store: Store, clock: Clock) -> Store:
    store.add_person("s1001", "Sam Student", ["0A0A0A01"], email="sam@uni.example")
    store.add_person("s1002", "Dee Disabled", ["0A0A0A02"], email="dee@uni.example")
    sign_up_external(store, "s1002", "borrower", "s1002", clock(), by="test")
    store.set_user_disabled("s1002", True, clock(), "admin")
    return store


@pytest.fixture
def hub(people: Store, clock: Clock, tmp_path: Path) -> Iterator[Hub]:
    port = free_port()
    section = oidc_section(port, tmp_path / "client-secret")
    settings = WebSettings(secret_key="k" * 40, identity=IdentitySection(oidc=section))
    with (
        served(create_app(people, settings, clock)) as url,
        oidc_provider(port, CLIENT_ID, CLIENT_SECRET, url + CALLBACK, ACCOUNTS) as issuer,
    ):
        yield Hub(url, issuer, people, clock)


def _at_provider(hub: Hub, context: BrowserContext, screenshot: str | None = None) -> Page:
    page = context.new_page()
    page.goto(hub.url + "/login")
    if screenshot:
        shoot(page, f"dashboard-{screenshot}")
    page.click("text=Sign in with University login")
    expect(page.locator("input[name=login]")).to_be_visible()
    assert page.url.startswith(hub.issuer)  # the provider's own page, not ours
    return page


def _sign_in_there(page: Page, login: str) -> None:
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "the provider checks this, not the hub")
    page.click("button[type=submit]")


def _session(hub: Hub, context: BrowserContext) -> tuple[str, str] | None:
    token = next((c.get("value") for c in context.cookies() if c.get("name") == COOKIE), None)
    limits = WebSettings("k").session_limits
    found = hub.store.web_session(token, hub.clock(), limits) if token else None
    return (found.username, found.role) if found else None


def test_a_student_signs_in_through_the_provider_and_lands_as_a_borrower(
    browser: Browser,
    hub: Hub,
) -> None:
    context = browser.new_context(viewport=PHONE)
    page = _at_provider(hub, context, screenshot="phone-sign-in")
    _sign_in_there(page, "sam")
    expect(page).to_have_url(hub.url + "/me")
    assert _session(hub, context) == ("s1001", "borrower")
    user = hub.store.get_user("s1001")
    assert user is not None and user.person == "s1001" and user.password_hash is None
    # the provider's groups, kept apart from the registry's
    assert hub.store.person_groups("s1001").provider == ("film-students",)
    entry = hub.store.audit_page(AuditFilter(action="user.sign_in"))[0]
    assert entry.target == "s1001" and f"oidc:{hub.issuer}" in (entry.detail or "")

    # signing out and in again: the provider's session answers, the same account is used
    context.clear_cookies(name=COOKIE)
    page.goto(hub.url + "/login/oidc")
    expect(page).to_have_url(hub.url + "/me")
    assert _session(hub, context) == ("s1001", "borrower")
    assert [u.username for u in hub.store.user_list()].count("s1001") == 1
    context.close()


def test_staff_by_their_group_land_on_the_dashboard(
    browser: Browser,
    hub: Hub,
) -> None:
    context = browser.new_context()
    page = _at_provider(hub, context)
    _sign_in_there(page, "pat")
    expect(page).to_have_url(hub.url + "/")
    assert _session(hub, context) == ("pat", "manager")
    context.close()


@pytest.mark.parametrize(
    ("login", "said"),
    [
        ("stranger", "is not a person this cage knows"),
        ("dee", "Your account here is disabled"),
        ("mallory", "has not verified the address 'sam@uni.example'"),
    ],
)
def test_unknown_and_disabled_people_are_refused_and_nothing_is_made(
    browser: Browser,
    hub: Hub,
    login: str,
    said: str,
) -> None:
    users = hub.store.user_list()
    context = browser.new_context(viewport=PHONE)
    page = _at_provider(hub, context)
    _sign_in_there(page, login)
    expect(page.locator("#sign-in-refused")).to_contain_text(said)
    if login == "stranger":
        shoot(page, "dashboard-phone-sign-in-refused")
    assert page.url.startswith(hub.url + CALLBACK)
    assert _session(hub, context) is None
    assert hub.store.user_list() == users
    context.close()


def test_cancelling_at_the_provider_is_said_plainly(
    browser: Browser,
    hub: Hub,
) -> None:
    context = browser.new_context()
    page = _at_provider(hub, context)
    page.click("text=[ Cancel ]")
    expect(page.locator("#sign-in-refused")).to_contain_text(
        "University login did not sign you in: End-User aborted interaction"
    )
    assert _session(hub, context) is None
    context.close()


def test_a_tampered_or_planted_return_is_refused(
    browser: Browser,
    hub: Hub,
) -> None:
    context = browser.new_context()
    page = _at_provider(hub, context)
    page.goto(hub.url + CALLBACK + "?code=a-code&state=forged")  # the state is not ours
    expect(page.locator("#sign-in-refused")).to_contain_text("does not match")

    page = _at_provider(hub, context)
    pending = next(c for c in context.cookies() if c.get("name") == "cagekeeper_oidc")
    context.add_cookies([{**pending, "value": pending.get("value", "") + "x"}])  # type: ignore[typeddict-item]
    _sign_in_there(page, "sam")
    expect(page.locator("#sign-in-refused")).to_contain_text("expired or was altered")
    assert _session(hub, context) is None

    # the provider remembers sam now and sends the browser straight back
    page = context.new_page()
    with page.expect_request(lambda r: CALLBACK in r.url) as back:
        page.goto(hub.url + "/login/oidc")
    expect(page).to_have_url(hub.url + "/me")
    assert _session(hub, context) == ("s1001", "borrower")
    real = back.value.url
    # the same return in another browser (a sign-in planted in someone's) is refused
    other = browser.new_context()
    elsewhere = other.new_page()
    elsewhere.goto(real)
    expect(elsewhere.locator("#sign-in-refused")).to_contain_text("no sign-in under way")
    assert _session(hub, other) is None
    other.close()
    context.close()


def test_a_provider_that_names_another_issuer_or_is_down_is_said(
    people: Store, clock: Clock, tmp_path: Path
) -> None:
    port = free_port()
    for issuer, said in (
        (f"http://localhost:{port}", "names issuer"),  # the provider calls itself 127.0.0.1
        (f"http://127.0.0.1:{free_port()}", "could not reach University login"),
        # a server that answers, but has no discovery document there
        (f"http://127.0.0.1:{port}/elsewhere", "404 Not Found"),
    ):
        section = oidc_section(port, tmp_path / "secret", issuer=issuer)
        settings = WebSettings(secret_key="k" * 40, identity=IdentitySection(oidc=section))
        with (
            served(create_app(people, settings, clock)) as url,
            oidc_provider(port, CLIENT_ID, CLIENT_SECRET, url + CALLBACK, ACCOUNTS),
        ):
            reply = httpx.get(url + "/login/oidc")
        assert reply.status_code == 502
        assert said in reply.text


def test_the_request_to_the_provider_uses_pkce_and_binds_its_state_to_this_browser(
    hub: Hub,
) -> None:
    reply = httpx.get(hub.url + "/login/oidc")
    assert reply.status_code == 303
    sent = parse_qs(urlsplit(reply.headers["location"]).query)
    assert reply.headers["location"].startswith(hub.issuer)
    assert sent["code_challenge_method"] == ["S256"] and len(sent["code_challenge"][0]) >= 43
    assert sent["redirect_uri"] == [hub.url + CALLBACK] and sent["client_id"] == [CLIENT_ID]
    assert sent["nonce"][0] and sent["state"][0]
    assert CLIENT_SECRET not in reply.headers["location"]
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("cagekeeper_oidc=")
    for part in ("HttpOnly", "Path=/login/oidc", "SameSite=lax", "Max-Age=600"):
        assert part.lower() in cookie.lower()
