"""The MQTT layer the kiosk and the hub share: one way to make a paho client (MQTT 5, TLS that
checks the broker, a last will, reconnect back-off, Nagle off) and a router that hands each
message to the handler of the topic filter it matches.

It knows nothing of Cagekeeper's topics or payloads (those are ``wire``'s); each side's link
says what it subscribes to and what it does with a message.
"""

from mqttlink.client import Broker, TlsSetupError, Will, connect, new_client, no_delay
from mqttlink.router import Router

__all__ = ["Broker", "Router", "TlsSetupError", "Will", "connect", "new_client", "no_delay"]
