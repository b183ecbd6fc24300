"""TOML configuration files validated by a pydantic model, shared by kiosk and hub.

Every problem (unreadable, not TOML, a wrong or unknown field, a missing secret file) becomes one
error of the caller's own family that names the file and the field.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def load_toml(path: Path, model: type[M], error: type[Exception]) -> M:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path} is not valid TOML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise error(f"{path}: {problems}") from exc


def read_secret(path: Path, what: str, error: type[Exception]) -> str:
    """A secret kept in its own file (mode 0600), so config files can be shared safely."""
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise error(f"cannot read the {what} from {path}: {exc.strerror}") from exc
