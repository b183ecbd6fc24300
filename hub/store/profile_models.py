"""The records an asset's page and a person's page are made of (hub.store.profiles).

Field names and order are those of the JSON API's asset and person documents, which are these
records as dictionaries (``dataclasses.asdict``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from hub.domain.strikes import Strike


@dataclass(frozen=True)
class AssetFacts:
    """An asset's registry row, every column of it."""

    code: str
    name: str
    category: str
    status: str  # a hub.domain.lifecycle.Status, or text the enum does not know
    model: str | None
    manufacturer: str | None
    kit: str | None  # the kit (another asset's code) it is a piece of
    serial: str | None
    home: str | None
    location: str | None
    value: Decimal | None
    photo_url: str | None
    notes: str | None
    acquired: date | None
    cost: Decimal | None
    supplier: str | None
    disposed_reason: str | None
    last_seen: datetime | None
    located_at: datetime | None
    last_service: datetime | None
    checkouts_since_service: int


@dataclass(frozen=True)
class AssetHolder:
    """Who holds an asset now, and since and until when."""

    person: str
    name: str
    due: datetime
    since: datetime


@dataclass(frozen=True)
class AssetEvent:
    """One custody or lifecycle event on an asset's timeline."""

    at: datetime
    type: str
    person: str | None
    person_name: str | None
    kiosk: str
    kiosk_name: str | None
    condition: str | None
    reason: str | None
    detail: str | None


@dataclass(frozen=True)
class AssetBooking:
    """One booking of an asset, with the name of whom it is for."""

    id: int
    person: str
    name: str
    starts: datetime
    ends: datetime
    cancelled: bool
    picked_up: bool
    released_at: datetime | None
    state: str  # hub.domain.bookings.State


@dataclass(frozen=True)
class KitPiece:
    """A piece of a kit, with who holds it if it is out."""

    code: str
    name: str
    holder: str | None
    holder_name: str | None
    due: datetime | None


@dataclass(frozen=True)
class AssetTicket:
    """A maintenance ticket of an asset, every column, with the reporter's name."""

    id: int
    asset: str
    opened_at: datetime
    kind: str
    person: str | None
    event_id: str | None
    loan_event_id: str | None
    detail: str | None
    closed_at: datetime | None
    outcome: str | None
    cost: Decimal | None
    note: str | None
    person_name: str | None


@dataclass(frozen=True)
class AssetDetail:
    """An asset's page: details, holder, timeline, bookings, kit and maintenance history."""

    asset: AssetFacts
    fields: dict[str, str]  # its own fields, name to value
    holder: AssetHolder | None
    timeline: list[AssetEvent]  # newest first
    bookings: list[AssetBooking]  # latest start first
    pieces: list[KitPiece]
    # a kit back on the shelf (or with someone else) while these pieces are still out
    pieces_out: list[KitPiece]
    kit_name: str | None  # the name of the kit it is a piece of
    tickets: list[AssetTicket]  # newest first


@dataclass(frozen=True)
class PersonFacts:
    """A person's registry row; of their PIN, only whether one is set."""

    id: str
    name: str
    email: str | None
    active: bool
    staff: bool
    groups: str | None  # ";"-separated
    provider_groups: str | None  # ";"-separated, as the identity provider last gave them
    blocked_until: datetime | None
    blocked_reason: str | None
    has_pin: bool


@dataclass(frozen=True)
class BadgeRegistration:
    """One registration of a card to a person; a revoked one stays as the card's history."""

    uid: str
    revoked: bool
    added_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class PersonLoan:
    """An item a person holds now."""

    asset: str
    name: str
    since: datetime
    due: datetime


@dataclass(frozen=True)
class PersonEvent:
    """One custody event of a person's history."""

    at: datetime
    type: str
    asset: str | None
    asset_name: str | None
    kiosk: str
    kiosk_name: str | None
    reason: str | None
    detail: str | None


@dataclass(frozen=True)
class LateReturned:
    """An item a person brought back late."""

    asset: str
    asset_name: str | None
    due: datetime
    returned: datetime
    minutes_late: int


@dataclass(frozen=True)
class ReportedTicket:
    """A maintenance ticket opened by a person's return."""

    id: int
    asset: str
    kind: str
    opened_at: datetime


@dataclass(frozen=True)
class PersonDetail:
    """A person's page: details, badges, loans, history, late returns and strikes this term."""

    person: PersonFacts
    badges: list[BadgeRegistration]
    loans: list[PersonLoan]  # soonest due first
    history: list[PersonEvent]  # newest first
    late: list[LateReturned]  # latest first
    strikes: int  # this term, counted per visit or per item
    strike_list: list[Strike]  # latest first
    late_items: int
    strikes_per: str  # hub.domain.strikes.Count: "visit" or "item"
    tickets: list[ReportedTicket]  # newest first
