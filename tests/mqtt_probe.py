"""A plain MQTT client for tests that speak to the broker as a third party would."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hub.localbroker import local_pki


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool


class Probe:
    def __init__(
        self, port: int, username: str, password: str, client_id: str, ca_file: Path | None = None
    ) -> None:
        """Connect over TLS, trusting ``ca_file`` (the process's test CA by default)."""
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        c = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        c.username_pw_set(username, password)
        c.tls_set_context(local_pki().client_context(ca_file))
        c.on_connect = lambda *_a: self._connected.set()
        c.on_subscribe = lambda *_a: self._subscribed.set()
        c.on_message = self._on_message
        c.connect("127.0.0.1", port)
        c.loop_start()
        self.client = c
        if not self._connected.wait(10):
            raise TimeoutError("probe could not connect")

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain)))
            self._cond.notify_all()

    def subscribe(self, topic: str) -> None:
        self._subscribed.clear()
        self.client.subscribe(topic, qos=1)
        if not self._subscribed.wait(10):
            raise TimeoutError(f"no SUBACK for {topic}")

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> int:
        """Publish at QoS 1 and wait for the PUBACK; returns the PUBACK's reason code value."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout=10)
        return 0 if info.is_published() else -1

    def wait_for(self, topic: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [m for m in self.messages if mqtt.topic_matches_sub(topic, m.topic)]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(got)} of {count} messages on {topic}")
                self._cond.wait(left)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
