"""Text from outside (a kiosk's message, a database's error) shown with its control characters
escaped, so an escape sequence in it cannot steer a terminal or break a line of a listing."""

from __future__ import annotations


def printable(text: str, keep: str = "") -> str:
    """``text`` with every unprintable character but those in ``keep`` written as ``\\xNN``."""
    return "".join(c if c.isprintable() or c in keep else f"\\x{ord(c):02x}" for c in text)
