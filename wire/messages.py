"""Payload schemas of the v1 contract (see docs/protocol.md for the prose version)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from wire.badges import UID_PATTERN
from wire.ids import uuid7_problem
from wire.labels import ASSET_CODE
from wire.topics import KIOSK_ID_PATTERN

PROTOCOL_VERSION = 1


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
KioskId = Annotated[str, Field(pattern=f"^{KIOSK_ID_PATTERN}$")]
AssetCode = Annotated[str, Field(pattern=ASSET_CODE.pattern)]
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Uid = Annotated[str, Field(pattern=UID_PATTERN)]  # wire.badges: 4, 7 or 10 bytes
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
UUID7_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


def _uuid7(value: str) -> str:
    problem = uuid7_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# An event's own id must be a UUIDv7: the format is checked first and then the version and
# variant, so the error says which is wrong; the published schema carries the strict pattern.
EventId = Annotated[
    str,
    Field(pattern=UUID_PATTERN, json_schema_extra={"pattern": UUID7_PATTERN}),
    AfterValidator(_uuid7),
]
# What an ack names: any lowercase UUID, so an event refused for its id can still be named.
AckedId = Annotated[str, Field(pattern=UUID_PATTERN)]


class _Message(BaseModel):
    """Kiosk to hub: strict, an unknown field is refused so a sender's typo is noticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _FromHub(BaseModel):
    """Hub to kiosk: tolerant, so the hub can add optional fields before every kiosk updates."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class EventType(StrEnum):
    CHECKOUT = "checkout"
    RETURN = "return"
    DENIED = "denied"
    DOOR_UNLOCKED = "door_unlocked"  # a staff badge opened the cage door
    EXTEND = "extend"  # the holder renewed a loan at a kiosk: ``due`` is the new due time
    ENROLL = "enroll"  # staff gave ``person`` another badge (``badge``) at a kiosk
    SEEN = "seen"  # a stocktake: staff (``person``) scanned ``asset`` on the shelf here


class DenialReason(StrEnum):
    """Why a kiosk refused something; each maps to a sentence the student can act on."""

    UNKNOWN_BADGE = "unknown_badge"
    UNKNOWN_ITEM = "unknown_item"
    NOT_A_LABEL = "not_a_label"
    HELD_BY_OTHER = "held_by_other"
    NOT_LENDABLE = "not_lendable"
    IN_MAINTENANCE = "in_maintenance"  # out of circulation for a repair or a service
    NO_BADGE = "no_badge"
    OVERDUE_ITEMS = "overdue_items"
    ITEM_LIMIT = "item_limit"
    BOOKED_BY_OTHER = "booked_by_other"
    NOT_TRAINED = "not_trained"
    NOT_IN_GROUP = "not_in_group"  # the category is restricted to access groups they are not in
    BLOCKED = "blocked"  # banned for a while (late-return strikes) or blocked by a manager
    PIN_LOCKOUT = "pin_lockout"  # too many wrong door PINs for a staff badge: locked out here


class ReturnCondition(StrEnum):
    OK = "ok"
    DAMAGED = "damaged"
    MISSING_PART = "missing_part"


class CustodyEvent(_Message):
    """One fact from a kiosk: an item lent, an item returned, or an attempt refused."""

    v: Literal[1] = 1
    id: EventId
    kiosk: KioskId
    seq: int = Field(ge=1)
    at: UtcDatetime
    type: EventType
    session: str | None = Field(default=None, max_length=64)
    badge: Uid | None = None
    person: str | None = Field(default=None, min_length=1, max_length=64)
    asset: AssetCode | None = None
    due: UtcDatetime | None = None
    condition: ReturnCondition | None = None
    reason: DenialReason | None = None
    detail: str | None = Field(default=None, max_length=200)
    clock_synced: bool | None = Field(
        default=None,
        description="whether NTP had set the kiosk's clock when it stamped `at`; left out when "
        "the kiosk cannot tell",
    )
    sig: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _fields_for_type(self) -> Self:
        missing: list[str] = []
        if self.type is EventType.CHECKOUT:
            missing = [f for f in ("person", "asset", "due") if getattr(self, f) is None]
            if self.due is not None and self.due <= self.at:
                raise ValueError("due must be after at")
        elif self.type is EventType.RETURN:
            missing = [f for f in ("asset",) if getattr(self, f) is None]
        elif self.type is EventType.DENIED:
            missing = [f for f in ("reason",) if getattr(self, f) is None]
        elif self.type is EventType.EXTEND:
            missing = [f for f in ("person", "asset", "due") if getattr(self, f) is None]
            if self.due is not None and self.due <= self.at:
                raise ValueError("due must be after at")
        elif self.type is EventType.ENROLL:
            missing = [f for f in ("person", "badge") if getattr(self, f) is None]
        elif self.type is EventType.DOOR_UNLOCKED:
            missing = [f for f in ("person",) if getattr(self, f) is None]
        elif self.type is EventType.SEEN:
            missing = [f for f in ("person", "asset") if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.type.value} event needs {', '.join(missing)}")
        return self


class AckResult(StrEnum):
    COMMITTED = "committed"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class Ack(_FromHub):
    id: AckedId
    seq: int = Field(ge=1)
    result: AckResult
    error: str | None = Field(default=None, max_length=500)


class AckBatch(_FromHub):
    """Hub to kiosk, after the commit: the kiosk may now drop these events from its outbox."""

    v: Literal[1] = 1
    kiosk: KioskId
    acks: list[Ack] = Field(min_length=1, max_length=1000)
    sig: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class KioskState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class KioskStatus(_Message):
    """Retained kiosk health; the broker publishes the offline form as the kiosk's last will."""

    v: Literal[1] = 1
    kiosk: KioskId
    state: KioskState
    at: UtcDatetime | None = None
    version: str | None = None
    profile: str | None = None
    outbox: int | None = Field(default=None, ge=0)
    replica: int | None = Field(default=None, ge=0)
    uptime_s: int | None = Field(default=None, ge=0)
    faults: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=10,
        description="devices that are not working, in words a technician can act on",
    )
    clock_synced: bool | None = Field(
        default=None,
        description="whether NTP has set the kiosk's clock; left out when the kiosk cannot tell",
    )
    acks_overdue: int | None = Field(
        default=None,
        ge=0,
        description="events that have waited longer than the kiosk's limit for the hub's ack "
        "while the hub was reachable (0: none); left out by kiosks that do not check",
    )
    acks_overdue_since: UtcDatetime | None = Field(
        default=None,
        description="when the oldest of those events was recorded (by the kiosk's clock)",
    )


class HubStatus(_FromHub):
    """Retained hub presence; the broker publishes the offline form as the hub's last will."""

    v: Literal[1] = 1
    state: KioskState
    at: UtcDatetime | None = None
    version: str | None = None


class ReplicaPerson(_FromHub):
    id: str = Field(min_length=1, max_length=64)
    name: str
    badges: list[Uid]
    active: bool = True
    staff: bool = False  # may unlock the cage door
    trainings: dict[str, UtcDatetime | None] = Field(
        default_factory=dict, description="training name -> when it expires (null: never)"
    )
    blocked_until: UtcDatetime | None = Field(
        default=None, description="no new checkouts before this time (returns are always taken)"
    )
    blocked_reason: str | None = None
    strikes: int = Field(default=0, ge=0, description="late returns in the current term")
    notices: list[str] = Field(
        default_factory=list, description="open alerts, shown at the person's next session"
    )
    pin: str | None = Field(
        default=None,
        max_length=200,
        description="staff only: the salted scrypt hash of the PIN that opens the door with the "
        "badge ($scrypt$ln=..,r=..,p=..$salt$key); null: none set",
    )
    groups: list[str] = Field(
        default_factory=list, description="access groups (courses, departments) the person is in"
    )


class ReplicaAsset(_FromHub):
    code: AssetCode
    name: str
    category: str
    lendable: bool = True
    in_maintenance: bool = Field(
        default=False, description="not lendable because it is being repaired or serviced"
    )
    kit: AssetCode | None = None  # the kit this asset is a piece of


class ReplicaHolding(_FromHub):
    asset: AssetCode
    person: str
    due: UtcDatetime
    renewals: int = Field(default=0, ge=0)  # extensions already granted on this loan


class LoanPeriodSpec(_FromHub):
    """How long a loan lasts: ``amount`` minutes or hours, ``amount`` open days (due at closing
    time), or until the cage next opens (``amount`` unused)."""

    kind: Literal["minutes", "hours", "days", "next_opening"] = "hours"
    amount: int = Field(default=24, ge=0)


class OpeningSpec(_FromHub):
    """The cage's opening hours in its own time zone: ``weekly`` maps a weekday (``mon`` ...
    ``sun``) to ``["09:00", "17:00"]``; weekdays not listed and ``closed`` dates are closed."""

    tz: str = "UTC"
    weekly: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], tuple[Clock, Clock]] = (
        Field(default_factory=dict)
    )
    closed: list[date] = Field(default_factory=list)

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class ReplicaBooking(_FromHub):
    """A reservation: inside [starts, ends) only ``person`` may take ``asset``."""

    asset: AssetCode
    person: str
    starts: UtcDatetime
    ends: UtcDatetime


class ReplicaPolicy(_FromHub):
    """The lending rules a kiosk applies: loan periods per category with a default, opening
    hours (no due time falls while closed), an optional cap on items held at once, and whether
    overdue items block new checkouts."""

    default_loan: LoanPeriodSpec = Field(default_factory=LoanPeriodSpec)
    loans: dict[str, LoanPeriodSpec] = Field(default_factory=dict)
    opening: OpeningSpec | None = None
    max_items: int | None = Field(default=None, ge=1)
    block_when_overdue: bool = False
    max_renewals: int = Field(default=1, ge=0)  # extensions per loan a kiosk may grant
    requires: dict[str, str] = Field(
        default_factory=dict, description="category -> training a borrower must hold"
    )
    groups: dict[str, list[str]] = Field(
        default_factory=dict,
        description="category -> access groups a borrower must be in (one of them will do)",
    )

    def loan_for(self, category: str) -> LoanPeriodSpec:
        return self.loans.get(category, self.default_loan)


class ReplicaSnapshot(_FromHub):
    """Everything a kiosk needs to decide offline, retained so a kiosk gets it on connect."""

    v: Literal[1] = 1
    version: int = Field(ge=0)
    at: UtcDatetime
    people: list[ReplicaPerson]
    assets: list[ReplicaAsset]
    holdings: list[ReplicaHolding]
    bookings: list[ReplicaBooking] = Field(default_factory=list)
    policy: ReplicaPolicy = Field(default_factory=ReplicaPolicy)
    kiosk_seqs: dict[str, int] = Field(
        default_factory=dict,
        description="Highest committed sequence number per kiosk reflected in this snapshot.",
    )


class ReplicaDelta(_FromHub):
    """What changed between two replica versions; a kiosk at exactly ``base`` applies it and is
    then at ``version``. Any other kiosk waits for the next retained snapshot."""

    v: Literal[1] = 1
    base: int = Field(ge=0)
    version: int = Field(ge=1)
    at: UtcDatetime
    people: list[ReplicaPerson] = Field(default_factory=list, description="added or changed")
    people_removed: list[str] = Field(default_factory=list)
    assets: list[ReplicaAsset] = Field(default_factory=list, description="added or changed")
    assets_removed: list[AssetCode] = Field(default_factory=list)
    holdings: list[ReplicaHolding] = Field(default_factory=list, description="new or changed")
    holdings_removed: list[AssetCode] = Field(
        default_factory=list, description="assets nobody holds any more"
    )
    bookings: dict[str, list[ReplicaBooking]] = Field(
        default_factory=dict, description="asset -> all its bookings now (empty: none left)"
    )
    policy: ReplicaPolicy | None = Field(default=None, description="the new rules, if changed")
    kiosk_seqs: dict[str, int] = Field(default_factory=dict, description="changed entries")

    @model_validator(mode="after")
    def _forward(self) -> Self:
        if self.version <= self.base:
            raise ValueError("a delta must lead to a newer version than its base")
        return self
