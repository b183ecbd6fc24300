"""Opening hours and closed days of a cage, in its own time zone (daylight saving included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SEARCH_DAYS = 400


@dataclass(frozen=True)
class OpeningHours:
    """``weekly`` maps a weekday (0 = Monday) to its opening and closing time; a weekday that is
    missing is closed, and so is every date in ``closed``."""

    tz: str = "UTC"
    weekly: dict[int, tuple[time, time]] = field(default_factory=dict)
    closed: frozenset[date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def always_open(self) -> bool:
        return not self.weekly

    def period_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The open period of a local date, as UTC datetimes, or None if closed that day."""
        if self.always_open:
            start = datetime.combine(day, time(0), tzinfo=self.zone)
            return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
        hours = self.weekly.get(day.weekday())
        if hours is None or day in self.closed:
            return None
        opens = datetime.combine(day, hours[0], tzinfo=self.zone).astimezone(UTC)
        closes = datetime.combine(day, hours[1], tzinfo=self.zone).astimezone(UTC)
        return opens, closes

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def is_open(self, at: datetime) -> bool:
        period = self.period_on(self.local_date(at))
        return period is not None and period[0] <= at < period[1]

    def next_opening(self, after: datetime) -> datetime | None:
        """The first opening time strictly after ``after``."""
        day = self.local_date(after)
        for offset in range(_SEARCH_DAYS):
            period = self.period_on(day + timedelta(days=offset))
            if period is not None and period[0] > after:
                return period[0]
        return None

    def open_at_or_after(self, at: datetime) -> datetime | None:
        """``at`` itself if the cage is open then, else its next opening."""
        return at if self.is_open(at) else self.next_opening(at)
