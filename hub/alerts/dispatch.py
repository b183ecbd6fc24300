"""The overdue sweeper and the alert deliveries: one loop, clock injected, store as memory.

Each pass asks the pure sweeper what loans near or past their due time have earned (a process's
first pass looks at all of them, a range of assets at a time; later passes only at those that
reached a stage or changed since), records new alerts (once: the alert id is the primary key)
and withdraws ended ones, releases no-show bookings, holds back items due for service by days
(hourly), then hands every undelivered alert to each configured channel. A channel that fails
keeps its alerts for the next pass; nothing is sent twice after a restart, because delivery is
recorded per alert and channel.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from hub.alerts.message import Alert, DeliveryFailed
from hub.alerts.reminders import Reminders
from hub.domain.sweeper import AlertRules, boundary_windows, horizon, sweep, text
from hub.errors import StoreError
from hub.store import Store
from hub.store.alerting import AlertRow, Channel, SweepSlice

log = logging.getLogger(__name__)
SERVICE_CHECK = timedelta(hours=1)  # how often shelved items are checked for service by days
MAX_ATTEMPTS = 5  # an alert that fails on its own (a refused address) is given up after these
RANGE = 2_000  # held assets read at a time by a whole pass (one transaction each)
ROUND = 5_000  # held assets each later pass looks at again, going round them all
PIECE = 500  # assets per read of those a later pass looks at
# a custody event is stamped on arrival, before its commit: later passes look back this far
# for events that committed after the previous pass read the ledger
ARRIVAL_LOOKBACK = timedelta(minutes=5)


class Sender(Protocol):
    def send(self, alert: Alert) -> bool: ...


@dataclass(frozen=True)
class PassReport:
    raised: int = 0
    withdrawn: int = 0
    released_bookings: int = 0
    delivered: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] + b[0], a[1] + b[1]


def to_alert(row: AlertRow) -> Alert:
    """The store's alert as the channels send it: the same record (hub.domain.alerts)."""
    return row


class Alerter:
    def __init__(
        self,
        store: Store,
        now: Callable[[], datetime],
        rules: AlertRules | None = None,
        *,
        channels: dict[Channel, Sender] | None = None,
        booking_grace: timedelta = timedelta(minutes=30),
        display: Callable[[datetime], str] = lambda t: t.strftime("%a %d %b %H:%M UTC"),
        on_change: Callable[[], None] = lambda: None,
        reminders: Reminders | None = None,
    ) -> None:
        self.store = store
        self._now = now
        self.rules = rules or AlertRules()
        self.channels: dict[Channel, Sender] = dict(channels or {})
        self._grace = booking_grace
        self._display = display
        self._on_change = on_change  # e.g. publish a fresh replica (notices, released bookings)
        self.reminders = reminders  # pickup reminders, raised by the sweep, mailed by delivery
        self._next_service_check: datetime | None = None
        self._last: datetime | None = None  # when this process last swept every alert it owes
        self._round: str | None = None  # where the round over every asset goes on from

    def run_once(self) -> PassReport:
        """One sweep, then one delivery round (tests and the benchmark; the hub runs the two
        in their own threads, so a slow mail server never holds up the sweep)."""
        swept = self.sweep_once()
        delivered, failed = self.deliver_once()
        return replace(swept, delivered=delivered, failed=failed)

    def sweep_once(self) -> PassReport:
        """Raise and withdraw alerts, release no-shows, hold back items due for service; on a
        shared PostgreSQL database only one hub process does it at a time."""
        with self.store.exclusive("sweep") as mine:
            return self._sweep() if mine else PassReport()

    def _sweep(self) -> PassReport:
        now = self._now()
        raised, withdrawn = self._alerts(now)
        released = self.store.release_no_shows(now - self._grace, now)
        if self.reminders is not None:
            self.reminders.raise_due(now)
        serviced: list[str] = []
        if self._next_service_check is None or now >= self._next_service_check:
            serviced = self.store.hold_back_for_service(now)
            self._next_service_check = now + SERVICE_CHECK
        if raised or withdrawn or released or serviced:
            self._on_change()
        return PassReport(raised, withdrawn, len(released))

    def _alerts(self, now: datetime) -> tuple[int, int]:
        """Raise and withdraw alerts: (raised, withdrawn).

        The first pass (and one after the clock went back) reads every loan near or past its
        due time, a range of assets at a time. Later ones read only the loans that reached a
        stage since the last pass and the assets a custody event touched since, plus the next
        range of a round over every asset, which mends what changed outside the ledger (a
        repair from the command line) within a bounded number of passes."""
        before = horizon(now, self.rules)
        done = (0, 0)
        if self._last is None or now < self._last:
            after: str | None = None
            while True:
                part = self.store.sweep_range(after, before, RANGE)
                done = _add(done, self._settle(part, now))
                if part.upto is None:
                    break
                after = part.upto
        else:
            windows = boundary_windows(self._last, now, self.rules)
            codes = self.store.sweep_candidates(windows, self._last - ARRIVAL_LOOKBACK)
            for i in range(0, len(codes), PIECE):
                done = _add(
                    done, self._settle(self.store.sweep_assets(codes[i : i + PIECE], before), now)
                )
            part = self.store.sweep_range(self._round, before, ROUND)
            done = _add(done, self._settle(part, now))
            self._round = part.upto
        self._last = now
        return done

    def _settle(self, part: SweepSlice, now: datetime) -> tuple[int, int]:
        """Compare these assets' loans with their open alerts and record the difference."""
        names = {
            loan.loan: (asset_name, person_name) for loan, asset_name, person_name in part.loans
        }
        result = sweep([loan for loan, _, _ in part.loans], part.open, now, self.rules)
        raised = []
        for r in result.raise_:
            asset_name, person_name = names[r.loan.loan]
            raised.append(
                (r, text(r.stage, asset_name, r.loan.asset, person_name, self._display(r.loan.due)))
            )
        if raised or result.withdraw:
            self.store.record_sweep(raised, result.withdraw, now)
        return len(raised), len(result.withdraw)

    def deliver_once(self) -> tuple[dict[str, int], dict[str, int]]:
        """Hand every undelivered alert to each channel: (delivered, failed) per channel. One
        hub process at a time, or two would send the same alert."""
        now = self._now()
        delivered: dict[str, int] = {}
        failed: dict[str, int] = {}
        with self.store.exclusive("deliver") as mine:
            if not mine:
                return delivered, failed
            for name, sender in self.channels.items():
                delivered[name], failed[name] = self._deliver(name, sender, now)
            if self.reminders is not None:
                done = self.reminders.deliver(now)
                delivered["reminders"], failed["reminders"] = done.sent, done.failed
        return delivered, failed

    def _deliver(self, channel: Channel, sender: Sender, now: datetime) -> tuple[int, int]:
        ok = bad = 0
        for row in self.store.undelivered(channel):
            try:
                sender.send(to_alert(row))
            except DeliveryFailed as exc:
                bad += 1
                if not exc.permanent:  # the channel is down: keep order, try next pass
                    self.store.mark_failed(row.id, f"{channel}: {exc}")
                    log.warning("alert %s not delivered by %s: %s", row.id, channel, exc)
                    break
                self._failed_alert(row.id, channel, now, str(exc))
                continue
            except Exception as exc:  # bad data in one alert must not stop the channel
                log.exception("alert %s could not be sent by %s", row.id, channel)
                bad += 1
                self._failed_alert(row.id, channel, now, f"{type(exc).__name__}: {exc}")
                continue
            self.store.mark_delivered(row.id, channel, now)
            ok += 1
        return ok, bad

    def _failed_alert(self, alert_id: str, channel: Channel, now: datetime, error: str) -> None:
        """This alert (not the channel) failed: others go on; it is retried a few times."""
        log.warning("alert %s not delivered by %s: %s", alert_id, channel, error)
        if self.store.mark_failed(alert_id, f"{channel}: {error}") >= MAX_ATTEMPTS:
            self.store.give_up(alert_id, channel, now, error)

    def sweep_forever(self, stop: Callable[[float], bool], interval: float) -> None:
        """Sweep every ``interval`` seconds until ``stop(interval)`` says so (an Event.wait)."""
        while True:
            try:
                report = self.sweep_once()
                if report.raised or report.withdrawn:
                    log.info(
                        "sweep: %d alerts raised, %d withdrawn", report.raised, report.withdrawn
                    )
            except StoreError as exc:
                log.error("sweep failed, will retry: %s", exc)
            except Exception:
                log.exception("sweep failed, will retry")
            if stop(interval):
                return

    def deliver_forever(self, stop: Callable[[float], bool], interval: float) -> None:
        """Deliver every ``interval`` seconds until ``stop(interval)`` says so."""
        while True:
            try:
                self.deliver_once()
            except StoreError as exc:
                log.error("alert delivery failed, will retry: %s", exc)
            except Exception:
                log.exception("alert delivery failed, will retry")
            if stop(interval):
                return


class MqttAlerts:
    """Publishes alerts for integrations on ``alerts/all`` (QoS 1, not retained)."""

    def __init__(self, publish: Callable[[str, bytes], bool], topic: str) -> None:
        self._publish = publish
        self._topic = topic

    def send(self, alert: Alert) -> bool:
        # every kiosk login may read this topic: no email addresses on it
        shown = {k: v for k, v in alert.to_json().items() if k != "person_email"}
        body = json.dumps({"version": 1, "alert": shown}, sort_keys=True).encode()
        if not self._publish(self._topic, body):
            raise DeliveryFailed("the broker is not connected")
        return True
