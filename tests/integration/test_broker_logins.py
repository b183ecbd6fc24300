"""Adding kiosk logins to a running broker, one right after another, as `kiosk add` and the
tests do: no connected client is signed out while the broker re-reads its password file, and
the newest login works."""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as mqtt

from mqttlink import Broker, connect, new_client
from tests.harness import HUB_PASSWORD, Cage


def _client(cage: Cage, user: str, password: str, name: str) -> tuple[mqtt.Client, Any]:
    broker = Broker("127.0.0.1", cage.broker.port, user, password, tls_ca=str(cage.broker.ca_file))
    up, dropped = threading.Event(), threading.Event()
    client = new_client(
        broker,
        name,
        on_connect=lambda _c, _u, _f, rc, *_a: up.set() if not rc.is_failure else None,
        on_disconnect=lambda *_a: dropped.set(),
    )
    connect(client, broker)
    return client, (up, dropped)


def test_logins_added_back_to_back_sign_no_one_out(cage: Cage) -> None:
    watcher, (up, dropped) = _client(cage, "hub", HUB_PASSWORD, "hub-watcher")
    try:
        assert up.wait(10)
        for n in range(15):
            cage.register_kiosk(f"kiosk-{n}")
        # the newest login works only once the broker has re-read the last file
        last, (last_up, _) = _client(cage, "kiosk-14", cage.kiosk_passwords["kiosk-14"], "kiosk-14")
        try:
            assert last_up.wait(10), cage.broker.log_tail()
        finally:
            last.disconnect()
            last.loop_stop()
        assert not dropped.is_set(), "a connected client was signed out by a reload"
    finally:
        watcher.disconnect()
        watcher.loop_stop()
