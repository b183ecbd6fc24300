"""JSON Schemas of the v1 payloads, for third parties; ``python -m wire.schemas docs/schemas``
writes them and a test checks the committed copies are current."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from wire.messages import (
    AckBatch,
    CustodyEvent,
    HubStatus,
    KioskStatus,
    ReplicaDelta,
    ReplicaSnapshot,
)

SCHEMAS: dict[str, type[BaseModel]] = {
    "event.json": CustodyEvent,
    "acks.json": AckBatch,
    "kiosk-status.json": KioskStatus,
    "hub-status.json": HubStatus,
    "replica-snapshot.json": ReplicaSnapshot,
    "replica-delta.json": ReplicaDelta,
}


def render(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, model in SCHEMAS.items():
        (folder / name).write_text(render(model))


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas"))
