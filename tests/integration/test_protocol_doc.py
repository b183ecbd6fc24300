"""docs/protocol.md is the authority for third parties: its schemas are current and its shell
example really commits a checkout through a real broker and hub."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from tests.harness import Cage
from tests.mqtt_probe import Probe
from wire import AckResult, ReplicaSnapshot, Topics, decode_ack
from wire.schemas import SCHEMAS, render
from wire.signing import canonical, sign

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_published_schemas_match_the_code() -> None:
    for name, model in SCHEMAS.items():
        assert (DOCS / "schemas" / name).read_text() == render(model), (
            f"docs/schemas/{name} is stale: run python -m wire.schemas docs/schemas"
        )


def _example_script(kiosk: str, key_hex: str, password: str, port: int, ca: Path) -> str:
    text = (DOCS / "protocol.md").read_text()
    section = text[text.index("## 8. Worked example") :]
    script = re.search(r"```sh\n(.*?)```", section, re.S)
    assert script, "no shell example in section 8"
    values = {
        "KIOSK": kiosk,
        "KEY_HEX": key_hex,
        "PASSWORD": password,
        "BROKER": "127.0.0.1",
        "PORT": str(port),
        "CA": str(ca),
    }
    lines = []
    for line in script.group(1).splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={values[name]}" if name in values and "=" in line else line)
    return "set -euo pipefail\n" + "\n".join(lines) + "\n"


def test_the_shell_example_commits_a_checkout(cage: Cage, tmp_path: Path) -> None:
    # the script stamps the event with `date`, and the hub refuses events ahead of its clock
    cage.clock.set(datetime.now(UTC))
    cage.store.add_person("s1001", "Ada Lovelace", [])
    cage.register_kiosk("return-box-1")
    key, password = cage.kiosk_keys["return-box-1"], cage.kiosk_passwords["return-box-1"]
    probe = Probe(cage.broker.port, "return-box-1", password, "watcher")
    probe.subscribe(Topics().acks("return-box-1"))
    script = _example_script(
        "return-box-1", key.hex(), password, cage.broker.port, cage.broker.ca_file
    )
    env = {k: v for k, v in os.environ.items() if k != "TZ"}
    subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, check=True, timeout=30)
    # publishing the same signed file again, as the document says, is a duplicate
    settings = "\n".join(
        ln for ln in script.splitlines() if re.match(r"^(KIOSK|PASSWORD|BROKER|PORT|CA)=", ln)
    )
    again = settings + "\n" + script[script.index("mosquitto_pub -V") :]
    subprocess.run(["bash", "-c", again], cwd=tmp_path, env=env, check=True, timeout=30)
    acks = []
    for count in (1, 2):
        messages = probe.wait_for(Topics().acks("return-box-1"), count=count)
        acks = [a for m in messages for a in decode_ack(m.payload, key).acks]
        if len(acks) == 2:
            break
    probe.close()
    assert [a.result for a in acks] == [AckResult.COMMITTED, AckResult.DUPLICATE]
    [row] = cage.store.ledger_rows()
    assert (row.kiosk, row.type, row.person, row.asset) == (
        "return-box-1",
        "checkout",
        "s1001",
        "CAM-0001",
    )
    assert cage.store.quarantined() == []


def test_the_signing_test_vector_holds() -> None:
    section = (DOCS / "protocol.md").read_text().split("### 6.5 Test vector")[1]
    blocks = re.findall(r"```(?:json|sh)?\n(.*?)```", section, re.S)
    key_hex, event_json, canonical_text, signature = (b.strip() for b in blocks[:4])
    event = json.loads(event_json)
    assert canonical(event).decode() == canonical_text
    assert sign(bytes.fromhex(key_hex), event) == signature


def test_the_replica_example_is_a_valid_snapshot() -> None:
    text = (DOCS / "protocol.md").read_text()
    start = text.index('{"v":1,"version":')
    example = text[start : text.index("```", start)]
    snapshot = ReplicaSnapshot.model_validate_json(example)
    assert snapshot.policy.loan_for("lens").kind == "next_opening"
    assert snapshot.policy.opening is not None and snapshot.policy.opening.tz == "Europe/London"
