"""hub.toml's [reservations]: the shipped example gives the documented limits, and a mistake
is one clear error naming the setting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hub.config import load_config
from hub.domain.reservations import ReservationRules
from hub.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "hub" / "hub.toml.example"


def test_the_example_s_limits_become_the_rules() -> None:
    config = load_config(EXAMPLE)
    assert config.reservations.remind_before_minutes == 60
    assert config.reservations.rules(config.alerts.booking_grace_minutes) == ReservationRules(
        longest=timedelta(hours=72),
        ahead=timedelta(days=14),
        live=3,
        pickup_grace=timedelta(minutes=30),
        per_window=10,
        window=timedelta(hours=1),
    )


@pytest.mark.parametrize(
    ("line", "replacement", "named"),
    [
        ("rate_limit = 10", "rate_limit = 0", "reservations.rate_limit"),
        ("live = 3", 'live = "three"', "reservations.live"),
        ("remind_before_minutes = 60", "remind_before = 60", "reservations.remind_before"),
    ],
)
def test_a_mistake_is_named(tmp_path: Path, line: str, replacement: str, named: str) -> None:
    text = EXAMPLE.read_text()
    assert line in text
    path = tmp_path / "hub.toml"
    path.write_text(text.replace(line, replacement))
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(path)
