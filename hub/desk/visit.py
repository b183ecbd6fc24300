"""One visit at the desk, carried by the page itself (its address and its forms' hidden fields):
who is at the counter, the badge they tapped, the codes scanned and the overrides given. The
hub keeps nothing between requests, so a reload, a second tab or a second hub process shows the
same cart; every request decides again from the store, trusting none of it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlencode

from wire.badges import is_uid
from wire.labels import ASSET_CODE, compact_label, parse_label

MAX_CODES = 100  # items in one visit
MAX_REASON = 150  # an override's reason, within the event's detail
MIN_REASON = 3
_VISIT = re.compile(r"^desk-[0-9a-f]{1,16}-[0-9a-f]{6}$")


class BadVisit(ValueError):
    """The page's state was altered or cut short: the desk starts over."""


def new_visit_id(now: datetime) -> str:
    """Unique per visit: the time in milliseconds and a random part (two desks, one moment)."""
    return f"desk-{int(now.timestamp() * 1000):x}-{secrets.token_hex(3)}"


def asset_code(typed: str) -> str:
    """The asset code a scan or a typed code names: a label's content (what a USB scanner
    types) or the code itself. Raises LabelError (a ValueError) saying what is wrong."""
    text = typed.strip()
    if text.upper().startswith(("CK", "HTTP")) and ":" in text:
        return parse_label(text)
    return parse_label(compact_label(text.upper()))


@dataclass(frozen=True)
class Visit:
    id: str
    person: str | None = None
    badge: str | None = None
    codes: tuple[str, ...] = ()
    overrides: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, now: datetime, person: str | None = None, badge: str | None = None) -> Visit:
        return cls(new_visit_id(now), person, badge)

    @classmethod
    def parse(cls, fields: Mapping[str, list[str]]) -> Visit:
        """From a form or a query string (each name with its values)."""

        def one(name: str) -> str | None:
            values = fields.get(name) or []
            if len(values) > 1:
                raise BadVisit(f"{name} given twice")
            return values[0] if values and values[0] else None

        visit_id = one("visit")
        if visit_id is None or not _VISIT.match(visit_id):
            raise BadVisit("no visit")
        person = one("person")
        if person is not None and len(person) > 64:
            raise BadVisit("not a person id")
        badge = one("badge")
        if badge is not None and (person is None or not is_uid(badge)):
            raise BadVisit("not a badge")
        codes = tuple(dict.fromkeys(fields.get("code") or []))
        if len(codes) > MAX_CODES or any(not ASSET_CODE.match(c) for c in codes):
            raise BadVisit("not asset codes")
        overrides: dict[str, str] = {}
        for given in fields.get("ov") or []:
            code, _, why = given.partition(":")
            if code not in codes or not MIN_REASON <= len(why.strip()) <= MAX_REASON:
                raise BadVisit("not an override")
            overrides[code] = why.strip()
        return cls(visit_id, person, badge, codes, overrides)

    def fields(self) -> list[tuple[str, str]]:
        """The state as name/value pairs, for a query string or hidden inputs."""
        pairs = [("visit", self.id)]
        if self.person is not None:
            pairs.append(("person", self.person))
        if self.badge is not None:
            pairs.append(("badge", self.badge))
        pairs += [("code", c) for c in self.codes]
        pairs += [("ov", f"{c}:{why}") for c, why in self.overrides.items()]
        return pairs

    @property
    def url(self) -> str:
        return "/desk?" + urlencode(self.fields())

    def adding(self, code: str) -> Visit:
        if code in self.codes:
            return self
        if len(self.codes) >= MAX_CODES:
            raise BadVisit(f"at most {MAX_CODES} items in one visit")
        return replace(self, codes=(*self.codes, code))

    def removing(self, code: str) -> Visit:
        overrides = {c: why for c, why in self.overrides.items() if c != code}
        return replace(self, codes=tuple(c for c in self.codes if c != code), overrides=overrides)

    def overriding(self, code: str, why: str) -> Visit:
        text = " ".join(why.split())
        if not MIN_REASON <= len(text) <= MAX_REASON:
            raise BadVisit(f"an override needs a reason of {MIN_REASON} to {MAX_REASON} characters")
        if ":" in code or code not in self.codes:
            raise BadVisit("that item is not in the cart")
        return replace(self, overrides={**self.overrides, code: text})
