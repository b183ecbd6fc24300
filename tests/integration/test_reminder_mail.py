"""Reminders by email through the hub's sweeper, against a real SMTP server on loopback: a
borrower hears before a loan is due, when it is overdue and before a reservation's pickup
window, each once, across a restart; a mail server that is down loses nothing."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hub.alerts.dispatch import Alerter
from hub.alerts.email import EmailSender, SmtpSettings
from hub.alerts.reminders import Reminders
from hub.config import AlertsSection
from hub.domain.sweeper import AlertRules
from hub.localbroker import LocalPki, free_port
from hub.service import smtp_settings
from hub.store import Store
from tests.events import commit, kiosk_event
from tests.servers import WAIT, Inbox
from wire import EventType

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(hub_url: str) -> Iterator[Store]:
    s = Store.open(hub_url)
    s.add_person("ada", "Ada Lovelace", ["04A1B2C3"], email="ada@example.org")
    s.add_person("eve", "Eve Example", ["0EEEEEEE"])  # no address
    s.add_asset("CAM-0001", "Canon C70", "camera")
    s.add_asset("CAM-0002", "Sony FX3", "camera")
    s.add_kiosk("cage-1", "Film cage", START)
    yield s
    s.close()


def _alerter(store: Store, clock: Clock, smtp: SmtpSettings) -> Alerter:
    """A hub's sweeper as the service builds it: loan alerts and pickup reminders by mail."""
    reminders = Reminders(store, clock, smtp, lead=timedelta(hours=1), tz=LONDON)
    return Alerter(
        store, clock, AlertRules(), channels={"email": EmailSender(smtp)}, reminders=reminders
    )


def _smtp(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, sender="Cage <cage@example.org>", timeout=WAIT)


def _lend(store: Store, asset: str, person: str, at: datetime, due: datetime) -> None:
    commit(store, kiosk_event(at, EventType.CHECKOUT, person=person, asset=asset, due=due))


def _mail(inbox: Inbox) -> list[EmailMessage]:
    out = []
    while inbox.mail.arrived.is_set():
        envelope = inbox.mail.take()
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        assert isinstance(parsed, EmailMessage)
        assert envelope.rcpt_tos == ["ada@example.org"]
        out.append(parsed)
    return out


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def test_each_reminder_goes_once_across_a_restart(
    store: Store, inbox: tuple[Inbox, int], smtp: SmtpSettings
) -> None:
    clock = Clock()
    _lend(store, "CAM-0001", "ada", START, due=START + timedelta(hours=4))
    number = store.add_booking(
        "CAM-0002", "ada", START + timedelta(hours=3, minutes=30), START + timedelta(hours=6), START
    )
    store.add_booking(
        "CAM-0001", "eve", START + timedelta(days=2), START + timedelta(days=2, hours=1), START
    )
    alerter = _alerter(store, clock, smtp)
    subjects: list[str] = []
    for minutes in range(0, 6 * 60, 10):  # six hours, a pass every ten minutes
        clock.now = START + timedelta(minutes=minutes)
        if minutes == 150:  # the hub restarts: a new sweeper over the same database
            alerter = _alerter(store, clock, smtp)
        report = alerter.run_once()
        assert not any(report.failed.values())
        subjects += [str(m["Subject"]) for m in _mail(inbox[0])]
    assert subjects == [
        "Due soon: Canon C70 (CAM-0001)",  # 2 hours before 13:00
        "Reserved for you: Sony FX3 (CAM-0002) from Mon 02 Mar 2026 12:30 GMT",  # at 11:30
        "Overdue: Canon C70 (CAM-0001)",
    ]
    assert [r[1] is not None for r in store.reminders_of(number)] == [True]


def test_the_pickup_reminder_says_what_when_and_until_when(
    store: Store, inbox: tuple[Inbox, int], smtp: SmtpSettings
) -> None:
    clock = Clock()
    store.add_booking(
        "CAM-0002", "ada", START + timedelta(minutes=30), START + timedelta(hours=26), START
    )
    _alerter(store, clock, smtp).run_once()
    (msg,) = _mail(inbox[0])
    assert msg["To"] == "ada@example.org"
    assert msg["X-Cagekeeper-Reminder"].startswith("pickup:")
    body = _body(msg)
    assert "Ada Lovelace, your reservation starts soon." in body
    assert "Pick up: from Mon 02 Mar 2026 09:30 GMT" in body
    assert "Return:  by Tue 03 Mar 2026 11:00 GMT" in body


def test_a_cancelled_reservation_and_one_without_an_address_send_nothing(
    store: Store, inbox: tuple[Inbox, int], smtp: SmtpSettings
) -> None:
    clock = Clock()
    soon = (START + timedelta(minutes=30), START + timedelta(hours=2))
    mine = store.add_booking("CAM-0001", "ada", *soon, START)
    store.add_booking("CAM-0002", "eve", *soon, START)
    alerter = _alerter(store, clock, smtp)
    alerter.sweep_once()  # raised, then cancelled before the mail went
    store.cancel_booking(mine, START, actor="ada-user", person="ada")
    alerter.deliver_once()
    assert not inbox[0].mail.arrived.wait(0.5)
    assert store.pending_reminders() == []  # both dropped, with the reason kept


def test_a_mail_server_that_is_down_loses_nothing(store: Store) -> None:
    clock = Clock()
    port = free_port()  # nothing listens there yet
    _lend(store, "CAM-0001", "ada", START - timedelta(hours=3), due=START - timedelta(hours=1))
    store.add_booking(
        "CAM-0002", "ada", START + timedelta(minutes=30), START + timedelta(hours=2), START
    )
    alerter = _alerter(store, clock, _smtp(port))
    report = alerter.run_once()
    assert report.failed == {"email": 1, "reminders": 1}
    assert len(store.pending_reminders()) == 1

    clock.now += timedelta(minutes=10)
    alerter = _alerter(store, clock, _smtp(port))  # restarted while the server was down
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        report = alerter.run_once()
        assert report.delivered == {"email": 1, "reminders": 1}
        subjects = sorted(str(m["Subject"]) for m in _mail(inbox))
        assert subjects == [
            "Overdue: Canon C70 (CAM-0001)",
            "Reserved for you: Sony FX3 (CAM-0002) from Mon 02 Mar 2026 09:30 GMT",
        ]
        clock.now += timedelta(minutes=10)
        assert alerter.run_once().delivered == {"email": 0, "reminders": 0}
        assert not inbox.mail.arrived.wait(0.5)
    finally:
        controller.stop()


def test_reminders_go_over_starttls_with_the_password_from_its_file(
    store: Store, broker_pki: LocalPki, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server's certificate is checked against the configured CA, the password is read
    from its file, and the server (requiring both) takes the reminder."""
    secret = tmp_path / "smtp-password"
    secret.write_text("a long smtp password\n")
    logins: list[tuple[bytes, bytes]] = []

    def check(_server: object, _s: object, _e: object, _mech: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=(data.login, data.password) == (b"cage", b"a long smtp password"))

    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(broker_pki.cert_file, broker_pki.key_file)
    port, inbox = free_port(), Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        tls_context=server_tls,
        require_starttls=True,
        authenticator=check,
        auth_require_tls=True,
    )
    email = {
        "host": "localhost",
        "port": port,
        "sender": "Cage <cage@example.org>",
        "starttls": True,
        "username": "cage",
        "password_file": str(secret),
    }
    trusted = smtp_settings(
        AlertsSection.model_validate({"email": {**email, "ca_file": str(broker_pki.ca_file)}})
    )
    untrusted = smtp_settings(AlertsSection.model_validate({"email": email}))  # system CAs
    assert (
        trusted is not None and untrusted is not None and trusted.password == "a long smtp password"
    )
    clock = Clock()
    store.add_booking(
        "CAM-0001", "ada", START + timedelta(minutes=30), START + timedelta(hours=2), START
    )
    controller.start()
    try:
        doubted = Reminders(store, clock, untrusted, tz=LONDON)
        doubted.raise_due(clock())
        assert doubted.deliver(clock()).failed == 1  # a certificate it cannot trust: kept
        assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
        assert len(store.pending_reminders()) == 1 and logins == []
        assert Reminders(store, clock, trusted, tz=LONDON).deliver(clock()).sent == 1
        (msg,) = _mail(inbox)
        assert str(msg["Subject"]).startswith("Reserved for you: Canon C70 (CAM-0001)")
        assert logins == [(b"cage", b"a long smtp password")]
    finally:
        controller.stop()
