"""People's strike bans kept in line with their late returns as the ledger has them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select, update

from hub.domain.strikes import StrikeRules, earned_ban, settle_ban
from hub.store import strike_reads
from hub.store.among import PerDialect, among
from hub.store.custody import Difference
from hub.store.journal import audit
from hub.store.schema import late_returns, people

_BANS_LOCKED = PerDialect(
    lambda dialect: (
        select(people.c.id, people.c.blocked_until, people.c.blocked_reason)
        .where(among(people.c.id, dialect))
        .order_by(people.c.id)
        .with_for_update()
    )
)


StrikeTimes = Callable[[Connection, Sequence[str]], dict[str, list[datetime]]]


class Bans:
    """Bans earned by strikes (hub.domain.strikes), written in the caller's transaction."""

    def __init__(self, strikes: StrikeRules, times: StrikeTimes | None = None) -> None:
        self.strikes = strikes
        # how the strike times are read in a commit's transaction (the store's seam)
        self.times = times or self.strike_times

    def rejudge(self, conn: Connection, persons: Iterable[str], now: datetime) -> None:
        """Bring people's strike bans in line with their late returns as the ledger has them
        now: a run of strikes bans them; a late event that shows a return was not late after
        all shortens or lifts a ban the strikes made (never one a manager set). Audited."""
        named = sorted(set(persons))
        if not named:
            return
        # locked: two hubs' late returns for one person take turns
        rows = conn.execute(_BANS_LOCKED.on(conn), {"keys": named}).all()
        for person, current, _reason, change in self._ban_changes(conn, rows, now):
            self._ban(conn, person, current, change, now)

    def _ban_changes(
        self, conn: Connection, rows: Sequence[Any], now: datetime
    ) -> Iterator[tuple[str, datetime | None, str | None, tuple[datetime | None, str | None]]]:
        """For people's rows (id, blocked until, why): those whose block is not what their
        late returns earn as of ``now``, with what it should be."""
        times = self.times(conn, [r.id for r in rows])
        for person, current, reason in rows:
            earned = earned_ban(times.get(person, []), now, self.strikes)
            change = settle_ban(current, reason, earned, now, self.strikes)
            if change is not None:
                yield person, current, reason, change

    def _ban(
        self,
        conn: Connection,
        person: str,
        current: datetime | None,
        change: tuple[datetime | None, str | None],
        now: datetime,
    ) -> None:
        until, why = change
        conn.execute(
            update(people)
            .where(people.c.id == person)
            .values(blocked_until=until, blocked_reason=why)
        )
        if until is None:
            audit(conn, now, "hub", "person.ban_withdrawn", person, "late returns re-derived")
        elif current is None or until != current:
            action = (
                "person.ban_shortened" if current is not None and until < current else "person.ban"
            )
            audit(conn, now, "hub", action, person, f"{why}, until {until:%Y-%m-%d}")

    def strike_times(self, conn: Connection, persons: Sequence[str]) -> dict[str, list[datetime]]:
        """When each strike of these people's happened (hub.domain.strikes: per visit or per
        item, as configured)."""
        if not persons:
            return {}
        struck = strike_reads.strikes_of(conn, persons, self.strikes)
        return {person: [s.at for s in found] for person, found in struck.items()}

    def differences(self, conn: Connection, now: datetime) -> list[Difference]:
        """People whose block is not what their late returns earn (see ``rejudge``)."""
        found = []
        struck = select(late_returns.c.person).distinct()
        rows = conn.execute(
            select(people.c.id, people.c.blocked_until, people.c.blocked_reason).where(
                or_(people.c.id.in_(struck), people.c.blocked_until.is_not(None))
            )
        ).all()
        for person, current, reason, change in self._ban_changes(conn, rows, now):
            found.append(
                Difference(
                    None,
                    "ban",
                    f"{current:%Y-%m-%d %H:%M} ({reason})" if current else "none",
                    f"{change[0]:%Y-%m-%d %H:%M} ({change[1]})" if change[0] else "none",
                    person=person,
                )
            )
        return found
