"""Dashboard forms checked by the registry's own row models (hub.registry_csv), so a field
typed on a page obeys the same rules as the same column in a spreadsheet, and every problem is
shown at once next to what was typed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Form
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
Field = Annotated[str, Form(max_length=20_000)]  # one field of a registry form, as typed


def as_typed(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """The fields ``names`` as the form shows them again: blank for a value not given."""
    return {k: "" if values.get(k) is None else str(values[k]) for k in names}


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
