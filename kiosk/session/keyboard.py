"""The on-screen keyboard for a label's printed code, when the camera cannot read it."""

from __future__ import annotations

from dataclasses import replace

from kiosk.session.inputs import BACKSPACE
from kiosk.session.model import State

NOT_A_CODE = "That is not a label code: check it and try again"


CODE_KEYS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-._")


MAX_CODE = 64  # the longest asset code the wire contract allows


def type_key(state: State, key: str) -> State:
    if state.typing is None:
        return state
    if key == BACKSPACE:
        return replace(state, typing=state.typing[:-1], message=None)
    key = key.upper()
    if len(key) != 1 or key not in CODE_KEYS or len(state.typing) >= MAX_CODE:
        return state
    return replace(state, typing=state.typing + key, message=None)
