"""Dashboard sessions on a real server over a real SQLite file: a cookie opens nothing once its
session is over (logout, a password change, the user disabled, idle or too old), and a user
changes their password on the account page or from the shell."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import select

from hub.cli import cli
from hub.store import Store
from hub.store.schema import web_sessions
from hub.web.live import FEED_RECHECK
from hub.web.login import REFUSED
from hub.web.sessions import COOKIE, RECHECK
from tests.web.conftest import PASSWORD, Clock
from tests.web.served import page_csrf, served, sign_in, signed_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
NEW_PASSWORD = "a brand new passphrase"


def _anonymous(url: str, token: str) -> httpx.Client:
    """Someone else's browser holding a copy of the cookie."""
    return httpx.Client(base_url=url, cookies={COOKIE: token}, timeout=30)


def _locked_out(client: httpx.Client) -> bool:
    page, api = client.get("/"), client.get("/api/v1/items-out")
    return (
        page.status_code == 303 and page.headers["location"] == "/login" and api.status_code == 401
    )


def _logout(client: httpx.Client, url: str) -> httpx.Response:
    return client.post("/logout", data={"csrf": page_csrf(client)}, headers={"Origin": url})


def test_a_copied_cookie_opens_nothing_after_logout(app: FastAPI, store: Store) -> None:
    with served(app) as url:
        browser = signed_in(url, "manager", PASSWORD)
        token = browser.cookies[COOKIE]
        copy = _anonymous(url, token)
        assert copy.get("/api/v1/items-out").status_code == 200  # the copy works while live
        # the cookie is a random token, and the table keeps only its digest
        assert "manager" not in token and len(token) >= 40
        with store.engine.connect() as conn:
            kept = conn.scalars(select(web_sessions.c.digest)).all()
        assert kept == [hashlib.sha256(token.encode()).hexdigest()]

        reply = _logout(browser, url)
        assert reply.status_code == 303 and reply.headers["location"] == "/login"
        assert _locked_out(copy)
        assert _locked_out(_anonymous(url, token))
        assert not browser.cookies.get(COOKIE)  # the browser was told to forget it


def test_idle_sessions_end_and_none_outlives_its_lifetime(app: FastAPI, clock: Clock) -> None:
    with served(app) as url:
        start = clock.now
        idle = signed_in(url, "manager", PASSWORD)
        busy = signed_in(url, "viewer", PASSWORD)
        clock.now += timedelta(minutes=59)
        assert idle.get("/").status_code == 200  # 59 idle minutes are within the limit
        idle_from = clock.now
        while busy.get("/").status_code == 200:  # used every 50 minutes
            clock.now += timedelta(minutes=50)
        # the busy one lasted its 12 hours and no more; the idle one ended after 60 minutes
        assert timedelta(hours=12) <= clock.now - start < timedelta(hours=12, minutes=50)
        assert _locked_out(busy)
        clock.now = idle_from + timedelta(minutes=61)
        assert _locked_out(idle)
        again = signed_in(url, "viewer", PASSWORD)
        assert again.get("/").status_code == 200


def test_ended_sessions_are_deleted(app: FastAPI, store: Store, clock: Clock) -> None:
    with served(app) as url:
        for _ in range(3):
            signed_in(url, "manager", PASSWORD)
        clock.now += timedelta(hours=2)  # all three idle past the limit
        signed_in(url, "viewer", PASSWORD)  # signing in sweeps the table
        with store.engine.connect() as conn:
            users = conn.scalars(select(web_sessions.c.username)).all()
        assert users == ["viewer"]


def test_changing_the_password_ends_the_users_other_sessions(app: FastAPI, store: Store) -> None:
    with served(app) as url:
        here = signed_in(url, "manager", PASSWORD)
        elsewhere = signed_in(url, "manager", PASSWORD)
        colleague = signed_in(url, "viewer", PASSWORD)
        before = here.cookies[COOKIE]
        page = here.get("/account")
        assert 'id="session-count">2<' in page.text

        def change(current: str, new: str, again: str) -> httpx.Response:
            return here.post(
                "/account/password",
                data={"csrf": page_csrf(here), "current": current, "new": new, "again": again},
                headers={"Origin": url},
            )

        wrong = change("not my password", NEW_PASSWORD, NEW_PASSWORD)
        assert wrong.status_code == 400 and "current password is wrong" in wrong.text
        differ = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
        assert differ.status_code == 400 and "differ" in differ.text
        short = change(PASSWORD, "short", "short")
        assert short.status_code == 400 and "at least 12 characters" in short.text
        assert elsewhere.get("/").status_code == 200  # nothing changed yet

        done = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/account"
        shown = here.get("/account")
        assert "Password changed" in shown.text and 'id="session-count">1<' in shown.text
        assert here.cookies[COOKIE] != before  # this browser got a new session...
        assert _locked_out(_anonymous(url, before))  # ...and the old cookie is dead
        assert _locked_out(elsewhere)
        assert colleague.get("/").status_code == 200  # other users are untouched

        fresh = httpx.Client(base_url=url, timeout=30)
        assert sign_in(fresh, "manager", PASSWORD).status_code == 401
        assert sign_in(fresh, "manager", NEW_PASSWORD).status_code == 303
    assert any(e.action == "user.password" for e in store.audit_entries())


def _cli_config(tmp_path: Path, database: str) -> Path:
    (tmp_path / "hub-pw").write_text("hub-password")
    (tmp_path / "secret").write_text("s" * 40)
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\ndatabase = "{database}"\n'
        f'[broker]\nhost = "127.0.0.1"\npassword_file = "{tmp_path / "hub-pw"}"\n'
        f'[web]\nsecret_key_file = "{tmp_path / "secret"}"\n'
    )
    return config


def test_the_shell_changes_passwords_and_disables_users(
    app: FastAPI, store: Store, tmp_path: Path
) -> None:
    config = _cli_config(tmp_path, str(store.engine.url))
    runner = CliRunner()

    def hub(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(cli, ["-c", str(config), *args], input=stdin)
        assert result.exit_code == 0, result.output
        return result.output

    with served(app) as url:
        browser = signed_in(url, "manager", PASSWORD)
        out = hub("user", "passwd", "manager", "--password-stdin", stdin=NEW_PASSWORD + "\n")
        assert "sessions are signed out" in out
        assert _locked_out(browser)
        assert sign_in(httpx.Client(base_url=url), "manager", NEW_PASSWORD).status_code == 303

        # typed at a prompt: twice, and a mismatch is asked again
        typed = runner.invoke(
            cli,
            ["-c", str(config), "user", "passwd", "manager"],
            input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n",
        )
        assert typed.exit_code == 0 and "do not match" in typed.output.lower(), typed.output
        short = runner.invoke(
            cli, ["-c", str(config), "user", "passwd", "manager", "--password-stdin"], input="x\n"
        )
        assert short.exit_code != 0

        viewer = signed_in(url, "viewer", PASSWORD)
        assert "1 session ended" in hub("user", "disable", "viewer")
        assert _locked_out(viewer)
        refused = sign_in(httpx.Client(base_url=url), "viewer", PASSWORD)
        assert refused.status_code == 401 and REFUSED in refused.text  # as a wrong password
        assert "viewer\tviewer\tdisabled" in hub("user", "list")
        hub("user", "enable", "viewer")
        assert sign_in(httpx.Client(base_url=url), "viewer", PASSWORD).status_code == 303
    actions = [e.action for e in store.audit_entries()]
    assert "user.disable" in actions and "user.enable" in actions


def test_a_live_feed_stops_when_its_session_is_logged_out(app: FastAPI) -> None:
    """A dashboard left open streams the live feed; logging out (here from another copy of the
    cookie) ends the stream at its next check instead of letting it run on."""
    with served(app) as url:
        browser = signed_in(url, "manager", PASSWORD)
        token = browser.cookies[COOKIE]
        with (
            _anonymous(url, token) as listener,
            listener.stream("GET", "/api/v1/feed", timeout=FEED_RECHECK * 3) as feed,
        ):
            assert feed.status_code == 200
            lines = feed.iter_lines()
            assert next(lines).startswith("retry:")  # streaming
            assert _logout(browser, url).status_code == 303
            started = time.monotonic()
            rest = list(lines)  # returns when the server ends the stream
            took = time.monotonic() - started
        assert took < FEED_RECHECK + 2 * RECHECK, (took, rest)
