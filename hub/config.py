"""The hub's TOML configuration, validated with clear errors."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from configfile import load_toml, read_secret
from hub.domain.reservations import ReservationRules
from hub.errors import ConfigError
from hub.identity.settings import IdentitySection
from wire.messages import LoanPeriodSpec, OpeningSpec


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HubSection(_Section):
    database: str = "sqlite:////var/lib/cagekeeper-hub/hub.db"
    # The loan period of categories without their own: in hours, or in minutes for loans
    # shorter than an hour (a room key for 30 minutes); give one of the two.
    default_loan_hours: int = Field(default=24, ge=1)
    default_loan_minutes: int | None = Field(default=None, ge=1)
    # no cap unless set; overdue items block new checkouts (returns are always taken)
    max_items_per_person: int | None = Field(default=None, ge=1)
    block_when_overdue: bool = True
    max_renewals: int = Field(default=1, ge=0)  # extensions a person may take at a kiosk
    # A return stamped up to this long before the checkout it follows ends that loan (the
    # returning kiosk's clock was behind); it is shown to managers either way. 0: never.
    clock_tolerance_minutes: int = Field(default=120, ge=0, le=24 * 60)
    # Opening hours: no loan falls due while the cage is closed. Left out: always open.
    opening: OpeningSpec | None = None
    # the cage's zone: dashboard times, and bookings as typed and explained (CLI and dashboard)
    timezone: str = "UTC"
    # How long a commit may wait for more events to arrive before it starts: one transaction
    # for many kiosks' events costs far less than one each. Kiosks decide on their own, so
    # nobody waits at the cage for it. 0: commit whatever has arrived at once.
    commit_linger_ms: int = Field(default=50, ge=0, le=1000)

    @model_validator(mode="after")
    def _one_default_loan(self) -> HubSection:
        if self.default_loan_minutes is not None and "default_loan_hours" in self.model_fields_set:
            raise ValueError("give default_loan_hours or default_loan_minutes, not both")
        return self

    def default_loan(self) -> LoanPeriodSpec:
        if self.default_loan_minutes is not None:
            return LoanPeriodSpec(kind="minutes", amount=self.default_loan_minutes)
        return LoanPeriodSpec(kind="hours", amount=self.default_loan_hours)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone name (like Europe/London or America/New_York)"
            ) from None
        return value


class BrokerSection(_Section):
    host: str = "localhost"
    port: int = Field(default=8883, ge=1, le=65535)
    username: str = "hub"
    password: str | None = None
    password_file: Path | None = None
    topic_root: str = "cagekeeper"
    share_group: str | None = "hub"
    # The hub's session on the broker, kept while the hub restarts or is down: under the MQTT
    # client id cagekeeper-hub-<host name>-<instance> unless client_id is given. Each hub process
    # needs its own, the same at every start (two on one host: two instance names).
    instance: str = Field(default="main", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    client_id: str | None = Field(default=None, min_length=1, max_length=128)
    # How long the broker keeps the session once the hub is gone; its share of the events waits
    # there until it returns. 0: the broker forgets the hub as soon as it disconnects.
    session_expiry_hours: float = Field(default=24, ge=0, le=24 * 366)
    # TLS, with the broker's certificate checked against this CA file (the system's CAs when
    # left out) and against host. `kiosk add --write-config` copies the CA into kiosks' configs.
    tls: bool = True
    tls_ca: Path | None = None
    # The broker's name as kiosks reach it (one its certificate carries), for the kiosk configs
    # `kiosk add --write-config` writes; host when left out.
    kiosk_host: str | None = None
    # Where `cagekeeper-hub kiosk add` writes kiosk logins (the broker's password_file).
    broker_passwd_file: Path | None = None

    @model_validator(mode="after")
    def _one_password(self) -> BrokerSection:
        if (self.password is None) == (self.password_file is None):
            raise ValueError("give exactly one of password or password_file")
        if not self.tls and self.tls_ca is not None:
            raise ValueError("tls_ca is given but tls = false: remove one")
        return self


class WebSection(_Section):
    bind: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    secret_key_file: Path
    # The session cookie's Secure flag (and HSTS): true always, false never; left out, set for
    # requests that came over HTTPS (directly or through a trusted proxy).
    secure_cookies: bool | None = None
    # Addresses or networks of the reverse proxies in front of the dashboard: only their
    # X-Forwarded-For / X-Forwarded-Proto are believed (client address for login throttling,
    # HTTPS). Empty: the headers are ignored, whoever sends them.
    trusted_proxies: list[str] = Field(default_factory=list)
    # A dashboard sign-in ends after this long without a request, and at the latest this long
    # after it began.
    session_idle_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    session_lifetime_hours: float = Field(default=12, gt=0, le=31 * 24)
    # The dashboard's address as phones reach it; labels then carry a link to each asset's
    # page (kiosks read both forms). Left out: labels hold the compact CK1:CODE form.
    public_url: str | None = None
    # What one request may ask of the dashboard: a spreadsheet import (MB and rows) and a
    # label PDF (labels); past them it says so and does nothing.
    import_max_mb: int = Field(default=20, ge=1, le=1024)
    import_max_rows: int = Field(default=50_000, ge=1)
    labels_max: int = Field(default=1_000, ge=1)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (like 127.0.0.1 or 10.0.0.0/8)"
                ) from None
        return value

    @model_validator(mode="after")
    def _session_times(self) -> WebSection:
        if self.session_idle_minutes > self.session_lifetime_hours * 60:
            raise ValueError("session_idle_minutes must not be longer than session_lifetime_hours")
        return self


class EmailSection(_Section):
    host: str
    port: int = Field(default=25, ge=1, le=65535)
    sender: str
    username: str | None = None
    password_file: Path | None = None
    starttls: bool = False
    ssl: bool = False
    # the CA the server's certificate is checked against (a campus relay's private CA); the
    # system's CAs when left out
    ca_file: Path | None = None
    managers: list[str] = Field(default_factory=list)  # get escalations and lost items


class WebhookSection(_Section):
    url: str
    secret_file: Path  # shared with the receiver, which checks X-Cagekeeper-Signature


class AlertsSection(_Section):
    interval_seconds: float = Field(default=60, gt=0)
    due_soon_hours: float = Field(default=2, ge=0)
    escalate_after_hours: float = Field(default=24, gt=0)
    lost_after_days: float = Field(default=14, gt=0)
    booking_grace_minutes: int = Field(default=30, ge=0)  # then a no-show booking is released
    email: EmailSection | None = None
    webhook: WebhookSection | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AlertsSection:
        if self.escalate_after_hours >= self.lost_after_days * 24:
            raise ValueError("escalate_after_hours must come before lost_after_days")
        return self


class StrikesSection(_Section):
    grace_minutes: int = Field(default=15, ge=0)
    limit: int = Field(default=3, ge=0)  # late returns in a term that ban; 0: never ban
    term_days: int = Field(default=120, ge=1)
    ban_days: int = Field(default=14, ge=1)
    # "visit": the items one person brings back late together (one kiosk session, or returns
    # within visit_minutes of each other) are one strike; "item": each late item is one
    per: Literal["visit", "item"] = "visit"
    visit_minutes: int = Field(default=30, ge=0, le=24 * 60)


class ReservationsSection(_Section):
    """Borrowers' own reservations: how long, how far ahead, how many at once, how many made
    per rate_window_minutes (past it: 429), and the pickup reminder's lead (0: none)."""

    longest_hours: float = Field(default=72, gt=0)
    ahead_days: float = Field(default=14, gt=0)
    live: int = Field(default=3, ge=0)
    rate_limit: int = Field(default=10, ge=1)
    rate_window_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    remind_before_minutes: int = Field(default=60, ge=0)

    def rules(self, pickup_grace_minutes: int) -> ReservationRules:
        return ReservationRules(
            longest=timedelta(hours=self.longest_hours),
            ahead=timedelta(days=self.ahead_days),
            live=self.live,
            pickup_grace=timedelta(minutes=pickup_grace_minutes),
            per_window=self.rate_limit,
            window=timedelta(minutes=self.rate_window_minutes),
        )


class HubConfig(_Section):
    hub: HubSection = Field(default_factory=HubSection)
    broker: BrokerSection
    web: WebSection
    alerts: AlertsSection = Field(default_factory=AlertsSection)
    strikes: StrikesSection = Field(default_factory=StrikesSection)
    identity: IdentitySection = Field(default_factory=IdentitySection)
    reservations: ReservationsSection = Field(default_factory=ReservationsSection)

    def broker_password(self) -> str:
        if self.broker.password is not None:
            return self.broker.password
        assert self.broker.password_file is not None
        return read_secret(self.broker.password_file, "broker password", ConfigError)

    def web_secret(self) -> str:
        secret = read_secret(self.web.secret_key_file, "web secret key", ConfigError)
        if len(secret) < 32:
            raise ConfigError(f"{self.web.secret_key_file}: the secret key needs 32+ characters")
        return secret


def load_config(path: Path) -> HubConfig:
    """Read and validate the config; every problem is one ConfigError naming file and field."""
    return load_toml(path, HubConfig, ConfigError)
