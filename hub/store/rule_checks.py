"""Checking what kiosks decided: a checkout that breaks the lending rules goes on the managers'
"Needs attention" list.

A kiosk decides from its replica, which may be hours old when it is offline (a training granted
or revoked, a person moved out of a course, a block set meanwhile), and a kiosk running older
software may not know a rule at all. The hub cannot undo a loan that happened, so it flags it:
each new checkout in a committed batch is judged by the rule book (rules.eligibility) as of the
event's own time: the category's training (held and unexpired then), its access groups, and
the borrower's block. A category's groups and a block count only if they were set by then: the
audit log says when the hub last set them, and what was restricted, made or lengthened after
the checkout is not held against it. A person's groups and trainings are judged as the hub
knows them now (they keep no history).

Cost: nothing for a batch without checkouts; otherwise one read of the batch's categories and
one of its borrowers, whatever the batch's size, plus trainings or block times only when a rule
needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from hub.domain.access_groups import member_of, split
from hub.store.locks import chunks
from hub.store.schema import audit_log, categories, conflicts, people, trainings
from rules.eligibility import blocked_when, outside_groups, untrained
from rules.lending import OPEN_ENDED_YEAR
from wire import CustodyEvent, EventType

RULE_BREACH = "rule_breach"  # conflicts.kind of a checkout that broke the rules
# The dashboard's desk decides online with the hub's own rules; a manager's override there is a
# decision, audited with its reason, not a breach.
ONLINE_SOURCES = frozenset({"desk"})
# audit actions that set, lengthen or shorten a block (a manager's, or a ban strikes earned)
BLOCK_SET = ("person.block", "person.ban", "person.ban_shortened")


def check_rules(
    conn: Connection, events: Sequence[CustodyEvent], locked: Mapping[str, Any], now: datetime
) -> int:
    """Flag the checkouts among ``events`` (new in this commit) that broke the rules; the
    assets' rows are ``locked`` (by code). Returns how many were flagged."""
    lent = [
        e
        for e in events
        if e.type is EventType.CHECKOUT
        and e.person is not None
        and e.asset in locked
        and e.kiosk not in ONLINE_SOURCES
    ]
    if not lent:
        return 0
    rules = _category_rules(conn, {locked[e.asset].category for e in lent if e.asset})
    restricted = _last_set(conn, {n for n, r in rules.items() if r[1]}, ("category.groups",))
    persons = _people(conn, {e.person for e in lent if e.person})
    at_earliest = min(e.at for e in lent)
    blocked = {
        p for p, row in persons.items() if row.blocked_until and row.blocked_until > at_earliest
    }
    needed = {
        e.person
        for e in lent
        if e.person and e.asset and rules.get(locked[e.asset].category, (None, ()))[0]
    }
    held = _trainings(conn, needed)
    since = _last_set(conn, blocked, BLOCK_SET)
    flagged = 0
    for ev in lent:
        assert ev.asset is not None and ev.person is not None
        row = persons.get(ev.person)
        if row is None:
            continue  # not registered: refused before this, on the list already
        category = locked[ev.asset].category
        requires, groups = rules.get(category, (None, ()))
        if (set_at := restricted.get(category)) is not None and set_at > ev.at:
            groups = ()  # restricted after the checkout
        why = _breaches(ev, row, requires, groups, held.get(ev.person, {}), since.get(ev.person))
        if why:
            flagged += 1
            conn.execute(
                insert(conflicts).values(
                    detected_at=now,
                    asset=ev.asset,
                    event_id=ev.id,
                    kind=RULE_BREACH,
                    at=ev.at,
                    detail=(
                        f"{ev.person} was lent {ev.asset} at {ev.kiosk} on "
                        f"{ev.at:%Y-%m-%d %H:%M} UTC: {'; '.join(why)}"
                    )[:500],
                )
            )
    return flagged


def _breaches(
    ev: CustodyEvent,
    person: Any,
    requires: str | None,
    groups: Sequence[str],
    held: Mapping[str, datetime | None],
    block_set: datetime | None,
) -> list[str]:
    """The rules this checkout broke, in words for a manager."""
    found = []
    lacking = untrained(requires, held, ev.at)
    if lacking is not None:
        found.append(
            f"without the {lacking.training} training"
            if lacking.expires is None
            else f"with the {lacking.training} training expired on {lacking.expires:%Y-%m-%d}"
        )
    outside = outside_groups(groups, member_of(person._mapping))
    if outside is not None:
        found.append(f"not in {' or '.join(outside.groups)}, the groups its category is for")
    if blocked_when(block_set, person.blocked_until, ev.at):
        until = person.blocked_until
        end = (
            "until staff lift it"
            if until.year >= OPEN_ENDED_YEAR
            else f"until {until:%Y-%m-%d %H:%M} UTC"
        )
        why = f" ({person.blocked_reason})" if person.blocked_reason else ""
        found.append(f"while blocked{why} {end}")
    return found


def _category_rules(
    conn: Connection, names: set[str]
) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """The training and access groups of those of these categories that set either."""
    found: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for part in chunks(sorted(names)):
        for name, requires, groups in conn.execute(
            select(categories.c.name, categories.c.requires, categories.c.groups).where(
                categories.c.name.in_(part),
                or_(categories.c.requires.is_not(None), categories.c.groups.is_not(None)),
            )
        ):
            found[name] = (requires, split(groups))
    return found


def _people(conn: Connection, ids: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    cols = (
        people.c.id,
        people.c.groups,
        people.c.provider_groups,
        people.c.blocked_until,
        people.c.blocked_reason,
    )
    for part in chunks(sorted(ids)):
        for row in conn.execute(select(*cols).where(people.c.id.in_(part))):
            found[row.id] = row
    return found


def _trainings(conn: Connection, ids: set[str]) -> dict[str, dict[str, datetime | None]]:
    found: dict[str, dict[str, datetime | None]] = {}
    for part in chunks(sorted(ids)):
        q = select(trainings.c.person, trainings.c.name, trainings.c.expires)
        for person, name, expires in conn.execute(q.where(trainings.c.person.in_(part))):
            found.setdefault(person, {})[name] = expires
    return found


def _last_set(conn: Connection, targets: set[str], actions: Sequence[str]) -> dict[str, datetime]:
    """When the audit log last records one of ``actions`` on each of these targets (a
    person's block made, lengthened or shortened; a category's groups set)."""
    found: dict[str, datetime] = {}
    for part in chunks(sorted(targets)):
        q = (
            select(audit_log.c.target, func.max(audit_log.c.at))
            .where(audit_log.c.target.in_(part), audit_log.c.action.in_(actions))
            .group_by(audit_log.c.target)
        )
        for person, at in conn.execute(q):
            found[person] = at
    return found
