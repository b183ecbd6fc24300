"""Alerts POSTed as signed JSON, for chat bridges, ticket systems and the like."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

import httpx

from hub.alerts.message import Alert, DeliveryFailed

SIGNATURE_HEADER = "X-Cagekeeper-Signature"
ALERT_HEADER = "X-Cagekeeper-Alert"
PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class WebhookSettings:
    """The receiver's URL and the secret both sides share to sign and check each body."""

    url: str
    secret: bytes = field(repr=False)
    timeout: float = 10

    def __post_init__(self) -> None:
        if httpx.URL(self.url).scheme not in ("http", "https"):
            raise ValueError(f"webhook URL {self.url!r} must be http or https")
        if not self.secret:
            raise ValueError("webhook secret must not be empty")

    @property
    def server(self) -> str:
        """The URL without path or query, which often carry a token and so stay out of logs."""
        url = httpx.URL(self.url)
        port = f":{url.port}" if url.port is not None else ""
        return f"{url.scheme}://{url.host}{port}"


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str) -> bool:
    """Whether ``header`` signs exactly ``body`` with ``secret``, compared in constant time."""
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


class WebhookSender:
    """Delivers alerts to one URL; a receiver deduplicates on the alert id header."""

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings

    def body(self, alert: Alert) -> bytes:
        payload = {"version": PAYLOAD_VERSION, "alert": alert.to_json()}
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

    def send(self, alert: Alert) -> bool:
        """POST ``alert``; True once the receiver answered 2xx, DeliveryFailed otherwise."""
        s = self.settings
        body = self.body(alert)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(s.secret, body),
            ALERT_HEADER: alert.id,
        }
        try:
            with httpx.Client(timeout=s.timeout) as client:
                response = client.post(s.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise DeliveryFailed(
                f"alert {alert.id}: webhook {s.server} unreachable: {reason}"
            ) from exc
        if not response.is_success:
            code = response.status_code
            raise DeliveryFailed(
                f"alert {alert.id}: webhook {s.server} answered "
                f"{code} {response.reason_phrase}".rstrip(),
                # the receiver rejects this alert; 408/429 and 5xx mean "later"
                permanent=400 <= code < 500 and code not in (408, 429),
            )
        return True
