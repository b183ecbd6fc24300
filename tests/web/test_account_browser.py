"""In real headless Chromium: sign in, change the password on the account page, log out, and
the cookie the browser held before no longer opens anything."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, expect

from hub.web.sessions import COOKIE
from tests.web.conftest import PASSWORD
from tests.web.served import served

pytestmark = pytest.mark.browser
NEW_PASSWORD = "correct horse battery staple"


def _session_cookie(context: BrowserContext) -> str:
    return next(c.get("value", "") for c in context.cookies() if c.get("name") == COOKIE)


def test_change_password_then_logout_and_the_old_cookie_is_dead(
    browser: Browser,
    app: FastAPI,
) -> None:
    with served(app) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/")
        expect(page).to_have_url(url + "/login")
        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(url + "/")
        first = _session_cookie(context)

        page.click("a.who")  # the name in the bar leads to the account page
        expect(page.locator("h1")).to_have_text("Your account")
        page.fill("input[name=current]", "not my password at all")
        page.fill("input[name=new]", NEW_PASSWORD)
        page.fill("input[name=again]", NEW_PASSWORD)
        page.click("form[action='/account/password'] button")
        expect(page.locator("#account-error")).to_contain_text("current password is wrong")
        page.fill("input[name=current]", PASSWORD)
        page.fill("input[name=new]", NEW_PASSWORD)
        page.fill("input[name=again]", NEW_PASSWORD)
        page.click("form[action='/account/password'] button")
        expect(page.locator("#account-done")).to_contain_text("Password changed")
        second = _session_cookie(context)
        assert second != first  # a new session for this browser after the change

        page.click("form.logout button")
        expect(page).to_have_url(url + "/login")

        # someone who copied either cookie earlier gets the login page, not the dashboard
        for stolen in (first, second):
            thief = browser.new_context()
            thief.add_cookies([{"name": COOKIE, "value": stolen, "url": url}])
            their_page = thief.new_page()
            their_page.goto(url + "/account")
            expect(their_page).to_have_url(url + "/login")
            thief.close()

        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_contain_text("Wrong username or password")
        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", NEW_PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(url + "/")
        context.close()
