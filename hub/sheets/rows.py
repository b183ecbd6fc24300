"""The rows a sheet holds once read: one asset or one person, every field checked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from hub.sheets import cells

ASSET_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "category",
    "model",
    "manufacturer",
    "serial",
    "home",
    "value",
    "photo_url",
    "notes",
    "status",
    "kit",
    "acquired",
    "cost",
    "supplier",
)
PEOPLE_COLUMNS: tuple[str, ...] = ("id", "name", "email", "badges", "groups", "staff")
FIELD_NAME_LIMIT = 64
FIELD_VALUE_LIMIT = 1000

_ROW = ConfigDict(extra="forbid", frozen=True)


def _fields(value: object) -> dict[str, str | None]:
    """An asset's own fields (a column another system had and this hub has not): name to
    text, None where the cell was blank (which clears the field)."""
    if not isinstance(value, dict):
        raise cells.invalid("must be a mapping of field names to text")
    out: dict[str, str | None] = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not name.strip():
            raise cells.invalid("a field needs a name")
        if len(name) > FIELD_NAME_LIMIT:
            raise cells.invalid(f"field name {cells.shown(name)} is over {FIELD_NAME_LIMIT} long")
        written = cells.blank_to_none(raw)
        if written is not None and not isinstance(written, str):
            written = str(written)
        if written is not None and len(written) > FIELD_VALUE_LIMIT:
            raise cells.invalid(
                f"{name} is {len(written)} characters long; at most {FIELD_VALUE_LIMIT} fit"
            )
        out[name.strip()] = written
    return out


class AssetRow(BaseModel):
    """One line of an asset file; ``None`` means the cell was blank ("not set")."""

    model_config = _ROW

    code: Annotated[str, BeforeValidator(cells.required_code)]
    name: Annotated[str, BeforeValidator(cells.text(200, required=True))]
    category: Annotated[str, BeforeValidator(cells.text(64, required=True))]
    model: Annotated[str | None, BeforeValidator(cells.text(200, required=False))] = None
    manufacturer: Annotated[str | None, BeforeValidator(cells.text(200, required=False))] = None
    serial: Annotated[str | None, BeforeValidator(cells.text(100, required=False))] = None
    home: Annotated[str | None, BeforeValidator(cells.text(100, required=False))] = None
    value: Annotated[Decimal | None, BeforeValidator(cells.money)] = None
    photo_url: Annotated[str | None, BeforeValidator(cells.photo_url)] = None
    notes: Annotated[str | None, BeforeValidator(cells.text(10_000, required=False))] = None
    status: Annotated[
        Literal["available", "maintenance", "retired"] | None, BeforeValidator(cells.status)
    ] = None
    kit: Annotated[str | None, BeforeValidator(cells.asset_code)] = None
    acquired: Annotated[date | None, BeforeValidator(cells.day)] = None
    cost: Annotated[Decimal | None, BeforeValidator(cells.money)] = None
    supplier: Annotated[str | None, BeforeValidator(cells.text(200, required=False))] = None
    fields: Annotated[dict[str, str | None], BeforeValidator(_fields)] = Field(default_factory=dict)

    @field_validator("kit")
    @classmethod
    def kit_is_another_asset(cls, kit: str | None, info: ValidationInfo) -> str | None:
        if kit is not None and kit == info.data.get("code"):
            raise cells.invalid(f"{kit} cannot be a piece of itself; name another asset's code")
        return kit


class PersonRow(BaseModel):
    """One line of a people file; ``None`` means the cell was blank ("not set")."""

    model_config = _ROW

    id: Annotated[str, BeforeValidator(cells.person_id)]
    name: Annotated[str, BeforeValidator(cells.text(200, required=True))]
    email: Annotated[str | None, BeforeValidator(cells.email)] = None
    badges: Annotated[list[str], BeforeValidator(cells.badges)] = Field(default_factory=list)
    groups: Annotated[list[str], BeforeValidator(cells.groups)] = Field(default_factory=list)
    staff: Annotated[bool | None, BeforeValidator(cells.flag)] = None
