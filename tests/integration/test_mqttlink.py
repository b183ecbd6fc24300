"""The shared MQTT layer on the real broker: TLS checked, each message to its filter's handler,
and a handler that fails does not stop the messages after it."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from mqttlink import Broker, Router, TlsSetupError, connect, new_client
from tests.events import denial_event
from tests.harness import Cage
from wire import Topics, decode_ack, encode_event

TOPICS = Topics()


def test_a_ca_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(TlsSetupError, match=r"nowhere\.pem"):
        Broker("localhost", 8883, "k", "p", tls_ca=str(missing)).tls_context()
    with pytest.raises(TlsSetupError, match="tls_ca_pem"):
        Broker("localhost", 8883, "k", "p", tls_ca_pem="not a certificate").tls_context()
    assert Broker("localhost", 1883, "k", "p", tls=False).tls_context() is None


def test_messages_reach_their_filters_handler_past_one_that_fails(cage: Cage) -> None:
    cage.register_kiosk("cage-9")
    key = cage.kiosk_keys["cage-9"]
    broker = Broker(
        "127.0.0.1",
        cage.broker.port,
        "cage-9",
        cage.kiosk_passwords["cage-9"],
        tls_ca=str(cage.broker.ca_file),
    )
    acked: list[int] = []
    statuses: list[bytes] = []
    ready, first, second = threading.Event(), threading.Event(), threading.Event()

    def take_ack(msg: mqtt.MQTTMessage) -> None:
        seqs = [a.seq for a in decode_ack(bytes(msg.payload), key).acks]
        if seqs == [1]:
            first.set()
            raise RuntimeError("a handler's own bug")
        acked.extend(seqs)
        second.set()

    def on_connect(client: mqtt.Client, *_a: Any) -> None:
        client.subscribe([(topic, 1) for topic in router.filters])
        ready.set()

    client = new_client(
        broker, "probe-cage-9", on_connect=on_connect, on_disconnect=lambda *_a: None
    )
    router = Router(client)
    router.route(TOPICS.acks("cage-9"), take_ack)
    router.route(TOPICS.hub_status(), lambda m: statuses.append(bytes(m.payload)))
    connect(client, broker)
    try:
        assert ready.wait(10)
        at = cage.clock.now()
        for seq in (1, 2):
            client.publish(
                TOPICS.events("cage-9"),
                encode_event(denial_event("cage-9", seq, at + timedelta(seconds=seq)), key),
                qos=1,
            )
            if seq == 1:
                assert first.wait(10)  # its handler ran, and failed
        assert second.wait(10), "the network thread stopped after a handler failed"
        assert acked == [2]
        assert statuses and b'"online"' in statuses[0]  # the retained hub status, routed apart
    finally:
        client.disconnect()
        client.loop_stop()
