"""The desk as a source of custody events, like a kiosk: registered under its own id with its
own signing key, numbering its events from its own counter, and committing them through the
hub's ingest (signature check, validation, deduplication, the same commit a kiosk's events
get), so custody, strikes, alerts and the replica follow a desk checkout as they follow a
kiosk's. Only the broker hop is left out: the desk is inside the hub.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from hub.desk.cart import Entry
from hub.errors import AlreadyExists, HubError
from hub.ingest import Inbound, Ingest
from hub.store import Store
from hub.store.journal import Note
from wire import AckResult, CustodyEvent, Topics, encode_event
from wire.ids import uuid7

log = logging.getLogger(__name__)

DESK_ID = "desk"  # its kiosk id: the ledger, the feed and the kiosk list name it so
DESK_NAME = "Dashboard desk"
RETRIES = 3  # fresh numbers tried when another hub process took one first


class DeskRefused(HubError):
    """The hub's ingest refused a desk event (its reason says why)."""


class DeskSource:
    def __init__(self, store: Store, source_id: str = DESK_ID, name: str = DESK_NAME) -> None:
        self.store = store
        self.id = source_id
        self.name = name
        self.topics = Topics()
        self.ingest = Ingest(store, self.topics)

    def key(self, now: datetime) -> bytes:
        """The desk's signing key; the desk is registered the first time it records."""
        key = self.store.kiosk_key(self.id)
        if key is not None:
            return key
        try:
            return self.store.add_kiosk(self.id, self.name, now)
        except AlreadyExists:  # another hub process registered it meanwhile
            key = self.store.kiosk_key(self.id)
            assert key is not None
            return key

    def record(
        self,
        entries: Sequence[Entry],
        visit: str,
        badge: str | None,
        now: datetime,
        notes: Sequence[Note] = (),
    ) -> list[CustodyEvent]:
        """Sign and commit ``entries`` as one visit; returns the events committed. Raises
        DeskRefused if ingest refused any (those before it stay committed, as a kiosk's
        would), StoreError if the database is unavailable (nothing committed then).
        ``notes``: the visit's audit entries, committed with its events once all are."""
        key = self.key(now)
        events = [self._event(entry, visit, badge, now) for entry in entries]
        done: list[CustodyEvent] = []
        for attempt in range(RETRIES):
            acks = self.ingest.process(
                [Inbound(self.topics.events(self.id), encode_event(e, key)) for e in events],
                now,
                notes,
            )
            results = {a.id: a for batch in acks.values() for a in batch.acks}
            again: list[CustodyEvent] = []
            for event in events:
                ack = results.get(event.id)
                if ack is not None and ack.result is not AckResult.REJECTED:
                    done.append(event)
                elif ack is not None and ack.error and "already used" in ack.error:
                    again.append(self._renumbered(event))
                else:
                    why = ack.error if ack is not None else "not acknowledged"
                    raise DeskRefused(f"{event.type.value} of {event.asset or '-'}: {why}")
            if not again:
                return done
            log.warning("desk numbers taken by another hub process (try %d)", attempt + 1)
            events = again
        raise DeskRefused("could not number the desk's events: try again")

    def _event(self, entry: Entry, visit: str, badge: str | None, now: datetime) -> CustodyEvent:
        return CustodyEvent(
            id=entry.id or uuid7(int(now.timestamp() * 1000)),
            kiosk=self.id,
            seq=self.store.next_number(self.id),
            at=now,
            type=entry.type,
            session=visit,
            badge=badge,
            person=entry.person,
            asset=entry.asset,
            due=entry.due,
            condition=entry.condition,
            reason=entry.reason,
            detail=entry.detail,
        )

    def _renumbered(self, event: CustodyEvent) -> CustodyEvent:
        return event.model_copy(
            update={
                "id": uuid7(int(event.at.timestamp() * 1000)),
                "seq": self.store.next_number(self.id),
            }
        )
