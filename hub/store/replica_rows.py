"""The rows the kiosks' replica is built from, as the store reads them: all at once
(``Store.replica_rows``) or a few keys at a time (hub.store.replica_changes). hub.replica turns
either into the wire's models, so the whole replica and its deltas cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.store.schema import assets, badges, bookings, holdings, people, trainings


@dataclass(frozen=True)
class ReplicaPersonRow:
    id: str
    name: str
    active: bool
    staff: bool
    groups: str | None  # the registry's access groups, ";"-separated
    provider_groups: str | None  # the identity provider's, likewise
    blocked_until: datetime | None  # the ban's end, even if it has passed
    blocked_reason: str | None
    pin_hash: str | None  # the door PIN's hash (wire.pins)


@dataclass(frozen=True)
class ReplicaBadgeRow:
    uid: str
    person_id: str


@dataclass(frozen=True)
class ReplicaAssetRow:
    code: str
    name: str
    category: str
    status: str  # a hub.domain.lifecycle.Status, or text it does not know
    kit: str | None  # the kit this asset is a piece of


@dataclass(frozen=True)
class ReplicaHoldingRow:
    asset: str
    person: str
    due: datetime
    renewals: int


@dataclass(frozen=True)
class ReplicaBookingRow:
    asset: str
    person: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class ReplicaTrainingRow:
    person: str
    name: str
    expires: datetime | None  # None: it does not expire


@dataclass(frozen=True)
class ReplicaRows:
    """Everything the replica is built from, read in one transaction."""

    people: list[ReplicaPersonRow]  # by id
    badges: list[ReplicaBadgeRow]  # not revoked
    assets: list[ReplicaAssetRow]  # by code
    holdings: list[ReplicaHoldingRow]  # by asset
    categories: dict[str, tuple[str, int]]  # each category's loan period: (kind, amount)
    bookings: list[ReplicaBookingRow]  # not cancelled, not ended; by asset, then start
    requires: dict[str, str]  # the training a category requires, where one does
    groups: dict[str, list[str]]  # the access groups of the categories restricted to some
    trainings: list[ReplicaTrainingRow]
    kiosk_seqs: dict[str, int]  # each kiosk's highest sequence number in the ledger
    strikes: dict[str, int]  # strikes this term, of the people with any
    notices: dict[str, list[str]]  # alerts a kiosk shows a person, oldest first


# what each row is read from, in its fields' order
PERSON_COLUMNS = (
    people.c.id,
    people.c.name,
    people.c.active,
    people.c.staff,
    people.c.groups,
    people.c.provider_groups,
    people.c.blocked_until,
    people.c.blocked_reason,
    people.c.pin_hash,
)
BADGE_COLUMNS = (badges.c.uid, badges.c.person_id)
ASSET_COLUMNS = (assets.c.code, assets.c.name, assets.c.category, assets.c.status, assets.c.kit)
HOLDING_COLUMNS = (holdings.c.asset, holdings.c.person, holdings.c.due, holdings.c.renewals)
BOOKING_COLUMNS = (bookings.c.asset, bookings.c.person, bookings.c.starts, bookings.c.ends)
TRAINING_COLUMNS = (trainings.c.person, trainings.c.name, trainings.c.expires)
