"""Dashboard forms checked by the registry's own row models (hub.registry_csv), so a field
typed on a page obeys the same rules as the same column in a spreadsheet, and every problem is
shown at once next to what was typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def checked(model: type[M], fields: Mapping[str, Any]) -> tuple[M | None, dict[str, str]]:
    """The form as the model, or None and a message per field ("name: is required")."""
    try:
        return model.model_validate(dict(fields)), {}
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            problems.setdefault(field, error["msg"].removeprefix("Value error, "))
        return None, problems
