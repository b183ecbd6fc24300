"""In real headless Chromium: a manager adds and edits one asset, one person and one kit,
retires and disposes of an asset; an admin manages users and locations. Every mistake is
shown beside what was typed (kept), and every change lands in the audit log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from hub.store import Store
from tests.browsing import signed_in
from tests.web.conftest import PASSWORD, Clock
from tests.web.served import served

pytestmark = pytest.mark.browser
NEW_PASSWORD = "correct horse battery staple"


@pytest.fixture
def url(app: FastAPI) -> Iterator[str]:
    with served(app) as base:
        yield base


def _sign_in(browser: Browser, url: str, user: str, password: str = PASSWORD) -> Page:
    return signed_in(browser, url, user, password)


def _audit_actions(store: Store) -> list[tuple[str, str | None]]:
    return [(e.action, e.target) for e in store.audit_entries(limit=100)]


def test_add_and_edit_one_asset_then_retire_and_dispose_of_it(
    browser: Browser,
    url: str,
    store: Store,
) -> None:
    page = _sign_in(browser, url, "manager")
    page.goto(url + "/assets")
    page.click("#new-asset")
    expect(page.locator("h1")).to_have_text("New asset")
    page.fill("#f-code", "mic-0007")
    page.fill("#f-name", "Sennheiser MKH 416")
    page.fill("#f-category", "audio")
    page.select_option("#f-home", "Film cage")
    page.fill("#f-cost", "about 999")
    page.fill("#f-acquired", "2025-09-01")
    page.fill("#f-notes", "with windshield")
    page.click("#asset-form button[type=submit]")

    # refused with the reason beside the field, and nothing typed is lost
    expect(page.locator("#e-cost")).to_contain_text("must be an amount")
    expect(page.locator("#f-name")).to_have_value("Sennheiser MKH 416")
    expect(page.locator("#f-notes")).to_have_value("with windshield")
    expect(page.locator("#f-home")).to_have_value("Film cage")
    assert store.asset("MIC-0007") is None

    page.fill("#f-cost", "999.00")
    page.click("#asset-form button[type=submit]")
    expect(page).to_have_url(url + "/a/MIC-0007")
    expect(page.locator("h1")).to_contain_text("Sennheiser MKH 416")
    expect(page.locator(".facts")).to_contain_text("Film cage")

    page.click("#edit-asset")
    expect(page.locator("#f-cost")).to_have_value("999.00")
    page.fill("#f-name", "Sennheiser MKH 416 shotgun")
    page.fill("#f-serial", "SN-4242")
    page.click("#asset-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("MKH 416 shotgun")
    expect(page.locator(".facts")).to_contain_text("SN-4242")

    # dispose first: refused with the lifecycle's reason; retire, then dispose with a reason
    page.select_option("#lifecycle select[name=action]", "dispose")
    page.fill("#lifecycle input[name=reason]", "sold")
    page.click("#lifecycle button")
    expect(page.locator("p.error")).to_contain_text("only a retired item can be disposed of")
    page.select_option("#lifecycle select[name=action]", "retire")
    page.click("#lifecycle button")
    expect(page.locator("p.muted").first).to_contain_text("retired")
    page.select_option("#lifecycle select[name=action]", "dispose")
    page.fill("#lifecycle input[name=reason]", "sold to the drama school")
    page.click("#lifecycle button")
    expect(page.locator("p.muted").first).to_contain_text("disposed")
    expect(page.locator(".facts")).to_contain_text("sold to the drama school")
    expect(page.locator("#history")).to_contain_text("lifecycle: disposed")

    actions = _audit_actions(store)
    for done in ("asset.add", "asset.update", "asset.retire", "asset.dispose"):
        assert (done, "MIC-0007") in actions
    edits = [e.detail for e in store.audit_entries() if e.action == "asset.update"]
    assert edits == ["name=Sennheiser MKH 416 shotgun, serial=SN-4242"]  # what changed, only


def test_a_kit_is_made_from_assets_and_a_wrong_piece_is_explained(
    browser: Browser,
    url: str,
    store: Store,
) -> None:
    page = _sign_in(browser, url, "manager")
    page.goto(url + "/a/CAM-0001/edit")
    page.fill("#f-pieces", "LENS-0001 NOPE-1")
    page.click("#pieces-form button")
    expect(page.locator("#e-pieces")).to_contain_text("no asset NOPE-1")
    expect(page.locator("#f-pieces")).to_have_value("LENS-0001 NOPE-1")  # kept to fix

    page.fill("#f-pieces", "LENS-0001")
    page.click("#pieces-form button")
    expect(page).to_have_url(url + "/a/CAM-0001")
    expect(page.locator(".facts")).to_contain_text("Kit pieces")
    expect(page.locator(".facts")).to_contain_text("LENS-0001")
    page.goto(url + "/a/LENS-0001")
    expect(page.locator(".facts")).to_contain_text("Part of kit")

    # a piece cannot be a kit of its own, and a kit cannot go inside another kit
    page.goto(url + "/a/CAM-0002/edit")
    page.fill("#f-pieces", "CAM-0001")
    page.click("#pieces-form button")
    expect(page.locator("#e-pieces")).to_contain_text("CAM-0001 is a kit itself")
    assert store.asset_detail("CAM-0002").pieces == []  # type: ignore[union-attr]
    assert ("kit.pieces", "CAM-0001") in _audit_actions(store)


def test_add_and_edit_one_person(
    browser: Browser,
    url: str,
    store: Store,
) -> None:
    page = _sign_in(browser, url, "manager")
    page.goto(url + "/people")
    page.click("#new-person")
    page.fill("#f-id", "s1234")
    page.fill("#f-name", "Grace Hopper")
    page.fill("#f-email", "grace@example.org")
    page.fill("#f-groups", "FILM101; FILM202")
    page.fill("#f-badge", "04A1B2C3")  # Ada's card
    page.click("#person-form button[type=submit]")
    expect(page.locator("#e-badge")).to_contain_text("registered to ada")
    expect(page.locator("#f-name")).to_have_value("Grace Hopper")
    expect(page.locator("#f-groups")).to_have_value("FILM101; FILM202")

    page.fill("#f-badge", "not hex")
    page.click("#person-form button[type=submit]")
    expect(page.locator("#e-badge")).to_contain_text("is not a badge UID")

    page.fill("#f-badge", "0badcafe")
    page.click("#person-form button[type=submit]")
    expect(page).to_have_url(url + "/people/s1234")
    expect(page.locator("h1")).to_contain_text("Grace Hopper")
    expect(page.locator("section").first).to_contain_text("0BADCAFE")
    expect(page.locator("section").first).to_contain_text("FILM101, FILM202")

    page.click("#edit-person")
    page.fill("#f-name", "Rear Admiral Grace Hopper")
    page.fill("#f-email", "not an email")
    page.evaluate("document.querySelector('#person-form').noValidate = true")  # the server's say
    page.click("#person-form button[type=submit]")
    expect(page.locator("#e-email")).to_contain_text("is not an email address")
    page.fill("#f-email", "")
    page.check("input[name=staff]")
    page.click("#person-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Rear Admiral Grace Hopper")
    expect(page.locator("section").first).to_contain_text("staff")
    actions = _audit_actions(store)
    assert ("person.add", "s1234") in actions and ("person.update", "s1234") in actions


def test_admin_manages_users_and_disabling_ends_their_sessions(
    browser: Browser,
    url: str,
    store: Store,
) -> None:
    viewer = _sign_in(browser, url, "viewer")
    admin = _sign_in(browser, url, "admin")
    admin.click("nav a[href='/users']")
    expect(admin.locator("h1")).to_contain_text("Users")

    form = admin.locator("#add-user")
    form.locator("input[name=username]").fill("cam.manager")
    form.locator("select[name=role]").select_option("manager")
    form.locator("input[value='Film cage']").check()
    form.locator("input[name=password]").fill("short")
    admin.evaluate("document.querySelector('#add-user').noValidate = true")
    form.locator("button").click()
    expect(admin.locator("#users-error")).to_contain_text("at least 12 characters")
    expect(admin.locator("#add-user input[name=username]")).to_have_value("cam.manager")

    admin.locator("#add-user input[name=password]").fill(PASSWORD)
    admin.locator("#add-user input[value='Film cage']").check()
    admin.locator("#add-user button").click()
    expect(admin.locator("#users-done")).to_contain_text("cam.manager (manager) added")
    expect(admin.locator("#user-cam\\.manager .cages")).to_have_text("Film cage")

    # the viewer becomes a manager: their open page shows manager controls at the next load
    row = admin.locator("#user-viewer")
    row.locator("select[name=role]").select_option("manager")
    row.locator("form.access button").click()
    expect(admin.locator("#users-done")).to_contain_text("viewer: manager")
    viewer.goto(url + "/assets")
    expect(viewer.locator("#new-asset")).to_be_visible()

    # disabled: signed out at once
    admin.locator("#user-viewer form[action$='/disable'] button").click()
    expect(admin.locator("#users-done")).to_contain_text("viewer disabled; 1 session ended")
    viewer.goto(url + "/assets")
    expect(viewer).to_have_url(url + "/login")

    # an admin cannot lock themselves out
    admin.locator("#user-admin form[action$='/disable'] button").click()
    expect(admin.locator("#users-error")).to_contain_text("cannot disable yourself")

    # a reset password works and ends the user's sessions
    manager = _sign_in(browser, url, "manager")
    admin.locator("#user-manager input[name=password]").fill(NEW_PASSWORD)
    admin.locator("#user-manager form.reset button").click()
    expect(admin.locator("#users-done")).to_contain_text("Password of manager reset")
    manager.goto(url + "/assets")
    expect(manager).to_have_url(url + "/login")
    _sign_in(browser, url, "manager", NEW_PASSWORD)

    actions = _audit_actions(store)
    for done in ("user.add", "user.role", "user.disable", "user.password"):
        assert any(a == done for a, _t in actions), done
    added = [e.detail for e in store.audit_entries() if e.action == "user.add"]
    assert added == ["manager, Film cage"]


def test_locations_are_a_managed_list_assets_and_kiosks_pick_from(
    browser: Browser,
    url: str,
    store: Store,
    clock: Clock,
) -> None:
    store.update_asset("CAM-0001", clock(), "test", home="Film cage")
    page = _sign_in(browser, url, "manager")
    page.click("nav a[href='/locations']")
    page.fill("#add-location input[name=name]", "Sound  store ")
    page.click("#add-location button")
    expect(page.locator("#locations-done")).to_contain_text("Sound store added")
    page.fill("#add-location input[name=name]", "Sound store")
    page.click("#add-location button")
    expect(page.locator("#locations-error")).to_contain_text("already")

    # rename: every asset and kiosk there follows
    row = page.locator("#locations tr", has_text="Film cage")
    row.locator("input[name=new]").fill("Film cage B")
    row.locator("form.rename button").click()
    expect(page.locator("#locations-done")).to_contain_text("Film cage is now Film cage B")
    assert store.asset_detail("CAM-0001").asset.home == "Film cage B"  # type: ignore[union-attr]
    assert [k.location for k in store.kiosk_views()] == ["Film cage B"]

    # in use: not removed, and the page says by what
    page.locator("#locations tr", has_text="Film cage B").locator("form.remove button").click()
    expect(page.locator("#locations-error")).to_contain_text("1 asset, 1 kiosk")

    # a kiosk moves to another cage picked from the list
    page.select_option("#kiosk-cage-1 select[name=location]", "Sound store")
    page.click("#kiosk-cage-1 button")
    expect(page.locator("#locations-done")).to_contain_text("cage-1 is in Sound store")
    assert [k.location for k in store.kiosk_views()] == ["Sound store"]
    page.locator("#locations tr", has_text="Sound store").locator("form.remove button").click()
    expect(page.locator("#locations-error")).to_contain_text("1 kiosk")
    page.select_option("#kiosk-cage-1 select[name=location]", "Film cage B")
    page.click("#kiosk-cage-1 button")
    page.locator("#locations tr", has_text="Sound store").locator("form.remove button").click()
    expect(page.locator("#locations-done")).to_contain_text("Sound store removed")
    assert store.location_names() == ["Film cage B"]

    # the asset form offers only the list
    page.goto(url + "/a/CAM-0002/edit")
    options = page.locator("#f-home option").all_inner_texts()
    assert options == ["(none)", "Film cage B"]
    actions = _audit_actions(store)
    for done in ("location.add", "location.rename", "location.remove", "kiosk.location"):
        assert any(a == done for a, _t in actions), done
