"""Spreadsheet imports into the registers: each row compared with what is stored, so a dry run
and the real import say the same thing: added, changed (which fields), unchanged, refused (why).

All or nothing: one refused row and nothing is written; a dry run writes nothing either.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from hub.domain.lifecycle import Status
from hub.store import journal, loan_weeks
from hub.store.badge_owners import badge_owner, registered_before
from hub.store.base import StoreBase
from hub.store.locks import chunks
from hub.store.places import ensure_locations
from hub.store.schema import asset_fields, assets, badges, people


@dataclass
class Outcome:
    """What an import did (or, in a dry run or when a row is refused, would do), by row
    index in the order given."""

    added: list[int] = field(default_factory=list)
    changed: dict[int, list[str]] = field(default_factory=dict)  # row -> fields changed
    unchanged: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # row -> why
    stored: bool = False

    def summary(self) -> str:
        """ "3 added, 1 changed, 56 unchanged" (and refused, when any were)."""
        parts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts)


class _DryRun(Exception):
    """Rolls a transaction back once its outcome is known."""


_PLAIN = ("name", "category", "model", "manufacturer", "serial", "home", "value", "photo_url",
          "notes", "acquired", "cost", "supplier", "kit")  # fmt: skip


class ImportStore(StoreBase):
    @contextmanager
    def _import_tx(self, outcome: Outcome, dry_run: bool) -> Iterator[Connection]:
        """A transaction kept only when no row is refused and this is no dry run."""
        try:
            with self._tx() as conn:
                yield conn
                if dry_run or outcome.refused:
                    raise _DryRun
        except _DryRun:
            return
        outcome.stored = True

    def import_assets(
        self,
        rows: Sequence[dict[str, Any]],
        now: datetime,
        actor: str,
        *,
        dry_run: bool = False,
    ) -> Outcome:
        """Add new assets and update known ones from checked rows.

        A row changes only the columns the file has (a blank cell clears one); a blank status
        keeps the current one, and an item out on loan keeps "out" whatever the file says.
        ``fields`` (an asset's own fields) sets those named, a blank one removed. Kits may be
        listed after their pieces; they are stored first.
        """
        outcome = Outcome()
        codes = sorted({str(r["code"]) for r in rows})
        with self._import_tx(outcome, dry_run) as conn:
            # the reports count an asset's loans in its category: moved if the file changes it
            held = loan_weeks.hold_categories(conn, [r["code"] for r in rows if "category" in r])
            stored: dict[str, dict[str, Any]] = {}
            own: dict[str, dict[str, str]] = {}
            for part in chunks(codes):
                for r in conn.execute(select(assets).where(assets.c.code.in_(part))):
                    stored[r.code] = dict(r._mapping)
                q = select(asset_fields).where(asset_fields.c.asset.in_(part))
                for f in conn.execute(q):
                    own.setdefault(f.asset, {})[f.name] = f.value
            kits = set(stored) | set(codes)
            order = sorted(range(len(rows)), key=lambda i: rows[i].get("kit") is not None)
            for index in order:
                row = rows[index]
                kit = row.get("kit")
                if kit is not None and kit not in kits:
                    outcome.refused[index] = f"no kit {kit!r}: no asset has that code"
                    continue
                current = stored.get(row["code"])
                if current is None:
                    self._add_asset(conn, now, actor, row)
                    outcome.added.append(index)
                    continue
                changed = self._change_asset(conn, now, actor, row, current, own)
                if changed:
                    outcome.changed[index] = changed
                else:
                    outcome.unchanged.append(index)
            places = [row.get(k) for row in rows for k in ("home", "location")]
            ensure_locations(conn, places, now)  # a place a file names is on the list
            loan_weeks.follow_categories(conn, held)
            journal.audit(conn, now, actor, "asset.import", None, outcome.summary())
        return outcome

    def _add_asset(self, conn: Connection, now: datetime, actor: str, row: dict[str, Any]) -> None:
        values = {k: v for k, v in row.items() if k not in ("code", "fields")}
        if not values.get("status"):
            values.pop("status", None)
        details = {k: v for k, v in values.items() if k not in ("name", "category", "kit")}
        if "location" not in details and details.get("home"):
            details["location"] = details["home"]
        conn.execute(
            insert(assets).values(
                code=row["code"],
                name=row["name"],
                category=row["category"],
                kit=row.get("kit"),
                **details,
            )
        )
        fields = [
            {"asset": row["code"], "name": name, "value": value}
            for name, value in (row.get("fields") or {}).items()
            if value is not None
        ]
        if fields:
            conn.execute(insert(asset_fields), fields)
        journal.acquired(conn, now, actor, row["code"], details)

    def _change_asset(
        self,
        conn: Connection,
        now: datetime,
        actor: str,
        row: dict[str, Any],
        current: dict[str, Any],
        own: dict[str, dict[str, str]],
    ) -> list[str]:
        """Write what differs from ``current``; the names of the fields that did."""
        code = row["code"]
        values = {k: row[k] for k in _PLAIN if k in row and not _same(row[k], current[k])}
        status = row.get("status")
        if status and current["status"] != Status.OUT and status != current["status"]:
            values["status"] = status
        changed = sorted(values)
        if values:
            conn.execute(update(assets).where(assets.c.code == code).values(**values))
        if "status" in values:
            journal.hub_event(
                conn, now, "lifecycle", code, actor=actor, reason=status, detail="set by an import"
            )
        had = own.get(code, {})
        for name, value in (row.get("fields") or {}).items():
            if value == had.get(name):
                continue
            where = (asset_fields.c.asset == code, asset_fields.c.name == name)
            conn.execute(delete(asset_fields).where(*where))
            if value is not None:
                conn.execute(insert(asset_fields).values(asset=code, name=name, value=value))
            changed.append(name)
        return changed

    def import_people(
        self,
        rows: Sequence[dict[str, Any]],
        now: datetime,
        actor: str,
        *,
        dry_run: bool = False,
    ) -> Outcome:
        """Add or update people and their badges from checked rows; a row changes only the
        columns the file has, and badges are only ever added."""
        outcome = Outcome()
        with self._import_tx(outcome, dry_run) as conn:
            for index, row in enumerate(rows):
                values: dict[str, Any] = {k: row[k] for k in ("name", "email") if k in row}
                if "groups" in row:
                    values["groups"] = ";".join(row["groups"] or []) or None
                if "staff" in row:
                    values["staff"] = bool(row["staff"])
                current = conn.execute(select(people).where(people.c.id == row["id"])).first()
                changed = []
                if current is None:
                    conn.execute(
                        insert(people).values(
                            id=row["id"], active=True, **{"staff": False, **values}
                        )
                    )
                else:
                    values = {k: v for k, v in values.items() if v != getattr(current, k)}
                    changed = sorted(values)
                    if values:
                        conn.execute(
                            update(people).where(people.c.id == row["id"]).values(**values)
                        )
                for uid in row.get("badges") or []:
                    owner = badge_owner(conn, uid)
                    if owner is None and registered_before(conn, uid):
                        # an old sheet must not bring a lost card back to life
                        outcome.refused[index] = (
                            f"badge {uid} was revoked; to use it again, register it on its own "
                            f"(person badge {row['id']} {uid})"
                        )
                    elif owner is None:
                        conn.execute(
                            insert(badges).values(uid=uid, person_id=row["id"], added_at=now)
                        )
                        changed.append(f"badge {uid}")
                    elif owner != row["id"]:
                        outcome.refused[index] = f"badge {uid} belongs to {owner}"
                if index in outcome.refused:
                    continue
                if current is None:
                    outcome.added.append(index)
                elif changed:
                    outcome.changed[index] = changed
                else:
                    outcome.unchanged.append(index)
            journal.audit(conn, now, actor, "person.import", None, outcome.summary())
        return outcome


def _same(new: object, old: object) -> bool:
    if isinstance(new, Decimal) or isinstance(old, Decimal):
        return new is not None and old is not None and Decimal(str(new)) == Decimal(str(old))
    return new == old
