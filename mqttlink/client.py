"""A paho client set up the one way both sides need it."""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

# a broker that is away is asked again after 1 s, then up to every 10 s
RECONNECT_MIN, RECONNECT_MAX = 1, 10


class TlsSetupError(ValueError):
    """The CA to check the broker against cannot be loaded; the message names it."""


@dataclass(frozen=True)
class Broker:
    """Where the broker is, who we are to it, and how to trust it. TLS is on unless ``tls`` is
    false: the broker's certificate must chain to ``tls_ca`` (a PEM file) or ``tls_ca_pem``
    (the PEM text), or to the system's CAs when neither is given, and must name ``host``."""

    host: str
    port: int
    username: str
    password: str
    keepalive: int = 30
    tls: bool = True
    tls_ca: str | None = None
    tls_ca_pem: str | None = None

    def tls_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        try:
            return ssl.create_default_context(cafile=self.tls_ca, cadata=self.tls_ca_pem)
        except (OSError, ssl.SSLError) as exc:
            raise TlsSetupError(f"broker CA {self.tls_ca or 'tls_ca_pem'}: {exc}") from exc


@dataclass(frozen=True)
class Will:
    """What the broker publishes for us if we vanish without a goodbye."""

    topic: str
    payload: str
    qos: int = 1
    retain: bool = True


OnConnect = Callable[[mqtt.Client, Any, mqtt.ConnectFlags, Any, Properties | None], None]
OnDisconnect = Callable[[mqtt.Client, Any, mqtt.DisconnectFlags, Any, Properties | None], None]


def new_client(
    broker: Broker,
    client_id: str,
    *,
    on_connect: OnConnect,
    on_disconnect: OnDisconnect,
    will: Will | None = None,
    manual_ack: bool = False,
    max_inflight: int | None = None,
) -> mqtt.Client:
    """An MQTT 5 client for ``broker``, not yet connected (see ``connect``). ``manual_ack``:
    messages are PUBACKed only when the caller says so (``client.ack``), e.g. after a commit."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    client.username_pw_set(broker.username, broker.password)
    context = broker.tls_context()
    if context is not None:
        client.tls_set_context(context)  # the host name is checked: the context says so
    if will is not None:
        client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
    client.reconnect_delay_set(min_delay=RECONNECT_MIN, max_delay=RECONNECT_MAX)
    if max_inflight is not None:
        client.max_inflight_messages_set(max_inflight)
    client.on_socket_open = no_delay
    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    return client


def connect(client: mqtt.Client, broker: Broker, session_expiry: int | None = None) -> None:
    """Connect in the background and keep reconnecting (paho's network thread).

    ``session_expiry`` (seconds): keep a persistent session, clean start off on every connect,
    the first too, so a restarted client takes up the session it left. None: a clean session.
    """
    if session_expiry is None:
        client.connect_async(broker.host, broker.port, broker.keepalive)
    else:
        session = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        session.SessionExpiryInterval = session_expiry
        client.connect_async(
            broker.host, broker.port, broker.keepalive, clean_start=False, properties=session
        )
    client.loop_start()


def no_delay(_client: object, _userdata: object, sock: Any) -> None:
    """Turn off Nagle's algorithm on the MQTT socket: small QoS 1 packets otherwise wait for the
    peer's delayed ACK (~40 ms per event and ack)."""
    with contextlib.suppress(AttributeError, OSError):  # not TCP (e.g. a websocket wrapper)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
