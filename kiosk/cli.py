"""``cagekeeper-kiosk``: run a kiosk from its config file."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from kiosk.app import AppSettings, KioskApp
from kiosk.clock import SystemClock
from kiosk.config import KioskConfig, load_config
from kiosk.errors import KioskError
from kiosk.link import BrokerSettings
from kiosk.session import Settings
from kiosk.timesync import TimedatectlSync


def app_settings(cfg: KioskConfig) -> AppSettings:
    from datetime import timedelta

    return AppSettings(
        kiosk_id=cfg.kiosk.id,
        session=Settings(
            kiosk_name=cfg.kiosk.name,
            profile=cfg.kiosk.profile,
            inactivity=timedelta(seconds=cfg.session.inactivity_s),
            linger=timedelta(seconds=cfg.session.linger_s),
            unlock_seconds=cfg.drivers.gpio.unlock_s,
            door=cfg.door.settings(),
        ),
        data_dir=cfg.kiosk.data_dir,
        key=cfg.signing_key(),
        broker=BrokerSettings(
            host=cfg.broker.host,
            port=cfg.broker.port,
            username=cfg.broker_username(),
            password=cfg.broker_password(),
            topic_root=cfg.broker.topic_root,
            tls=cfg.broker.tls,
            tls_ca=str(cfg.broker.tls_ca) if cfg.broker.tls_ca else None,
            tls_ca_pem=cfg.broker.tls_ca_pem,
        ),
        ack_overdue_after=cfg.health.ack_overdue_s,
        frame_stall_after=cfg.health.frame_stall_s,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cagekeeper-kiosk", description=__doc__)
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=Path("/etc/cagekeeper/kiosk.toml"),
        help="kiosk configuration file (default: %(default)s)",
    )
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="simulated drivers, whatever the config says, in a window, with badge taps and"
        " label scans typed on the terminal (for a laptop)",
    )
    parser.add_argument(
        "--screens",
        type=Path,
        default=None,
        metavar="DIR",
        help="save each screen shown as DIR/<kiosk id>.png (with --simulate: in the data"
        " folder's screens/ unless given)",
    )
    parser.add_argument("--check", action="store_true", help="validate the configuration and exit")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        cfg = load_config(args.config)
        if args.simulate:
            cfg.drivers.simulate = True
            cfg.drivers.display.fullscreen = False  # a window, with the pointer shown
        settings = app_settings(cfg)
        if args.check:
            print(f"{args.config}: OK (kiosk {cfg.kiosk.id}, profile {cfg.kiosk.profile.value})")
            return 0
        from kiosk.devices import build_devices

        clock = SystemClock()
        apps: list[KioskApp] = []  # the button's callback needs the app made after it
        devices = build_devices(cfg, clock, confirm=lambda: apps[0].press() if apps else None)
        app = KioskApp(settings, devices, clock, TimedatectlSync(clock.monotonic))
        apps.append(app)
    except KioskError as exc:
        print(f"cagekeeper-kiosk: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: app.request_stop())
    screens: Path | None = args.screens
    if screens is None and args.simulate:
        screens = cfg.kiosk.data_dir / "screens"
    if screens is not None:
        from kiosk.console import save_screens

        save_screens(app, screens)
    app.start()
    if cfg.drivers.simulate:
        from kiosk.console import run_console

        threading.Thread(
            target=run_console,
            args=(app, sys.stdin, sys.stdout, screens),
            name="console",
            daemon=True,
        ).start()
    try:
        app.run()
    except KeyboardInterrupt:
        pass
    finally:
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
