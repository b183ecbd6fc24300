"""The session's state and settings: what the kiosk knows between two inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from kiosk.pin_lockout import PinLockouts
from kiosk.screens import CartLine, HeldItem, Reservation
from kiosk.session.inputs import Device
from rules.lending import Person, zone_of
from wire import ReplicaPolicy


class Profile(StrEnum):
    CAGE = "cage"  # badge, cart, confirm
    STATION = "station"  # door return station: a scan is a return, no badge needed


class Mode(StrEnum):
    IDLE = "idle"
    CART = "cart"
    RECEIPT = "receipt"
    DENIED = "denied"


@dataclass(frozen=True)
class DoorSettings:
    """Whether a staff badge needs its owner's PIN too, and how wrong PINs are limited."""

    require_pin: bool = True
    attempts: int = 5  # wrong PINs in a row before the badge is locked out here
    lockout: timedelta = timedelta(minutes=5)
    timeout: timedelta = timedelta(seconds=30)  # an untouched PIN pad goes back to idle


@dataclass(frozen=True)
class PinEntry:
    """The PIN pad is open for ``person``, who tapped ``badge``; ``typed``: the digits so far."""

    person: Person
    badge: str
    typed: str = field(default="", repr=False)
    message: str | None = None


@dataclass(frozen=True)
class Settings:
    kiosk_name: str
    profile: Profile = Profile.CAGE
    inactivity: timedelta = timedelta(seconds=60)
    warn_before: timedelta = timedelta(seconds=15)  # "Still there?" before a session clears
    linger: timedelta = timedelta(seconds=8)  # how long a receipt or denial stays up
    unlock_seconds: float = 5.0
    policy: ReplicaPolicy = field(default_factory=ReplicaPolicy)
    door: DoorSettings = field(default_factory=DoorSettings)


@dataclass(frozen=True)
class State:
    mode: Mode = Mode.IDLE
    person: Person | None = None
    badge: str | None = None
    session: str | None = None
    lines: tuple[CartLine, ...] = ()
    loans: tuple[HeldItem, ...] = ()
    reserved: tuple[Reservation, ...] = ()  # booked by the person, theirs to pick up now
    message: str | None = None
    denial: tuple[str, str] | None = None
    expires: datetime | None = None
    offline: bool = False
    enrolling: Person | bool = False  # True: waiting for whose; a Person: for the new badge
    stocktake: bool = False  # staff counting the shelf: scans are recorded as seen
    stash: tuple[CartLine, ...] = ()  # the cart set aside while staff count, given back after
    door_alarm: bool = False  # the door is held open: the idle screen asks to close it
    typing: str | None = None  # the label code typed so far on the on-screen keyboard
    countdown: int | None = None  # seconds left before an untouched session clears
    returned: str | None = None  # what a return station just took back
    pin: PinEntry | None = None  # the door PIN pad is open
    # the kiosk as a whole, kept across sessions:
    ready: bool = True  # holds a replica from the hub (False: starting up)
    troubles: tuple[tuple[Device, str], ...] = ()  # devices not working, with the driver's why
    unacked: int = 0  # records the hub is late acknowledging
    unacked_since: datetime | None = None
    lockouts: PinLockouts = field(default_factory=PinLockouts)  # wrong door PINs, per badge


def cage_zone(settings: Settings) -> str:
    """The cage's time zone from the hub's policy (its opening hours); a hub that sets none
    keeps its rules in UTC, and so does the kiosk, whatever zone the Pi is set to."""
    return zone_of(settings.policy)


def idle(state: State, message: str | None = None) -> State:
    """Back to the start; what the kiosk knows about itself (network, door, devices, the hub)
    outlives the session."""
    return State(
        offline=state.offline,
        message=message,
        door_alarm=state.door_alarm,
        ready=state.ready,
        troubles=state.troubles,
        unacked=state.unacked,
        unacked_since=state.unacked_since,
        lockouts=state.lockouts,
    )
