"""``cagekeeper-demo``: run a whole cage locally and walk through a checkout and a return.

Everything is real except the hardware: Mosquitto with the deploy/ configuration, the hub on
SQLite with its dashboard, and two kiosks whose drivers are the simulated ones.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from types import FrameType

from demo.data import KIOSKS, PEOPLE, seed
from hub.config import BrokerSection, HubConfig, HubSection, WebSection
from hub.localbroker import LocalBroker, free_port
from hub.service import HubService
from hub.store import Store
from hub.web.auth import create_user
from kiosk.app import AppSettings, Devices, KioskApp
from kiosk.clock import SystemClock
from kiosk.console import COMMANDS, HELP, command
from kiosk.drivers.camera import SimulatedScanner
from kiosk.drivers.display import Display
from kiosk.drivers.rfid import SimulatedBadgeReader
from kiosk.link import BrokerSettings
from kiosk.replica import Replica
from kiosk.screens import Screen
from kiosk.session import Cancel, Confirm, Profile, Settings

log = logging.getLogger("demo")
PREFERRED_WEB_PORT = 8080
WEB_HOST = "127.0.0.1"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stop(Exception):
    """A signal asked the demo to stop; raised in the main thread so ``finally`` cleans up."""


class SignalStop:
    """SIGTERM, SIGINT (Ctrl-C) and SIGHUP (terminal closed) stop the demo once, cleanly.

    The first signal raises :class:`Stop` wherever the main thread is waiting; later ones, and
    any that arrive once the demo is shutting down, are ignored so they cannot cut the cleanup
    short and leave the broker running. A signal the demo was started with ignored (``nohup``,
    a background job's SIGINT) stays ignored.
    """

    def __init__(self) -> None:
        self.stopping = False

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping:
            return
        self.stopping = True
        raise Stop(signal.Signals(signum).name)


def port_is_free(port: int, host: str = WEB_HOST) -> bool:
    """Whether the dashboard could listen on ``port`` (bound as uvicorn binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def choose_web_port(requested: int | None) -> int:
    """The port asked for, or 8080 if it is free, or else any free port.

    Raises ``OSError`` when an explicitly requested port is taken.
    """
    if requested is None:
        return PREFERRED_WEB_PORT if port_is_free(PREFERRED_WEB_PORT) else free_port()
    if requested == 0:
        return free_port()
    if not port_is_free(requested):
        raise OSError(f"port {requested} on {WEB_HOST} is already in use")
    return requested


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return port


class DemoKiosk:
    """A kiosk app with simulated drivers a person (or the script) can tap and scan on."""

    def __init__(
        self, app: KioskApp, badges: SimulatedBadgeReader, codes: SimulatedScanner, screens: Path
    ) -> None:
        self.app = app
        self._badges = badges
        self._codes = codes
        self.screens = screens

    def tap(self, uid: str) -> None:
        self._badges.tap(uid)

    def scan(self, text: str) -> None:
        self._codes.show(text)

    def confirm(self) -> None:
        self.app.submit(Confirm())

    def wait(self, predicate: Callable[[Screen], bool], timeout: float = 10) -> Screen:
        return self.app.wait_for_screen(predicate, timeout)


def _kiosk(
    kiosk_id: str,
    name: str,
    profile: str,
    folder: Path,
    key: bytes,
    port: int,
    password: str,
    ca_file: Path,
) -> DemoKiosk:
    badges, codes = SimulatedBadgeReader(), SimulatedScanner()
    display = Display()
    display.open(size=(800, 480), fullscreen=False, offscreen=True)
    screens = folder / "screens" / f"{kiosk_id}.png"
    screens.parent.mkdir(parents=True, exist_ok=True)
    settings = AppSettings(
        kiosk_id=kiosk_id,
        session=Settings(
            kiosk_name=name,
            profile=Profile(profile),
            inactivity=timedelta(seconds=90),
            linger=timedelta(seconds=6),
        ),
        data_dir=folder / kiosk_id,
        key=key,
        broker=BrokerSettings("127.0.0.1", port, kiosk_id, password, tls_ca=str(ca_file)),
    )
    app = KioskApp(settings, Devices(badges=badges, codes=codes, display=display), SystemClock())
    app.on_screen = lambda _screen: display.screenshot(screens)
    return DemoKiosk(app, badges, codes, screens)


def _say(text: str) -> None:
    print(text, flush=True)


def scenario(cage: DemoKiosk, door: DemoKiosk, store: Store) -> None:
    """The walk-through the README describes; each step waits on what the kiosk shows."""
    from kiosk.screens import CartScreen, IdleScreen, ReceiptScreen

    ada_badge = PEOPLE[0][2]
    _say(f"\n1. Ada taps her badge ({ada_badge}) at the cage kiosk")
    cage.tap(ada_badge)
    cage.wait(lambda s: isinstance(s, CartScreen))
    _say("2. She shows the camera and the lens labels to the camera")
    cage.scan("CK1:CAM-0001")
    cage.scan("CK1:LENS-0001")
    cage.wait(lambda s: isinstance(s, CartScreen) and len(s.lines) == 2)
    _say("3. She confirms on the touch screen")
    cage.confirm()
    receipt = cage.wait(lambda s: isinstance(s, ReceiptScreen))
    assert isinstance(receipt, ReceiptScreen)
    for line in receipt.lines:
        due = line.due.strftime("%a %d %b %H:%M UTC") if line.due else ""
        _say(f"   receipt: {line.name} ({line.code}) due {due}")
    _drain(cage)
    _say("4. The hub committed it; the dashboard lists:")
    for item in store.items_out():
        due = f"{item.due:%a %H:%M} UTC"
        _say(f"   {item.asset:10} {item.asset_name:28} {item.person_name:16} due {due}")
    _say("5. Later the lens comes back through the door return station")
    door.app.wait_replica(10, until=lambda r: _holder(r, "LENS-0001") is not None)
    door.scan("CK1:LENS-0001")
    door.wait(lambda s: isinstance(s, IdleScreen) and (s.message or "").startswith("Returned"))
    _drain(door)
    _say(f"   out now: {', '.join(i.asset for i in store.items_out()) or 'nothing'}")
    _say("6. Grace tries to take Ada's camera: refused with the reason")
    cage.app.submit(Cancel())
    cage.wait(lambda s: isinstance(s, IdleScreen), 15)
    cage.tap(PEOPLE[1][2])
    cage.wait(lambda s: isinstance(s, CartScreen))
    cage.scan("CK1:CAM-0001")
    cart = cage.wait(lambda s: isinstance(s, CartScreen) and bool(s.lines))
    assert isinstance(cart, CartScreen)
    _say(f"   kiosk says: {cart.lines[0].name}: {cart.lines[0].reason}")
    cage.app.submit(Cancel())


def _holder(replica: Replica, code: str) -> str | None:
    item = replica.item(code)
    return item.holder if item else None


def _drain(kiosk: DemoKiosk) -> None:
    if kiosk.app.link is not None and not kiosk.app.link.wait_drained(15):
        raise RuntimeError("the hub did not acknowledge the kiosk's events")


def repl(kiosks: dict[str, DemoKiosk]) -> None:
    _say("\nType commands (help for the list, quit to stop):")
    while True:
        try:
            line = input("cage> ").strip()
        except EOFError:
            return
        if not line:
            continue
        words = line.split()
        cmd, args = words[0], words[1:]
        if cmd in ("quit", "exit"):
            return
        if cmd not in (*COMMANDS, "show") or len(args) < 1 or args[0] not in kiosks:
            _say(
                "  COMMAND KIOSK [ARGUMENT], e.g. tap cage-1 04A1B2C3, scan door-1 CK1:LENS-0001,\n"
                "  damaged cage-1 LENS-0001; show KIOSK prints its screen. The commands:\n"
                + "\n".join(f"    {line}" for line in HELP.splitlines() if line[:4] != "quit")
                + f"\n  kiosks: {', '.join(kiosks)}; badges: "
                f"{', '.join(f'{n} {b}' for _i, n, b in PEOPLE)}"
            )
            continue
        k = kiosks[args[0]]
        if cmd == "show":
            _say(f"  {k.app.screen!r}\n  screenshot: {k.screens}")
        else:  # the same commands as a simulated kiosk's console
            command(k.app, " ".join([cmd, *args[1:]]), sys.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cagekeeper-demo", description=__doc__)
    parser.add_argument(
        "--folder",
        type=Path,
        default=Path(".demo"),
        help="where the demo keeps its databases (wiped at start)",
    )
    parser.add_argument(
        "--web-port",
        type=_port,
        default=None,
        help=f"dashboard port (default {PREFERRED_WEB_PORT}, or a free port if that is taken; "
        "0 for any free port)",
    )
    parser.add_argument("--no-script", action="store_true", help="skip the scripted scenario")
    parser.add_argument(
        "--exit-after-script",
        action="store_true",
        help="stop after the scenario (for automated checks)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

    try:
        web_port = choose_web_port(args.web_port)
    except OSError as exc:
        print(f"{parser.prog}: error: --web-port {args.web_port}: {exc}", file=sys.stderr)
        return 2
    signals = SignalStop()
    signals.install()
    try:
        return _run(args, web_port, signals)
    except Stop as stop:
        _say(f"Stopped ({stop}).")
        return 0


def _run(args: argparse.Namespace, web_port: int, signals: SignalStop) -> int:
    """Start broker, hub and kiosks, run the demo, and stop all of them however it ends."""
    if args.web_port is None and web_port != PREFERRED_WEB_PORT:
        _say(f"Port {PREFERRED_WEB_PORT} is in use; the dashboard takes port {web_port}.")
    folder: Path = args.folder.resolve()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with ExitStack() as running:
        # Stopped last-in first-out: kiosks, then the hub and its web server, then the broker.
        # Each stop runs even if a signal or an error ends the demo, or an earlier stop fails.
        try:
            hub_password = secrets.token_urlsafe(18)
            broker = LocalBroker(folder / "broker", {"hub": hub_password})
            running.callback(broker.stop)
            broker.folder.mkdir(parents=True)
            broker.start()
            secret = folder / "web-secret"
            secret.write_text(secrets.token_urlsafe(48))
            secret.chmod(0o600)
            config = HubConfig(
                hub=HubSection(database=f"sqlite:///{folder / 'hub.db'}"),
                broker=BrokerSection(
                    host="127.0.0.1",
                    port=broker.port,
                    password=hub_password,
                    tls_ca=broker.ca_file,
                ),
                web=WebSection(bind=WEB_HOST, port=web_port, secret_key_file=secret),
            )
            service = HubService(config)
            running.callback(service.stop)
            store = service.store
            seed(store)
            clock = SystemClock()
            admin_password = secrets.token_urlsafe(12)
            create_user(store, "admin", admin_password, "admin", clock.now())
            kiosks: dict[str, DemoKiosk] = {}
            for kiosk_id, name, profile in KIOSKS:
                key = store.add_kiosk(kiosk_id, name, clock.now())
                password = secrets.token_urlsafe(18)
                broker.add_user(kiosk_id, password)
                kiosk = _kiosk(
                    kiosk_id, name, profile, folder, key, broker.port, password, broker.ca_file
                )
                running.callback(kiosk.app.stop)
                kiosks[kiosk_id] = kiosk
            try:
                service.start_in_background()
            except RuntimeError as exc:  # the port was taken between the check and the bind
                print(f"cagekeeper-demo: error: {exc}", file=sys.stderr)
                return 1
            for k in kiosks.values():
                k.app.start_in_background()
            for k in kiosks.values():
                k.app.wait_replica(15)
            _say(
                f"Cagekeeper demo running.\n  dashboard: {service.url}\n"
                f"  login:     admin / {admin_password}\n"
                f"  broker:    127.0.0.1:{broker.port} (config from deploy/mosquitto)\n"
                f"  kiosk screens are saved to {folder / 'screens'}"
            )
            if not args.no_script:
                scenario(kiosks["cage-1"], kiosks["door-1"], store)
                _say("\nScenario done.")
            if args.exit_after_script:
                return 0
            if sys.stdin.isatty():
                repl(kiosks)
            else:
                _say("Press Ctrl-C to stop.")
                service.wait_forever()
        finally:
            signals.stopping = True  # a signal must not cut the stops below short
    return 0


if __name__ == "__main__":
    sys.exit(main())
