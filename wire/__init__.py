"""The Cagekeeper wire contract, v1: topics, payload schemas, signing and label formats.

Kiosk and hub both import this package and nothing else of each other; docs/protocol.md is the
human-readable authority and must agree with it.
"""

from wire.codec import decode_ack, decode_event, encode_ack, encode_event
from wire.errors import (
    BadSignature,
    LabelError,
    MalformedPayload,
    UnknownKiosk,
    UnsupportedVersion,
    WireError,
)
from wire.labels import parse_label
from wire.messages import (
    PROTOCOL_VERSION,
    Ack,
    AckBatch,
    AckResult,
    CustodyEvent,
    DenialReason,
    EventType,
    HubStatus,
    KioskState,
    KioskStatus,
    LoanPeriodSpec,
    OpeningSpec,
    ReplicaAsset,
    ReplicaBooking,
    ReplicaDelta,
    ReplicaHolding,
    ReplicaPerson,
    ReplicaPolicy,
    ReplicaSnapshot,
    ReturnCondition,
)
from wire.topics import Topics

__all__ = [
    "PROTOCOL_VERSION",
    "Ack",
    "AckBatch",
    "AckResult",
    "BadSignature",
    "CustodyEvent",
    "DenialReason",
    "EventType",
    "HubStatus",
    "KioskState",
    "KioskStatus",
    "LabelError",
    "LoanPeriodSpec",
    "MalformedPayload",
    "OpeningSpec",
    "ReplicaAsset",
    "ReplicaBooking",
    "ReplicaDelta",
    "ReplicaHolding",
    "ReplicaPerson",
    "ReplicaPolicy",
    "ReplicaSnapshot",
    "ReturnCondition",
    "Topics",
    "UnknownKiosk",
    "UnsupportedVersion",
    "WireError",
    "decode_ack",
    "decode_event",
    "encode_ack",
    "encode_event",
    "parse_label",
]
