"""Pickup reminders as plain-text email: raised by the sweeper, sent by the delivery loop.

A reminder is marked sent only once the mail server took it. A server that is down (or any
failure that is not about this one message) stops the round and leaves every reminder pending
for the next; one the server refuses for good, or that keeps failing, is dropped with the
reason, as is one whose reservation was cancelled or picked up meanwhile.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from hub.alerts.email import SmtpSettings, submit
from hub.alerts.message import DeliveryFailed
from hub.domain import reminders as rules
from hub.domain.bookings import local
from hub.store import Store
from hub.store.reminders import PendingReminder

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Round:
    raised: int = 0
    sent: int = 0
    dropped: int = 0
    failed: int = 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build(r: PendingReminder, sender: str, tz: tzinfo) -> EmailMessage:
    item = _one_line(f"{r.asset_name} ({r.asset})")
    msg = EmailMessage()
    msg["Subject"] = f"Reserved for you: {item} from {local(r.starts, tz)}"
    msg["From"] = sender
    msg["To"] = r.email or ""
    msg["Date"] = format_datetime(datetime.now(UTC))
    digest = hashlib.sha256(r.id.encode()).hexdigest()[:32]
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2] if "@" in address else "cagekeeper.invalid"
    msg["Message-ID"] = f"<reminder-{digest}@{domain}>"  # a resend is recognisable
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Cagekeeper-Reminder"] = r.id
    msg.set_content(
        f"{_one_line(r.person_name)}, your reservation starts soon.\n"
        f"\n"
        f"Item:    {item}\n"
        f"Pick up: from {local(r.starts, tz)}\n"
        f"Return:  by {local(r.ends, tz)}\n"
        f"\n"
        f"Tap your badge at the cage's kiosk to pick it up. If you no longer need it, cancel\n"
        f"the reservation so someone else can have it.\n"
        f"\n"
        f"-- \n"
        f"Cagekeeper, reservation #{r.booking}\n"
    )
    return msg


class Reminders:
    """Raises pickup reminders in the sweep and mails them in the delivery round."""

    def __init__(
        self,
        store: Store,
        now: Callable[[], datetime],
        smtp: SmtpSettings | None,
        *,
        lead: timedelta = timedelta(hours=1),
        tz: tzinfo = UTC,
    ) -> None:
        self.store = store
        self._now = now
        self.smtp = smtp
        self.lead = lead
        self.tz = tz

    def raise_due(self, now: datetime) -> int:
        """Record the reminders reservations starting within the lead have earned."""
        pickups = self.store.pickups_between(now, rules.horizon(now, self.lead))
        raised = self.store.raised_reminders([rules.reminder_id(p) for p in pickups])
        due = rules.due(pickups, raised, now, self.lead)
        return self.store.raise_reminders(due, now) if due else 0

    def deliver(self, now: datetime) -> Round:
        """Mail every pending reminder; stop at the first sign the server is down."""
        sent = dropped = failed = 0
        for r in self.store.pending_reminders():
            why = self._unsendable(r, now)
            if why is not None:
                self.store.reminder_dropped(r.id, now, why)
                dropped += 1
                continue
            assert self.smtp is not None and r.email is not None
            try:
                submit(self.smtp, build(r, self.smtp.sender, self.tz), f"reminder {r.id}")
            except DeliveryFailed as exc:
                failed += 1
                attempts = self.store.reminder_failed(r.id, str(exc))
                log.warning("reminder %s not sent: %s", r.id, exc)
                if exc.permanent or attempts >= MAX_ATTEMPTS:
                    self.store.reminder_dropped(r.id, now, str(exc))
                    dropped += 1
                    continue
                break  # the server is down: everything waits for the next round
            self.store.reminder_sent(r.id, now)
            sent += 1
        return Round(sent=sent, dropped=dropped, failed=failed)

    def _unsendable(self, r: PendingReminder, now: datetime) -> str | None:
        if not r.live:
            return "the reservation was cancelled, moved or picked up"
        if r.ends <= now:
            return "too late: the reservation is over"
        if not r.email:
            return f"{r.person} has no email address"
        if self.smtp is None:
            return "no mail server is configured ([alerts.email])"
        return None
