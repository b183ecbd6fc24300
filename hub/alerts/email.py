"""Alerts as plain-text email, sent with the standard library's SMTP client."""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from hub.alerts.message import Alert, DeliveryFailed
from hub.domain.alerts import AlertKind

log = logging.getLogger(__name__)

_SUBJECTS: dict[str, str] = {
    AlertKind.DUE_SOON: "Due soon: {item}",
    AlertKind.OVERDUE: "Overdue: {item}",
    AlertKind.ESCALATED: "Overdue, escalated: {item} held by {person}",
    AlertKind.LOST: "Marked lost: {item} last held by {person}",
    AlertKind.WITHDRAWN: "Back in the cage: {item}",
}
_ACTIONS: dict[str, str] = {
    AlertKind.DUE_SOON: "Please bring it back to the cage by then, or renew it at a kiosk if "
    "you still need it and renewals are left.",
    AlertKind.OVERDUE: "Please bring it back to the cage as soon as you can.",
    AlertKind.ESCALATED: "Please follow this up with {person}.",
    AlertKind.LOST: "Please follow this up with {person} and decide whether the item has to "
    "be replaced.",
    AlertKind.WITHDRAWN: "It has been returned (or its loan extended): the earlier reminder no "
    "longer applies and there is nothing to do.",
}


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to submit mail. ``ssl`` is implicit TLS (port 465), ``starttls`` upgrades."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    ssl: bool = False
    timeout: float = 10
    ca_file: str | None = None  # the CA the server's certificate must chain to; None: system's
    manager_addresses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.starttls and self.ssl:
            raise ValueError("SMTP: choose either ssl or starttls, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("SMTP: give both username and password, or neither")

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def format_time(moment: datetime) -> str:
    """How times read in alert mail; UTC, so a reader in any zone gets the same answer."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def message_id(alert: Alert, sender: str) -> str:
    """The same alert always gets the same Message-ID, so mail clients can spot a resend."""
    digest = hashlib.sha256(alert.id.encode()).hexdigest()[:32]
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2] if "@" in address else "cagekeeper.invalid"
    return f"<alert-{digest}@{domain}>"


class EmailSender:
    """Sends each alert to whoever has to act on it: the holder, or the managers."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def recipients(self, alert: Alert) -> tuple[list[str], list[str]]:
        """(To, Cc) for ``alert``; both empty when nobody can be told."""
        person = [alert.person_email] if alert.person_email else []
        if not alert.for_managers:
            return person, []
        managers = list(self.settings.manager_addresses)
        if not managers:
            return person, []
        return managers, [a for a in person if a not in managers]

    def build(self, alert: Alert) -> EmailMessage | None:
        """The message for ``alert``, or None when it has nobody to go to."""
        to, cc = self.recipients(alert)
        if not to:
            return None
        # names come from spreadsheets: no line breaks may reach a header
        item = _one_line(f"{alert.asset_name} ({alert.asset})")
        person = _one_line(alert.person_name)
        msg = EmailMessage()
        msg["Subject"] = _SUBJECTS[alert.kind].format(item=item, person=person)
        msg["From"] = self.settings.sender
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = message_id(alert, self.settings.sender)
        # RFC 3834: keeps out-of-office robots from answering the cage.
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Cagekeeper-Alert"] = alert.id
        msg.set_content(
            f"{alert.text}\n"
            f"\n"
            f"Item:    {item}\n"
            f"Holder:  {person} ({alert.person})\n"
            f"Due:     {format_time(alert.due)}\n"
            f"\n"
            f"{_ACTIONS[alert.kind].format(person=person)}\n"
            f"\n"
            f"-- \n"
            f"Cagekeeper, alert {alert.id} raised {format_time(alert.raised_at)}\n"
        )
        return msg

    def send(self, alert: Alert) -> bool:
        """Deliver ``alert``; False if it had nobody to go to, DeliveryFailed if it failed."""
        msg = self.build(alert)
        if msg is None:
            log.info("alert %s: no email address to send it to, skipped", alert.id)
            return False
        refused = submit(self.settings, msg, f"alert {alert.id}")
        if refused:
            # Retrying would resend to those who got it; the rest is for the log.
            log.warning(
                "alert %s: SMTP server %s refused %s",
                alert.id,
                self.settings.server,
                ", ".join(refused),
            )
        return True


def submit(s: SmtpSettings, msg: EmailMessage, what: str) -> list[str]:
    """Hand one message to the SMTP server: the recipients it refused (the rest got it), or
    DeliveryFailed (``permanent`` when the server refused the message for good)."""
    try:
        with _connect(s) as smtp:
            if s.starttls:
                smtp.starttls(context=_tls(s))
            if s.username is not None and s.password is not None:
                smtp.login(s.username, s.password)
            return list(smtp.send_message(msg))
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(
            f"{what}: SMTP server {s.server} did not take it: {_reason(exc)}",
            permanent=_permanent(exc),
        ) from exc


def _connect(s: SmtpSettings) -> smtplib.SMTP:
    if s.ssl:
        return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=_tls(s))
    return smtplib.SMTP(s.host, s.port, timeout=s.timeout)


def _tls(s: SmtpSettings) -> ssl.SSLContext:
    """The server's certificate checked, and its name, against the CA given or the system's."""
    return ssl.create_default_context(cafile=s.ca_file)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _permanent(exc: Exception) -> bool:
    """The server refused this message for good (5xx about recipients, sender or content)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError)
    return False


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused (" + ", ".join(exc.recipients) + ")"
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
