"""Events that trickle in are committed together: the hub lets a batch fill for a moment
(``commit_linger_ms``) instead of paying a transaction for each event, and a kiosk gets one
ack batch for the events of that moment, as the protocol allows (section 4.2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import ConfigError
from tests.events import denial_event
from tests.harness import Cage
from tests.mqtt_probe import Probe
from wire import AckResult, Topics, decode_ack, encode_event

TOPICS = Topics()


@pytest.fixture
def probe(cage: Cage) -> Iterator[Probe]:
    cage.register_kiosk("cage-9")
    p = Probe(cage.broker.port, "cage-9", cage.kiosk_passwords["cage-9"], "probe-cage-9")
    p.subscribe(TOPICS.acks("cage-9"))
    yield p
    p.close()


def test_events_arriving_within_the_linger_are_one_commit_and_one_ack(
    cage: Cage, probe: Probe
) -> None:
    cage.stop_hub()
    cage.start_hub(linger=1.0)
    key = cage.kiosk_keys["cage-9"]
    at = cage.clock.now()
    for seq in range(1, 11):
        event = denial_event("cage-9", seq, at + timedelta(seconds=seq))
        probe.publish(TOPICS.events("cage-9"), encode_event(event, key))
    [first] = probe.wait_for(TOPICS.acks("cage-9"), count=1, timeout=15)
    batch = decode_ack(first.payload, key)
    assert [a.seq for a in batch.acks] == list(range(1, 11))
    assert {a.result for a in batch.acks} == {AckResult.COMMITTED}
    assert len(cage.store.ledger_rows()) == 10


def _config(tmp_path: Path, hub: str) -> Path:
    (tmp_path / "secret").write_text("s" * 40)
    path = tmp_path / "hub.toml"
    path.write_text(
        f'[hub]\n{hub}\n[broker]\npassword = "x"\n'
        f'[web]\nsecret_key_file = "{tmp_path / "secret"}"\n'
    )
    return path


def test_the_linger_is_a_setting_with_bounds(tmp_path: Path) -> None:
    assert load_config(_config(tmp_path, "")).hub.commit_linger_ms == 50
    assert load_config(_config(tmp_path, "commit_linger_ms = 0")).hub.commit_linger_ms == 0
    with pytest.raises(ConfigError, match="commit_linger_ms"):
        load_config(_config(tmp_path, "commit_linger_ms = 5000"))
