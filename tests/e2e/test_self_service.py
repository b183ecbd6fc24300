"""A student serves themselves, end to end on real parts: signs in through a real identity
provider (oidc-provider on Node, or OpenLDAP's slapd) in headless Chromium, sees the loan a kiosk
made, renews it, reserves a kit, picks the kit up at a kiosk over a real broker, and finds it
among their loans."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from hub.identity.settings import IdentitySection, LdapSection, Mapping, OidcSection
from hub.localbroker import free_port
from hub.web.app import WebSettings, create_app
from hub.web.identity import CALLBACK
from kiosk.app import KioskApp
from kiosk.replica import Replica
from kiosk.screens import CartScreen, ReceiptScreen
from kiosk.session import Cancel, Confirm
from tests.browsing import fill_login
from tests.harness import Cage
from tests.identity_servers import (
    SERVICE_DN,
    SERVICE_PASSWORD,
    SUFFIX,
    oidc_provider,
    person_ldif,
    slapd,
)
from tests.kiosk_visits import lend
from tests.web.conftest import serving
from wire import ReplicaPolicy

pytestmark = pytest.mark.browser
CLIENT_ID, CLIENT_SECRET = "cagekeeper-hub", "the e2e client's secret"
LEE_PASSWORD = "lee's directory password"
# the provider's student: found by email; the directory's: by student number
STUDENTS = {
    "oidc": ("s1001", "Sam Student", "0A0A0A01"),
    "ldap": ("s2002", "Lee Student", "0A0A0A02"),
}
RULES = ReplicaPolicy(max_renewals=1)


@dataclass(frozen=True)
class Campus:
    url: str
    cage: Cage
    kiosk: KioskApp


@pytest.fixture
def campus(cage: Cage, tmp_path: Path) -> Iterator[Campus]:
    """The cage's hub with its dashboard, the provider and the directory it trusts, a kiosk."""
    store, now = cage.store, cage.clock.now()
    for person, name, badge in STUDENTS.values():
        store.add_person(person, name, [badge], email=f"{person}@uni.example")
    store.add_asset("KIT-0001", "FX3 kit", "camera")
    store.add_asset("BATT-0001", "NP-FZ100 battery", "battery")
    store.set_kit_pieces("KIT-0001", ["BATT-0001"], now, "test")
    store.set_loan_hours("battery", 24)
    kiosk = cage.kiosk("cage-1")
    port = free_port()
    secret = tmp_path / "client-secret"
    secret.write_text(CLIENT_SECRET + "\n")
    oidc = OidcSection(
        name="University login",
        issuer=f"http://127.0.0.1:{port}",
        client_id=CLIENT_ID,
        client_secret_file=secret,
        scopes=["openid", "email", "profile"],
        mapping=Mapping(match="email"),
    )
    accounts = {"sam": {"email": "s1001@uni.example", "name": "Sam Student"}}
    with slapd(tmp_path / "slapd") as directory:
        directory.add(person_ldif("lee", "lee@uni.example", LEE_PASSWORD, number="s2002"))
        bind = tmp_path / "bind-password"
        bind.write_text(SERVICE_PASSWORD + "\n")
        ldap = LdapSection.model_validate(
            {
                "name": "campus directory",
                "servers": [directory.url],
                "starttls": True,
                "ca_file": directory.pki.ca_file,
                "bind_dn": SERVICE_DN,
                "bind_password_file": bind,
                "search_base": f"ou=people,{SUFFIX}",
                "person_attribute": "employeeNumber",
                "mapping": Mapping(match="id"),
            }
        )
        week = timedelta(days=7)
        settings = WebSettings(
            secret_key="k" * 40,
            identity=IdentitySection(oidc=oidc, ldap=ldap),
            lending=RULES,
            session_idle=week,
            session_lifetime=week,
        )
        app = create_app(store, settings, cage.clock.now)
        # the provider must know the hub's address, so it starts second
        with (
            serving(app) as url,
            oidc_provider(port, CLIENT_ID, CLIENT_SECRET, url + CALLBACK, accounts),
        ):
            kiosk.wait_replica(10, until=lambda r: r.item("KIT-0001") is not None)
            yield Campus(url, cage, kiosk)


def _sign_in(page: Page, url: str, how: str) -> None:
    if how == "oidc":
        page.goto(url + "/login")
        page.click("text=Sign in with University login")
        page.fill("input[name=login]", "sam")
        page.fill("input[name=password]", "the provider checks this, not the hub")
        page.click("button[type=submit]")
    else:
        fill_login(page, url, "lee", LEE_PASSWORD)
    expect(page).to_have_url(url + "/me")


def _reserved(person: str) -> Callable[[Replica], bool]:
    def found(replica: Replica) -> bool:
        item = replica.item("KIT-0001")
        return item is not None and any(b.person == person for b in item.bookings)

    return found


@pytest.mark.parametrize("how", ["oidc", "ldap"])
def test_a_student_signs_in_renews_reserves_a_kit_and_picks_it_up(
    browser: Browser,
    campus: Campus,
    how: str,
) -> None:
    person, name, badge = STUDENTS[how]
    cage, kiosk, url = campus.cage, campus.kiosk, campus.url
    lend(kiosk, badge, "CK1:CAM-0001")  # at the kiosk this morning
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    [loan] = cage.store.items_out()
    first_due = loan.due

    page = browser.new_page(viewport={"width": 390, "height": 844})
    _sign_in(page, url, how)
    expect(page.locator("h1")).to_have_text(f"Hello, {name}")
    card = page.locator("#loan-CAM-0001")
    expect(card).to_contain_text("Canon C70 cinema camera")

    card.locator("button", has_text="Renew").click()
    expect(page.locator("#me-message")).to_contain_text("Renewed")
    [renewed] = cage.store.items_out()
    assert renewed.due > first_due
    # the kiosk hears of it through the hub: the same due time there
    kiosk.wait_replica(
        10,
        until=lambda r: any(
            h.due == renewed.due for i, h in r.loans_of(person) if i.code == "CAM-0001"
        ),
    )

    # a kit for this afternoon, picked up at once (a pickup may come up to 2 hours early)
    now = cage.clock.now()
    starts, ends = now + timedelta(minutes=30), now + timedelta(hours=6)
    page.goto(url + "/me/reserve")
    page.select_option("select[name=target]", "item:KIT-0001")
    page.fill("input[name=starts]", f"{starts:%Y-%m-%dT%H:%M}")  # the cage keeps UTC
    page.fill("input[name=ends]", f"{ends:%Y-%m-%dT%H:%M}")
    page.click("#new-reservation button[type=submit]")
    expect(page.locator("#reserve-done")).to_be_visible()
    expect(page.locator("#my-reservations")).to_contain_text("KIT-0001")

    kiosk.wait_replica(10, until=_reserved(person))
    kiosk.submit(kiosk.badge(badge))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)
    assert isinstance(cart, CartScreen) and cart.reservation is not None
    assert cart.reservation.startswith("Your reservation: FX3 kit")
    kiosk.submit(kiosk.label("CK1:KIT-0001"))
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and s.reserved == (), 5)
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    kiosk.submit(Cancel())
    assert kiosk.link.wait_drained(10)

    page.goto(url + "/me")
    kit = page.locator("#loan-KIT-0001")
    expect(kit).to_contain_text("FX3 kit")
    expect(kit).to_contain_text("NP-FZ100 battery")  # the kit's piece went with it
    expect(page.locator("#holding-count")).to_have_text("2")
    out = {o.asset: o.due for o in cage.store.items_out()}
    assert out["KIT-0001"] == ends  # lent until the reservation's end
