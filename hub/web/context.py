"""What every page needs: the store, the clock, display times, and rendering with the frame."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.templating import Jinja2Templates

from hub.domain.reservations import ReservationRules
from hub.identity.settings import IdentitySection
from hub.sheets.write import table_pieces
from hub.store import Store
from hub.store.access import SessionLimits, ThrottleRule
from hub.store.fleet import KioskClock
from hub.store.views import KioskView
from hub.web.cache import MarkedCache
from hub.web.security import Principal, csrf_token
from wire import ReplicaPolicy

R = TypeVar("R")  # a record of the registry

NAV = (
    ("/", "Overview"),
    ("/assets", "Assets"),
    ("/people", "People"),
    ("/bookings", "Bookings"),
    ("/maintenance", "Maintenance"),
    ("/stocktakes", "Counts"),  # "Count" on the kiosk too
    ("/desk", "Desk"),
    ("/kiosks", "Kiosks"),
    ("/reports", "Reports"),
    ("/audit", "Audit log"),
)


LOGIN_WINDOW = timedelta(minutes=15)
PER_ACCOUNT = ThrottleRule(limit=10, window=LOGIN_WINDOW, lockout=LOGIN_WINDOW)
PER_CLIENT = ThrottleRule(limit=50, window=LOGIN_WINDOW, lockout=LOGIN_WINDOW)


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    # the session cookie's Secure flag and HSTS: None sets them on requests that came over HTTPS
    secure_cookies: bool | None = None
    site_name: str = "Cagekeeper"
    display_tz: str = "UTC"
    url_base: str | None = None  # where labels' links point; None: labels hold CK1:CODE
    max_import_bytes: int = 20 * 1024 * 1024  # one spreadsheet upload
    max_import_rows: int = 50_000
    max_labels: int = 1_000  # labels in one PDF
    # proxies whose X-Forwarded-* headers the server believes (hub.web.server sets uvicorn so)
    trusted_proxies: tuple[str, ...] = ()
    session_idle: timedelta = timedelta(minutes=60)
    session_lifetime: timedelta = timedelta(hours=12)
    # failed sign-ins: per account, and per client network (higher: colleagues behind one NAT
    # share it; a spray over many accounts stops there)
    login_per_account: ThrottleRule = PER_ACCOUNT
    login_per_client: ThrottleRule = PER_CLIENT
    # the lending rules kiosks get in their replica, which the desk applies too
    lending: ReplicaPolicy = field(default_factory=ReplicaPolicy)
    identity: IdentitySection | None = None  # sign-in through an OIDC provider or LDAP
    reservations: ReservationRules = field(default_factory=ReservationRules)  # borrowers' own

    @property
    def session_limits(self) -> SessionLimits:
        return SessionLimits(self.session_idle, self.session_lifetime)


@dataclass
class Web:
    store: Store
    templates: Jinja2Templates
    clock: Callable[[], datetime]
    settings: WebSettings
    cache: MarkedCache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = MarkedCache(self.clock)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.display_tz)

    def local(self, value: datetime | None) -> str:
        return value.astimezone(self.tz).strftime("%a %d %b %H:%M") if value else "—"

    def end_of_day(self, now: datetime) -> datetime:
        here = now.astimezone(self.tz)
        midnight = here.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        return midnight.replace(tzinfo=self.tz)

    def page(
        self,
        request: Request,
        template: str,
        who: Principal,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        base = {
            "site": self.settings.site_name,
            "user": who,
            "csrf": csrf_token(request),
            "nav": NAV,
            "path": request.url.path,
            "tz": self.settings.display_tz,
        }
        return self.templates.TemplateResponse(
            request, template, {**base, **context}, status_code=status_code
        )


def flash(request: Request, message: str) -> None:
    """A message for the next page this browser shows (after a redirect), kept in the
    server-side session so a link cannot put words on our pages."""
    request.session["flash"] = message[:300]


def take_flash(request: Request) -> str | None:
    message = request.session.pop("flash", None)
    return message if isinstance(message, str) else None


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def feed_position(web: Web) -> tuple[datetime, set[str]]:
    """Where the feed stands now: the newest arrival time and every event id at it."""
    newest = web.store.feed(None, 100)
    if not newest:
        return datetime.fromtimestamp(0, UTC), set()
    return newest[0].at, {e.id for e in newest if e.at == newest[0].at}


def late_text(late: timedelta) -> str:
    minutes = int(late.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min late"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h late"
    return f"{hours // 24} days late"


def clock_notes(
    kiosks: Sequence[KioskView], clocks: Mapping[str, KioskClock]
) -> dict[str, list[str]]:
    """What is wrong with each online kiosk's clock ("clock 60 min behind"); only kiosks with
    something to say. An offline kiosk's last measurement is history, not its state."""
    notes: dict[str, list[str]] = {}
    for kiosk in kiosks:
        clock = clocks.get(kiosk.id)
        if kiosk.state == "online" and clock is not None and clock.notes():
            notes[kiosk.id] = clock.notes()
    return notes


CSV_FLUSH = 500  # rows written per piece of a streamed download
Format = Annotated[str, Query(pattern="^(html|csv)$")]  # a listing as a page or a CSV download


def csv_response(
    name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingResponse:
    """A table as a CSV download, sent as the rows come (``rows`` may read the database a
    chunk at a time), so neither memory nor the wait for the first byte grows with the table;
    written by the sheets' one CSV writer, which quotes cells a spreadsheet would run as
    formulas."""
    return csv_stream(name, table_pieces(header, rows, _cell, CSV_FLUSH))


def registry_pieces(export: Callable[[list[R]], str], chunks: Iterable[list[R]]) -> Iterator[str]:
    """The registry's own CSV (what its import reads back) of ``chunks`` of rows, one piece
    per chunk: the header once, then each chunk's lines."""
    header = export([])
    yield header
    for chunk in chunks:
        yield export(chunk)[len(header) :]


def csv_stream(name: str, pieces: Iterable[str]) -> StreamingResponse:
    """A download of CSV text given in pieces, with the byte order mark Excel looks for."""

    def body() -> Iterator[bytes]:
        yield "\ufeff".encode()
        for piece in pieces:
            if piece:
                yield piece.encode("utf-8")

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _cell(value: object) -> str:
    """A report's cell: times whole (with their offset), anything else as Python writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
