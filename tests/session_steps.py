"""A person, items and settings for the session's tests, and steps to drive it with."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.session import (
    Effect,
    Input,
    Item,
    LabelScanned,
    Person,
    Record,
    Settings,
    Show,
    State,
    step,
)
from wire import LoanPeriodSpec, ReplicaPolicy

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ADA = Person("ada", "Ada Lovelace")
CAMERA = Item("CAM-1", "Camera", "camera")
LENS = Item("LENS-1", "Lens", "lens")
SETTINGS = Settings(
    kiosk_name="Film cage", policy=ReplicaPolicy(loans={"camera": LoanPeriodSpec(amount=48)})
)


def run(
    inputs: list[tuple[Input, datetime]], settings: Settings = SETTINGS, state: State | None = None
) -> tuple[State, list[Effect]]:
    state = state or State()
    effects: list[Effect] = []
    for inp, at in inputs:
        state, out = step(state, inp, at, settings)
        effects += out
    return state, effects


def scan(item: Item | None, code: str | None = None) -> LabelScanned:
    code = code or (item.code if item else None)
    return LabelScanned(raw=f"CK1:{code}", code=code, item=item)


def last_screen(effects: list[Effect]) -> object:
    return [e for e in effects if isinstance(e, Show)][-1].screen


def records(effects: list[Effect]) -> list[Record]:
    return [e for e in effects if isinstance(e, Record)]


BODY = Item(
    "KIT-1",
    "C70 kit",
    "camera",
    members=(Item("LENS-9", "50mm lens", "lens"), Item("BATT-9", "Battery", "lens")),
)
