"""The kiosk's TOML configuration, validated up front so a typo is a clear error, not a crash."""

from __future__ import annotations

import ssl
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from configfile import load_toml, read_secret
from kiosk.errors import ConfigError
from kiosk.session import DoorSettings, Profile
from wire.topics import KIOSK_ID_PATTERN


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KioskSection(_Section):
    id: Annotated[str, Field(pattern=f"^{KIOSK_ID_PATTERN}$")]
    name: str = "Equipment cage"
    profile: Profile = Profile.CAGE
    data_dir: Path = Path("/var/lib/cagekeeper-kiosk")


class BrokerSection(_Section):
    """The broker, reached over TLS: its certificate must name ``host`` and chain to the CA in
    ``tls_ca_pem`` (the PEM text, as `cagekeeper-hub kiosk add --write-config` writes it) or in
    the file ``tls_ca``, or to the system's CAs when neither is given. ``tls = false`` is plain
    MQTT, for a broker on a link encrypted some other way."""

    host: str = "localhost"
    port: int = Field(default=8883, ge=1, le=65535)
    username: str | None = None  # defaults to the kiosk id, as the ACLs expect
    password: str | None = None
    password_file: Path | None = None
    topic_root: str = "cagekeeper"
    tls: bool = True
    tls_ca: Path | None = None
    tls_ca_pem: str | None = None

    @model_validator(mode="after")
    def _one_ca(self) -> BrokerSection:
        if self.tls_ca is not None and self.tls_ca_pem is not None:
            raise ValueError("give tls_ca (a file) or tls_ca_pem (the PEM text), not both")
        if not self.tls and (self.tls_ca is not None or self.tls_ca_pem is not None):
            raise ValueError("a CA is given but tls = false: remove one")
        if self.tls_ca_pem is not None:
            try:
                ssl.create_default_context(cadata=self.tls_ca_pem)
            except ssl.SSLError as exc:
                raise ValueError(f"tls_ca_pem: no PEM certificate in it ({exc})") from exc
        return self


class SigningSection(_Section):
    key: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    key_file: Path | None = None


class RfidSection(_Section):
    enabled: bool = True
    spi_bus: int = 0
    spi_device: int = 0
    release_after_s: float = Field(default=0.3, gt=0)


class CameraSection(_Section):
    """The QR camera (``kiosk.drivers.camera_streams.CameraSettings`` says what each one does)."""

    enabled: bool = True
    # The main stream; 0 x 0: the sensor's binned resolution (2304x1296 on a Camera Module 3).
    width: int = Field(default=0, ge=0)
    height: int = Field(default=0, ge=0)
    window: float = Field(default=0.5, gt=0, le=1)  # middle share decoded at full resolution
    wide: bool = True  # also decode the whole view at low resolution, for labels held close
    focus: Literal["continuous", "fixed"] = "continuous"  # Camera Module 3 only
    lens_position: float = Field(default=3.3, ge=0, le=15)  # dioptres (1/m) when fixed
    exposure_us: int = Field(default=5000, ge=0, le=100_000)  # 0: automatic
    hold_s: float = Field(default=3.0, gt=0, le=60)  # unseen this long: a new read
    buffers: int = Field(default=3, ge=2, le=8)  # frame buffers; each is 5.6 MB on a Camera 3

    @model_validator(mode="after")
    def _both_sizes_or_neither(self) -> CameraSection:
        if (self.width == 0) != (self.height == 0):
            raise ValueError("give both width and height, or neither (0) for the sensor's own")
        if self.width and (self.width < 160 or self.height < 120):
            raise ValueError("the camera stream must be at least 160 x 120")
        return self


def _not_fitted(value: object) -> object:
    """TOML has no null: ``false`` says a device with a default pin is not fitted."""
    return None if value is False else value


# BCM GPIO numbers on the Pi's 40-pin header; false (or leaving out one without a default): none.
BcmPin = Annotated[
    Annotated[int, Field(ge=0, le=27, strict=True)] | None, BeforeValidator(_not_fitted)
]


class GpioSection(_Section):
    enabled: bool = True
    green_led: BcmPin = 17
    red_led: BcmPin = 27
    buzzer: BcmPin = 22
    lock_relay: BcmPin = None
    door_sensor: BcmPin = None
    button: BcmPin = None
    relay_active_high: bool = True
    buzzer_active_high: bool = True  # false for a buzzer module that sounds when its input is low
    unlock_s: float = Field(default=5, gt=0, le=120)  # how long a staff badge opens the door
    held_open_s: float = Field(default=30, gt=0)  # door open longer than this: alarm

    @model_validator(mode="after")
    def _one_device_per_pin(self) -> GpioSection:
        users: dict[int, str] = {}
        clashes = []
        for name in ("green_led", "red_led", "buzzer", "lock_relay", "door_sensor", "button"):
            pin = getattr(self, name)
            if pin is None:
                continue
            if pin in users:
                clashes.append(f"{users[pin]} and {name} both use pin {pin}")
            else:
                users[pin] = name
        if clashes:
            raise ValueError("; ".join(clashes))
        return self


class DisplaySection(_Section):
    enabled: bool = True
    fullscreen: bool = True
    width: int | None = Field(default=None, ge=320, le=7680)
    height: int | None = Field(default=None, ge=240, le=4320)

    @model_validator(mode="after")
    def _both_or_neither(self) -> DisplaySection:
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither to use the screen's own size")
        return self


class DriversSection(_Section):
    simulate: bool = False
    rfid: RfidSection = Field(default_factory=RfidSection)
    camera: CameraSection = Field(default_factory=CameraSection)
    gpio: GpioSection = Field(default_factory=GpioSection)
    display: DisplaySection = Field(default_factory=DisplaySection)


class SessionSection(_Section):
    inactivity_s: float = Field(default=60, gt=0)
    linger_s: float = Field(default=8, gt=0)


class HealthSection(_Section):
    """When a quiet problem becomes a warning."""

    ack_overdue_s: float = Field(default=300, gt=0)  # an event unacknowledged this long: warn
    frame_stall_s: float = Field(default=10, gt=0)  # a camera without a frame this long: reopen


class DoorSection(_Section):
    """Who may open the cage door: a staff badge, and (by default) its owner's PIN as well,
    since a badge's UID alone is easy to copy."""

    require_pin: bool = True
    pin_attempts: int = Field(default=5, ge=1, le=20)  # wrong PINs in a row before a lockout
    pin_lockout_s: float = Field(default=300, gt=0, le=86_400)  # how long that badge is refused
    pin_timeout_s: float = Field(default=30, gt=0, le=600)  # an untouched PIN pad goes back

    def settings(self) -> DoorSettings:
        return DoorSettings(
            require_pin=self.require_pin,
            attempts=self.pin_attempts,
            lockout=timedelta(seconds=self.pin_lockout_s),
            timeout=timedelta(seconds=self.pin_timeout_s),
        )


class KioskConfig(_Section):
    kiosk: KioskSection
    broker: BrokerSection = Field(default_factory=BrokerSection)
    signing: SigningSection = Field(default_factory=SigningSection)
    drivers: DriversSection = Field(default_factory=DriversSection)
    session: SessionSection = Field(default_factory=SessionSection)
    health: HealthSection = Field(default_factory=HealthSection)
    door: DoorSection = Field(default_factory=DoorSection)

    @model_validator(mode="after")
    def _secrets_given(self) -> KioskConfig:
        if (self.signing.key is None) == (self.signing.key_file is None):
            raise ValueError("signing: give exactly one of key or key_file")
        if (self.broker.password is None) == (self.broker.password_file is None):
            raise ValueError("broker: give exactly one of password or password_file")
        return self

    def signing_key(self) -> bytes:
        if self.signing.key is not None:
            return bytes.fromhex(self.signing.key)
        assert self.signing.key_file is not None
        text = read_secret(self.signing.key_file, "signing key", ConfigError)
        try:
            key = bytes.fromhex(text)
        except ValueError as exc:
            raise ConfigError(f"{self.signing.key_file}: the signing key must be hex") from exc
        if len(key) != 32:
            raise ConfigError(f"{self.signing.key_file}: the signing key must be 32 bytes (64 hex)")
        return key

    def broker_password(self) -> str:
        if self.broker.password is not None:
            return self.broker.password
        assert self.broker.password_file is not None
        return read_secret(self.broker.password_file, "broker password", ConfigError)

    def broker_username(self) -> str:
        return self.broker.username or self.kiosk.id


def load_config(path: Path) -> KioskConfig:
    """Read and validate the config; every problem is one ConfigError naming file and field."""
    return load_toml(path, KioskConfig, ConfigError)
