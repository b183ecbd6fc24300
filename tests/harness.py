"""A whole cage for tests: real Mosquitto, a real SQLite hub store, hub link and kiosks."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.link import HubBroker, HubLink
from hub.localbroker import LocalBroker
from hub.store import Store
from kiosk.app import AppSettings, Devices, KioskApp
from kiosk.clock import Clock
from kiosk.link import BrokerSettings
from kiosk.session import DoorSettings, Profile, Settings
from kiosk.timesync import ClockSync
from tests.databases import fresh_sqlite
from tests.fakes.wall_clock import FakeWallClock
from wire import ReplicaPolicy

HUB_PASSWORD = secrets.token_urlsafe(16)

PEOPLE = {
    "ada": ("Ada Lovelace", "04A1B2C3"),
    "grace": ("Grace Hopper", "04112233445566"),
}
STAFF_BADGE = "0A0B0C0D"
ASSETS = {
    "CAM-0001": ("Canon C70 cinema camera", "camera"),
    "CAM-0002": ("Sony FX3 camera", "camera"),
    "LENS-0001": ("Zeiss 50mm lens", "lens"),
}
LOAN_HOURS = {"camera": 48, "lens": 72}


class Cage:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.clock = FakeWallClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
        self.kiosk_passwords: dict[str, str] = {}
        self.kiosk_keys: dict[str, bytes] = {}
        self.broker = LocalBroker(folder / "broker", {"hub": HUB_PASSWORD})
        self.store = Store.open(fresh_sqlite(folder / "hub.db"))
        self.hub: HubLink | None = None
        self.kiosks: list[KioskApp] = []
        for pid, (name, badge) in PEOPLE.items():
            self.store.add_person(pid, name, [badge])
        self.store.add_person("sam", "Sam Staff", [STAFF_BADGE], staff=True)
        for code, (name, category) in ASSETS.items():
            self.store.add_asset(code, name, category)
        for category, hours in LOAN_HOURS.items():
            self.store.set_loan_hours(category, hours)

    def start(self) -> None:
        self.broker.folder.mkdir(parents=True, exist_ok=True)
        self.broker.start()
        self.start_hub()

    def register_kiosk(self, kiosk_id: str, location: str | None = None) -> None:
        if kiosk_id in self.kiosk_keys:
            return
        self.kiosk_keys[kiosk_id] = self.store.add_kiosk(
            kiosk_id, kiosk_id, self.clock.now(), location=location
        )
        self.kiosk_passwords[kiosk_id] = secrets.token_urlsafe(16)
        self.broker.add_user(kiosk_id, self.kiosk_passwords[kiosk_id])

    def start_hub(
        self,
        rules: ReplicaPolicy | None = None,
        snapshot_every: float = 30.0,
        linger: float = 0.05,
    ) -> HubLink:
        self.hub = HubLink(
            HubBroker(
                "127.0.0.1",
                self.broker.port,
                "hub",
                HUB_PASSWORD,
                tls_ca=str(self.broker.ca_file),
            ),
            self.store,
            self.clock.now,
            linger=linger,
            replica_interval=0.05,
            rules=rules,
            snapshot_every=snapshot_every,
        )
        self.hub.start()
        assert self.hub.wait_connected(10), self.broker.log_tail()
        return self.hub

    def stop_hub(self) -> None:
        if self.hub is not None:
            self.hub.stop()
            self.hub = None

    def kiosk(
        self,
        kiosk_id: str = "cage-1",
        devices: Devices | None = None,
        profile: Profile = Profile.CAGE,
        connect: bool = True,
        location: str | None = None,
        clock: Clock | None = None,
        clock_sync: ClockSync | None = None,
        broker_port: int | None = None,
        door: DoorSettings | None = None,
    ) -> KioskApp:
        """A kiosk app with its session loop running; stopped at teardown. It runs on the
        cage's clock unless given its own (one that is wrong, say), and reaches the broker on
        its port unless given another (a relay the test can cut, tests/fakes/network.py).
        Staff open the door without a PIN unless ``door`` asks for one (tests/e2e/test_door.py)."""
        self.register_kiosk(kiosk_id, location)
        settings = AppSettings(
            kiosk_id=kiosk_id,
            session=Settings(
                kiosk_name=f"Kiosk {kiosk_id}",
                profile=profile,
                inactivity=timedelta(seconds=60),
                linger=timedelta(seconds=8),
                door=door or DoorSettings(require_pin=False),
            ),
            data_dir=self.folder / kiosk_id,
            key=self.kiosk_keys[kiosk_id],
            broker=BrokerSettings(
                "127.0.0.1",
                broker_port or self.broker.port,
                kiosk_id,
                self.kiosk_passwords[kiosk_id],
                tls_ca=str(self.broker.ca_file),
            )
            if connect
            else None,
        )
        app = KioskApp(settings, devices or Devices(), clock or self.clock, clock_sync)
        app.start_in_background()
        self.kiosks.append(app)
        return app

    def close_kiosk(self, app: KioskApp) -> None:
        if app in self.kiosks:
            self.kiosks.remove(app)
            app.stop()

    def close(self) -> None:
        for app in list(self.kiosks):
            self.close_kiosk(app)
        self.stop_hub()
        self.broker.stop()
        self.store.close()
