"""The people registry: who may borrow, their badges, trainings, groups and blocks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.errors import AlreadyExists, NotFound
from hub.store import journal
from hub.store.badge_owners import badge_owner
from hub.store.base import StoreBase
from hub.store.schema import badges, late_returns, people, trainings
from wire.badges import normal_uid


@dataclass(frozen=True)
class PersonRecord:
    """A person with their badges in use, as a spreadsheet round trip carries them."""

    id: str
    name: str
    email: str | None
    badges: list[str]
    groups: list[str]
    staff: bool


def person_records(
    conn: Connection, after: str | None = None, limit: int | None = None
) -> list[PersonRecord]:
    """People by id with their badges in use (not revoked): all of them, or the ``limit``
    after the id ``after``."""
    q = select(people).order_by(people.c.id)
    if after is not None:
        q = q.where(people.c.id > after)
    found = conn.execute(q.limit(limit)).all()
    owned: dict[str, list[str]] = {}
    if found:
        # their badges by a range of the person index, not a list of ids
        held = [badges.c.person_id <= found[-1].id, badges.c.revoked.is_(False)]
        if after is not None:
            held.append(badges.c.person_id > after)
        for uid, person in conn.execute(
            select(badges.c.uid, badges.c.person_id).where(*held).order_by(badges.c.uid)
        ):
            owned.setdefault(person, []).append(uid)
    return [
        PersonRecord(
            id=p.id,
            name=p.name,
            email=p.email,
            badges=owned.get(p.id, []),
            groups=[g for g in (p.groups or "").split(";") if g],
            staff=bool(p.staff),
        )
        for p in found
    ]


class PeopleRegistry(StoreBase):
    def add_person(
        self,
        person_id: str,
        name: str,
        badge_uids: Iterable[str] = (),
        staff: bool = False,
        email: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """A new person, with their badges (``wire.badges`` rule; BadUid for a bad one)."""
        uids = [normal_uid(uid) for uid in badge_uids]
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(people).values(
                        id=person_id, name=name, active=True, staff=staff, email=email
                    )
                )
                for uid in dict.fromkeys(uids):
                    owner = badge_owner(conn, uid)
                    if owner is not None:
                        raise AlreadyExists(f"badge {uid} is registered to {owner}")
                    conn.execute(insert(badges).values(uid=uid, person_id=person_id, added_at=now))
        except IntegrityError as exc:
            raise AlreadyExists(f"person {person_id!r} or one of the badges exists") from exc

    def add_badge(self, person: str, uid: str, now: datetime | None = None) -> None:
        """Give a person another badge (a replacement card, a second card), or a revoked one
        again: each registration is kept, so a card's history shows who had it when."""
        uid = normal_uid(uid)
        try:
            with self._tx() as conn:
                if conn.scalar(select(people.c.id).where(people.c.id == person)) is None:
                    raise NotFound(f"no person {person!r}")
                owner = badge_owner(conn, uid)
                if owner == person:
                    raise AlreadyExists(f"badge {uid} is registered to {person} already")
                if owner is not None:
                    raise AlreadyExists(
                        f"badge {uid} is registered to {owner}: revoke it first "
                        f"(person revoke-badge {uid})"
                    )
                conn.execute(insert(badges).values(uid=uid, person_id=person, added_at=now))
        except IntegrityError as exc:  # registered by another writer meanwhile
            raise AlreadyExists(f"badge {uid} is registered already") from exc

    def revoke_badge(self, uid: str, now: datetime | None = None) -> tuple[str, bool]:
        """A lost or stolen badge stops working at every kiosk with the next replica. Returns
        whose badge it was and whether it was in use until now (revoking again changes
        nothing). The registration stays, marked revoked, as the card's history."""
        uid = normal_uid(uid)
        with self._tx() as conn:
            owner = badge_owner(conn, uid)
            if owner is None:
                last = conn.scalar(
                    select(badges.c.person_id)
                    .where(badges.c.uid == uid)
                    .order_by(badges.c.id.desc())
                    .limit(1)
                )
                if last is None:
                    raise NotFound(f"no badge {uid}")
                return last, False
            conn.execute(
                update(badges)
                .where(badges.c.uid == uid, badges.c.revoked.is_(False))
                .values(revoked=True, revoked_at=now)
            )
        return owner, True

    def grant_training(self, person: str, training: str, expires: datetime | None) -> None:
        with self._tx() as conn:
            if conn.scalar(select(people.c.id).where(people.c.id == person)) is None:
                raise NotFound(f"no person {person!r}")
            conn.execute(
                trainings.delete().where(trainings.c.person == person, trainings.c.name == training)
            )
            conn.execute(insert(trainings).values(person=person, name=training, expires=expires))

    def block_person(
        self, person: str, until: datetime | None, reason: str, now: datetime, actor: str
    ) -> None:
        """Stop a person borrowing (until a time, or until unblocked: ``until`` None)."""
        forever = datetime(9999, 1, 1, tzinfo=now.tzinfo)
        with self._tx() as conn:
            done = conn.execute(
                update(people)
                .where(people.c.id == person)
                .values(blocked_until=until or forever, blocked_reason=reason[:200])
            )
            if done.rowcount == 0:
                raise NotFound(f"no person {person!r}")
            journal.audit(conn, now, actor, "person.block", person, reason)

    def unblock_person(self, person: str, now: datetime, actor: str) -> None:
        """Lift a block. The late returns so far are forgiven with it: otherwise the strikes
        that made a ban would make it again the next time custody is re-derived."""
        with self._tx() as conn:
            done = conn.execute(
                update(people)
                .where(people.c.id == person)
                .values(blocked_until=None, blocked_reason=None)
            )
            if done.rowcount == 0:
                raise NotFound(f"no person {person!r}")
            forgiven = conn.execute(
                update(late_returns)
                .where(late_returns.c.person == person, late_returns.c.forgiven.is_(False))
                .values(forgiven=True)
            ).rowcount
            detail = f"{forgiven} late returns forgiven" if forgiven else None
            journal.audit(conn, now, actor, "person.unblock", person, detail)

    def person_rows(self) -> list[PersonRecord]:
        """Everyone with their badges in use, by id."""
        with self.engine.connect() as conn:
            return person_records(conn)
