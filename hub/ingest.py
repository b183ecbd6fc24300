"""Ingest: turn raw kiosk messages into ledger commits and the acks that follow them.

Validation happens at the edge (wire.decode_event); anything that fails is quarantined as received,
never dropped. Acks are produced only from the outcome of a committed transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.store import Store
from wire import (
    Ack,
    AckBatch,
    AckResult,
    CustodyEvent,
    MalformedPayload,
    Topics,
    WireError,
    decode_event,
)
from wire.codec import load_object

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inbound:
    topic: str
    payload: bytes


class Ingest:
    def __init__(self, store: Store, topics: Topics) -> None:
        self.store = store
        self.topics = topics

    def process(self, batch: Sequence[Inbound], now: datetime) -> dict[str, AckBatch]:
        """Commit a batch in one transaction; returns the ack batch to send to each kiosk."""
        accepted: list[tuple[CustodyEvent, str]] = []
        acks: dict[str, list[Ack]] = defaultdict(list)
        for msg in batch:
            event = self._admit(msg, now, acks)
            if event is not None:
                accepted.append((event, msg.payload.decode()))
        if accepted:
            for outcome in self.store.commit_events(accepted, now):
                ev = outcome.event
                if outcome.result is AckResult.REJECTED:
                    log.error("refused event %s from %s: %s", ev.id, ev.kiosk, outcome.error)
                acks[ev.kiosk].append(
                    Ack(id=ev.id, seq=ev.seq, result=outcome.result, error=outcome.error)
                )
        return {kiosk: AckBatch(kiosk=kiosk, acks=items) for kiosk, items in acks.items()}

    def _admit(
        self, msg: Inbound, now: datetime, acks: dict[str, list[Ack]]
    ) -> CustodyEvent | None:
        kiosk = self.topics.kiosk_of(msg.topic)
        if kiosk is None:
            self._quarantine(msg, None, "not a kiosk events topic", now)
            return None
        try:
            event = decode_event(msg.payload, self.store.kiosk_key)
        except MalformedPayload as exc:
            self._quarantine(msg, kiosk, str(exc), now)
            # Correctly signed but invalid: tell the kiosk, so it parks the event for a person.
            # Anything not proven authentic gets no answer at all.
            rejection = _rejection(msg.payload, str(exc)) if exc.authentic else None
            if rejection is not None and rejection[0] == kiosk:
                acks[kiosk].append(rejection[1])
            return None
        except WireError as exc:
            self._quarantine(msg, kiosk, str(exc), now)
            return None
        except Exception as exc:  # a payload must never stop ingest, whatever it holds
            log.exception("unexpected error reading a message on %s", msg.topic)
            self._quarantine(msg, kiosk, f"could not be read: {type(exc).__name__}", now)
            return None
        if event.kiosk != kiosk:
            self._quarantine(
                msg, kiosk, f"payload says kiosk {event.kiosk!r}, topic {kiosk!r}", now
            )
            return None
        return event

    def _quarantine(self, msg: Inbound, kiosk: str | None, error: str, now: datetime) -> None:
        log.warning("quarantined a message on %s: %s", msg.topic, error)
        self.store.quarantine(msg.topic, kiosk, error, msg.payload, now)


def _rejection(payload: bytes, error: str) -> tuple[str, Ack] | None:
    """The ack refusing an authentic event whose body failed validation, if it names a usable
    id and seq."""
    try:
        obj = load_object(payload)
        kiosk = obj.get("kiosk")
        ack = Ack.model_validate(
            {"id": obj.get("id"), "seq": obj.get("seq"), "result": "rejected", "error": error[:500]}
        )
    except (WireError, ValueError):
        return None
    return (kiosk, ack) if isinstance(kiosk, str) else None
