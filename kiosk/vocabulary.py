"""The words the kiosk's parts say to each other: what a tap on the screen asks for, and what
the status light shows and the buzzer sounds.

They are string enums, so a typo is a type error where it is written rather than a tap or a
pattern refused at run time, and each member still equals the word it stands for (the session
matches taps by their words, and the hub sees none of these).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What a tap asks for: each drawn button's action, plus TOUCH (the screen was touched off
    every button: the person is still there) and QUIT (the window was closed)."""

    CONFIRM = "confirm"
    CANCEL = "cancel"
    DONE = "done"
    REMOVE = "remove"  # the tapped cart line's item is the code
    CONDITION = "condition"  # the next condition for the line's item
    CONDITION_OK = "condition:ok"  # one condition chosen for the line's item
    CONDITION_DAMAGED = "condition:damaged"
    CONDITION_MISSING_PART = "condition:missing_part"
    EXTEND = "extend"
    UNLOCK = "unlock"
    ENROLL = "enroll"
    STOCKTAKE = "stocktake"
    TYPE = "type"  # open the on-screen keyboard
    KEY = "key"  # a key of the keyboard or the PIN pad; the key is the code
    ENTER = "enter"
    STILL_HERE = "still_here"
    TOUCH = "touch"
    QUIT = "quit"

    @classmethod
    def set_condition(cls, condition: str) -> Action:
        """The button that chooses ``condition`` (a return condition's value) for a line."""
        return cls(f"condition:{condition}")


class Pattern(StrEnum):
    """What the status LEDs show. READY and OFFLINE are the resting state; the others show for
    a while after a scan and then give way to it."""

    READY = "ready"
    OFFLINE = "offline"
    SUCCESS = "success"
    DENIED = "denied"
    BUSY = "busy"

    @property
    def resting(self) -> bool:
        return self in (Pattern.READY, Pattern.OFFLINE)


class Tone(StrEnum):
    """What the buzzer sounds: a short beep, three beeps, or the door alarm until stopped."""

    OK = "ok"
    ERROR = "error"
    ALARM = "alarm"
