"""Alert delivery against real servers on loopback: an SMTP server and an HTTP receiver."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.smtp import Envelope

from hub.alerts.email import EmailSender, SmtpSettings
from hub.alerts.message import Alert, DeliveryFailed
from hub.alerts.webhook import WebhookSender, WebhookSettings, verify_signature
from hub.localbroker import free_port
from tests.servers import MANAGERS, WAIT, Inbox, Receiver

SECRET = b"shared-webhook-secret"
DUE = datetime(2024, 5, 1, 17, 0, tzinfo=UTC)


def _alert(kind: str = "overdue", email: str | None = "ada@example.org") -> Alert:
    return Alert(
        id=f"{kind}:CAM-0001:ev-42",
        kind=kind,
        asset="CAM-0001",
        asset_name="Canon EOS R6",
        person="ada",
        person_name="Ada Lovelace",
        person_email=email,
        due=DUE,
        raised_at=datetime(2024, 5, 1, 18, 0, tzinfo=UTC),
        text="The Canon EOS R6 (CAM-0001) was due back at 17:00 and is still out.",
    )


def _parse(envelope: Envelope) -> EmailMessage:
    assert envelope.original_content is not None
    return BytesParser(policy=policy.default).parsebytes(envelope.original_content)


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def test_overdue_mail_goes_to_the_holder(inbox: tuple[Inbox, int], smtp: SmtpSettings) -> None:
    assert EmailSender(smtp).send(_alert("overdue"))

    envelope = inbox[0].mail.take()
    assert envelope.mail_from == "cage@example.org"
    assert envelope.rcpt_tos == ["ada@example.org"]
    msg = _parse(envelope)
    assert msg["To"] == "ada@example.org" and msg["Cc"] is None
    assert "Overdue" in msg["Subject"] and "CAM-0001" in msg["Subject"]
    assert msg["X-Cagekeeper-Alert"] == "overdue:CAM-0001:ev-42"
    body = _text(msg)
    assert "Ada Lovelace" in body
    assert "Canon EOS R6 (CAM-0001)" in body
    assert "2024-05-01 17:00 UTC" in body
    assert "bring it back" in body


def test_escalation_goes_to_managers_with_the_holder_copied(
    inbox: tuple[Inbox, int], smtp: SmtpSettings
) -> None:
    assert EmailSender(smtp).send(_alert("escalated"))

    envelope = inbox[0].mail.take()
    assert sorted(envelope.rcpt_tos) == sorted([*MANAGERS, "ada@example.org"])
    msg = _parse(envelope)
    assert msg["To"] == ", ".join(MANAGERS)
    assert msg["Cc"] == "ada@example.org"
    assert "CAM-0001" in msg["Subject"] and "Ada Lovelace" in msg["Subject"]
    assert "follow this up with Ada Lovelace" in _text(msg)


def test_lost_item_without_holder_email_still_reaches_managers(
    inbox: tuple[Inbox, int], smtp: SmtpSettings
) -> None:
    assert EmailSender(smtp).send(_alert("lost", email=None))

    envelope = inbox[0].mail.take()
    assert sorted(envelope.rcpt_tos) == sorted(MANAGERS)
    assert _parse(envelope)["Cc"] is None


def test_resending_an_alert_keeps_its_message_id(
    inbox: tuple[Inbox, int], smtp: SmtpSettings
) -> None:
    sender = EmailSender(smtp)
    alert = _alert("overdue")
    sender.send(alert)
    sender.send(alert)
    sender.send(replace(alert, id="overdue:CAM-0001:ev-43"))

    first, again, other = (_parse(inbox[0].mail.take())["Message-ID"] for _ in range(3))
    assert first == again
    assert first != other
    assert first.startswith("<") and first.endswith("@example.org>")


def test_nobody_to_tell_is_skipped_without_connecting() -> None:
    # Nothing listens here, so any attempt to connect would raise DeliveryFailed.
    nowhere = SmtpSettings(host="127.0.0.1", port=free_port(), sender="cage@example.org")
    sender = EmailSender(nowhere)
    for kind in ("due_soon", "overdue", "withdrawn", "escalated", "lost"):
        assert sender.send(_alert(kind, email=None)) is False


def test_smtp_server_not_listening_fails_naming_it() -> None:
    port = free_port()
    sender = EmailSender(SmtpSettings(host="127.0.0.1", port=port, sender="cage@example.org"))

    with pytest.raises(DeliveryFailed, match=rf"SMTP server 127\.0\.0\.1:{port}") as failed:
        sender.send(_alert("overdue"))
    assert "overdue:CAM-0001:ev-42" in str(failed.value)


def test_refused_recipient_fails_with_the_servers_reason(
    inbox: tuple[Inbox, int], smtp: SmtpSettings
) -> None:
    inbox[0].unknown.add("ada@example.org")

    with pytest.raises(DeliveryFailed, match=r"refused \(ada@example\.org\)"):
        EmailSender(smtp).send(_alert("due_soon"))
    assert not inbox[0].mail.arrived.is_set()


def test_webhook_post_is_signed_and_carries_the_alert(receiver: Receiver) -> None:
    alert = _alert("overdue")
    assert WebhookSender(WebhookSettings(receiver.url, SECRET, timeout=WAIT)).send(alert)

    post = receiver.posts.take()
    assert post.path == "/hooks/cage"
    assert post.headers["content-type"] == "application/json"
    assert post.headers["x-cagekeeper-alert"] == alert.id
    signature = post.headers["x-cagekeeper-signature"]
    assert signature.startswith("sha256=")
    assert verify_signature(SECRET, post.body, signature)
    assert not verify_signature(b"someone-elses-secret", post.body, signature)
    assert not verify_signature(SECRET, post.body + b" ", signature)
    assert not verify_signature(SECRET, post.body, "sha256=")

    payload = json.loads(post.body)
    assert payload == {"version": 1, "alert": alert.to_json()}
    sent = payload["alert"]
    assert sent["asset"] == "CAM-0001" and sent["person_name"] == "Ada Lovelace"
    assert datetime.fromisoformat(sent["due"]) == DUE


def test_webhook_error_status_raises(receiver: Receiver) -> None:
    receiver.status = 500
    sender = WebhookSender(WebhookSettings(receiver.url, SECRET, timeout=WAIT))

    with pytest.raises(DeliveryFailed, match="answered 500 Internal Server Error") as failed:
        sender.send(_alert("lost"))
    # the path of a webhook URL is often its token, so only the server is named
    assert receiver.url.removesuffix("/hooks/cage") in str(failed.value)
    assert "/hooks/cage" not in str(failed.value)
    assert receiver.posts.take().headers["x-cagekeeper-alert"] == "lost:CAM-0001:ev-42"


def test_webhook_unreachable_raises() -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks/cage"
    sender = WebhookSender(WebhookSettings(url, SECRET, timeout=WAIT))

    with pytest.raises(DeliveryFailed, match="unreachable"):
        sender.send(_alert("overdue"))
