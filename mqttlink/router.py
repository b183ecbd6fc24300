"""Each message to the handler of the topic filter it matches (paho's per-filter callbacks)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

Handler = Callable[[mqtt.MQTTMessage], None]


class Router:
    """Handlers by topic filter; a message no filter matches goes to ``unmatched`` (ignored
    when None). A handler that raises is logged: it must never stop paho's network thread."""

    def __init__(self, client: mqtt.Client, unmatched: Handler | None = None) -> None:
        self._client = client
        self.filters: list[str] = []
        client.on_message = _guarded(unmatched or _ignore, "no filter")

    def route(self, topic_filter: str, handler: Handler) -> None:
        """Send messages matching ``topic_filter`` (``+`` and ``#`` wildcards) to ``handler``.
        A shared subscription is routed by its filter without the ``$share/<group>/``."""
        self.filters.append(topic_filter)
        self._client.message_callback_add(topic_filter, _guarded(handler, topic_filter))


def _guarded(
    handler: Handler, name: str
) -> Callable[[mqtt.Client, object, mqtt.MQTTMessage], None]:
    def call(_client: mqtt.Client, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            handler(msg)
        except Exception:
            log.exception("could not handle a message on %s (routed by %s)", msg.topic, name)

    return call


def _ignore(msg: mqtt.MQTTMessage) -> None:
    log.debug("no handler for a message on %s", msg.topic)
