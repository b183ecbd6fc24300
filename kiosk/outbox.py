"""The durable outbox: every event the kiosk makes waits here until the hub says it is committed.

SQLite with synchronous=FULL, so a receipt the student saw survives a power cut. Sequence numbers
come from a counter that never goes back, even when the outbox is emptied.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from kiosk.errors import OutboxError
from wire import CustodyEvent, encode_event
from wire.ids import uuid7

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    payload BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letter (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    payload BLOB NOT NULL,
    error TEXT NOT NULL,
    moved_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Pending:
    seq: int
    id: str
    payload: bytes


class Outbox:
    """Thread-safe: the session thread appends, the MQTT thread reads and removes."""

    def __init__(self, path: Path, kiosk_id: str, key: bytes) -> None:
        self.path = path
        self.kiosk_id = kiosk_id
        self._key = key
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            ok = self._db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise OutboxError(
                f"the outbox at {path} cannot be opened ({exc}); it was left untouched — "
                "move it aside to start a new one and keep it for recovery"
            ) from exc
        if ok != "ok":
            raise OutboxError(f"the outbox at {path} is damaged: {ok}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def append(self, fields: dict[str, object], now: datetime) -> CustodyEvent:
        """Give the event its id, sequence number and signature, and store it durably."""
        return self.append_all([fields], now)[0]

    def append_all(self, many: list[dict[str, object]], now: datetime) -> list[CustodyEvent]:
        """Store several events at once, all or none: a confirmed cart is one transaction, so
        a failure never leaves half of it recorded."""
        events: list[CustodyEvent] = []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                row = self._db.execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()
                seq = int(row[0]) if row else 0
                for fields in many:
                    seq += 1
                    event = CustodyEvent.model_validate(
                        {
                            **{k: v for k, v in fields.items() if v is not None},
                            "id": uuid7(int(now.timestamp() * 1000)),
                            "kiosk": self.kiosk_id,
                            "seq": seq,
                            "at": now,
                        }
                    )
                    self._db.execute(
                        "INSERT INTO outbox(seq, id, payload, created_at) VALUES (?,?,?,?)",
                        (
                            seq,
                            event.id,
                            encode_event(event, self._key),
                            now.astimezone(UTC).isoformat(),
                        ),
                    )
                    events.append(event)
                self._db.execute(
                    "INSERT INTO meta(key, value) VALUES ('last_seq', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                    (str(seq),),
                )
                self._db.execute("COMMIT")
            except (sqlite3.Error, ValidationError) as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise OutboxError(f"could not store the event: {exc}") from exc
        return events

    def pending(self, limit: int = 500) -> list[Pending]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, id, payload FROM outbox ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [Pending(int(s), str(i), bytes(p)) for s, i, p in rows]

    def waiting(self) -> list[tuple[int, datetime]]:
        """Every event still waiting for its ack: sequence number and when it was recorded."""
        with self._lock:
            rows = self._db.execute("SELECT seq, created_at FROM outbox ORDER BY seq").fetchall()
        return [(int(s), datetime.fromisoformat(str(c))) for s, c in rows]

    def pending_seqs(self) -> set[int]:
        with self._lock:
            return {int(s) for (s,) in self._db.execute("SELECT seq FROM outbox")}

    def depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def remove(self, ids: list[str]) -> int:
        """Drop events the hub has committed (or already had)."""
        if not ids:
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # one sync for the whole ack batch
            try:
                cur = self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
            return cur.rowcount

    def dead_letter(self, event_id: str, error: str, now: datetime) -> None:
        """Keep an event the hub refused, for a person to inspect; it is not sent again."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR REPLACE INTO dead_letter(seq, id, payload, error, moved_at) "
                "SELECT seq, id, payload, ?, ? FROM outbox WHERE id = ?",
                (error, now.astimezone(UTC).isoformat(), event_id),
            )
            self._db.execute("DELETE FROM outbox WHERE id = ?", (event_id,))
            self._db.execute("COMMIT")

    def dead_letters(self) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT id, error FROM dead_letter ORDER BY seq").fetchall()
        return [(str(i), str(e)) for i, e in rows]


class AckWatch:
    """Which events have waited too long for the hub's ack, so a kiosk whose events the hub
    never acknowledges (signed with a wrong key, say) says so instead of filling its outbox.

    Waiting is counted on the monotonic clock, not from the events' wall-clock times (a Pi's
    clock jumps when NTP first sets it), and only while the hub is reachable: events kept
    while offline are expected and are not late, however long the outage.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._reachable_s = 0.0  # seconds the hub has been reachable, since we started
        self._last: float | None = None
        self._since: dict[int, float] = {}  # seq -> _reachable_s when we first saw it waiting

    def check(
        self, waiting: list[tuple[int, datetime]], reachable: bool, monotonic: float
    ) -> tuple[int, datetime | None]:
        """How many events are overdue, and when the oldest of them was recorded."""
        if reachable and self._last is not None:
            self._reachable_s += max(0.0, monotonic - self._last)
        self._last = monotonic
        self._since = {seq: self._since.get(seq, self._reachable_s) for seq, _at in waiting}
        late = [at for seq, at in waiting if self._reachable_s - self._since[seq] >= self.limit]
        return len(late), min(late, default=None)
