"""The kiosk's TOML configuration, validated up front so a typo is a clear error, not a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from configfile import load_toml, read_secret
from kiosk.errors import ConfigError
from kiosk.session import Profile
from wire.topics import KIOSK_ID_PATTERN


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KioskSection(_Section):
    id: Annotated[str, Field(pattern=f"^{KIOSK_ID_PATTERN}$")]
    name: str = "Equipment cage"
    profile: Profile = Profile.CAGE
    data_dir: Path = Path("/var/lib/cagekeeper-kiosk")


class BrokerSection(_Section):
    host: str = "localhost"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None  # defaults to the kiosk id, as the ACLs expect
    password: str | None = None
    password_file: Path | None = None
    topic_root: str = "cagekeeper"
    tls_ca: Path | None = None


class SigningSection(_Section):
    key: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    key_file: Path | None = None


class RfidSection(_Section):
    enabled: bool = True
    spi_bus: int = 0
    spi_device: int = 0
    release_after_s: float = Field(default=0.3, gt=0)


class CameraSection(_Section):
    enabled: bool = True
    width: int = Field(default=640, ge=160)
    height: int = Field(default=480, ge=120)


class GpioSection(_Section):
    enabled: bool = True
    green_led: int | None = 17
    red_led: int | None = 27
    buzzer: int | None = 22
    lock_relay: int | None = None
    door_sensor: int | None = None
    button: int | None = None
    relay_active_high: bool = True
    unlock_s: float = Field(default=5, gt=0, le=120)  # how long a staff badge opens the door
    held_open_s: float = Field(default=30, gt=0)  # door open longer than this: alarm


class DisplaySection(_Section):
    enabled: bool = True
    fullscreen: bool = True
    width: int | None = None
    height: int | None = None


class DriversSection(_Section):
    simulate: bool = False
    rfid: RfidSection = Field(default_factory=RfidSection)
    camera: CameraSection = Field(default_factory=CameraSection)
    gpio: GpioSection = Field(default_factory=GpioSection)
    display: DisplaySection = Field(default_factory=DisplaySection)


class SessionSection(_Section):
    inactivity_s: float = Field(default=60, gt=0)
    linger_s: float = Field(default=8, gt=0)


class KioskConfig(_Section):
    kiosk: KioskSection
    broker: BrokerSection = Field(default_factory=BrokerSection)
    signing: SigningSection = Field(default_factory=SigningSection)
    drivers: DriversSection = Field(default_factory=DriversSection)
    session: SessionSection = Field(default_factory=SessionSection)

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
