"""Cell readers: each turns spreadsheet text (or an already typed value) into a field's value,
or raises an error whose message a manager can act on.

Other systems write money and dates their own way ("$1,299.00", "1.299,00 €",
"2023-04-05 10:22:00", "05/04/2023"); these readers take them as they come, and refuse only
what cannot be read one way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from hub.domain.lifecycle import Status
from wire.badges import BadUid, normal_uid
from wire.messages import AssetCode

CENT = Decimal("0.01")
_MONEY_LIMIT = Decimal("10000000000")  # the database keeps money as NUMERIC(12, 2)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_COMMA_GROUPS = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_DOT_GROUPS = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?")
_SPACE_GROUPS = re.compile(r"[0-9]{1,3}( [0-9]{3})+([.,][0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]{1,2}")
# a currency sign or code before or after the amount: $, €, £, ¥, USD, EUR, CHF...
_CURRENCY = re.compile(r"^(?:[A-Z]{3}|[^\w\s().,+-]{1,3})\s*|\s*(?:[A-Z]{3}|[^\w\s().,+-]{1,3})$")
_NUMERIC_DATE = re.compile(r"([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# date-times other systems export: "2023-04-05 10:22:00", "2023-04-05T10:22:00.000Z"...
_ISO_DAY_AND_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[ T][0-9]{2}:[0-9]{2}.*")
_WORDED_DATES = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%a %b %d, %Y", "%a, %d %b %Y")
_TRUE = frozenset({"yes", "true", "1", "y"})
_FALSE = frozenset({"no", "false", "0", "n"})
STATUSES = (Status.AVAILABLE.value, Status.MAINTENANCE.value, Status.RETIRED.value)
GROUPS_LIMIT = 500  # the people.groups column holds them joined by ";"
DAY_FIRST = "day_first"  # validation context: how 05/04/2023 reads in this file (None: unknown)

_asset_code_rule: TypeAdapter[str] = TypeAdapter(AssetCode)


def invalid(message: str) -> PydanticCustomError:
    # Passed through the context so braces in a quoted value are not read as placeholders.
    return PydanticCustomError("invalid", "{message}", {"message": message})


def shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def text(limit: int, *, required: bool) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        value = blank_to_none(value)
        if value is None:
            if required:
                raise invalid("is required")
            return None
        if not isinstance(value, str):
            raise invalid("must be text")
        if len(value) > limit:
            raise invalid(f"is {len(value)} characters long; at most {limit} fit")
        return value

    return check


def asset_code(value: object) -> str | None:
    """An asset code as the wire contract has it (upper case), or None for a blank cell."""
    value = blank_to_none(value)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid("must be text")
    try:
        return _asset_code_rule.validate_python(value.upper())
    except ValidationError:
        raise invalid(
            f"{shown(value)} is not an asset code: 1-64 of A-Z, 0-9, '-', '.', '_', "
            "starting with a letter or digit"
        ) from None


def required_code(value: object) -> str:
    code = asset_code(value)
    if code is None:
        raise invalid("is required")
    return code


def money(value: object) -> Decimal | None:
    """An amount of money, with or without a currency sign or code and thousands separators."""
    value = blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid("must be a number such as 1234.50")
    if isinstance(value, int | float | Decimal):
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str):
        amount = _amount(value)
    else:
        raise invalid("must be a number such as 1234.50")
    if not amount.is_finite():
        raise invalid("must be a number such as 1234.50")
    if amount < 0:
        raise invalid("must not be negative")
    if amount >= _MONEY_LIMIT:  # checked first: quantizing a huge number raises
        raise invalid("is too large (at most 9999999999.99)")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise invalid("has more than 2 decimal places")
    return amount.quantize(CENT)


def _amount(written: str) -> Decimal:
    body = written.replace("\u00a0", " ").replace("\u202f", " ").strip()
    negative = body.startswith("-") or (body.startswith("(") and body.endswith(")"))
    body = body.strip("()").removeprefix("-").strip()
    for _ in range(2):  # a sign and a code may both stand around it: "US$ 12", "12 € EUR"
        body = _CURRENCY.sub("", body).strip()
    if body.startswith("-"):  # "$-12.00"
        negative, body = True, body[1:].strip()
    if _PLAIN_NUMBER.fullmatch(body):
        digits = body
    elif _COMMA_GROUPS.fullmatch(body):
        digits = body.replace(",", "")
    elif _DOT_GROUPS.fullmatch(body):
        digits = body.replace(".", "").replace(",", ".")
    elif _SPACE_GROUPS.fullmatch(body):
        digits = body.replace(" ", "").replace(",", ".")
    elif _DECIMAL_COMMA.fullmatch(body):
        digits = body.replace(",", ".")
    else:
        raise invalid(
            f"must be an amount such as 1234.50, 1,234.50 or $1,234.50, not {shown(written)}"
        )
    amount = Decimal(digits)
    return -amount if negative else amount


def day(value: object, info: ValidationInfo) -> date | None:
    """A calendar day: ISO (with or without a time, which is dropped), worded ("5 Apr 2023",
    "Apr 5, 2023"), or numeric (05/04/2023) when the file shows which part is the day."""
    value = blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise invalid(f"must be a date such as 2024-03-31, not {value!r}")
    with_time = _ISO_DAY_AND_TIME.fullmatch(value)
    iso = with_time.group(1) if with_time else value
    if _ISO_DAY.fullmatch(iso):
        try:
            return date.fromisoformat(iso)
        except ValueError:
            raise invalid(f"{shown(value)} is not a day of the calendar") from None
    numeric = _NUMERIC_DATE.fullmatch(value.split(" ")[0])
    if numeric:
        first, second, year = (int(part) for part in numeric.groups())
        day_first = numeric_order(first, second, (info.context or {}).get(DAY_FIRST))
        if day_first is None:
            raise invalid(
                f"{shown(value)} could be either day of the month first or month first, and no "
                "date in the file tells which; write it 2024-03-31"
            )
        try:
            return date(year, second, first) if day_first else date(year, first, second)
        except ValueError:
            raise invalid(f"{shown(value)} is not a day of the calendar") from None
    for pattern in _WORDED_DATES:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise invalid(
        f"must be a date such as 2024-03-31, 2024-03-31 10:22:00 or 31 Mar 2024, not {shown(value)}"
    )


def numeric_order(first: int, second: int, day_first: bool | None) -> bool | None:
    """Whether a numeric date reads day first: told by its own numbers when one is over 12."""
    if first > 12:
        return True
    if second > 12:
        return False
    if first == second:
        return True  # either way the same day
    return day_first


def day_order(cells: Iterable[str]) -> bool | None:
    """Whether the file's numeric dates are day first (True), month first (False), or unknown
    (None): any date whose first part is over 12 says day first, and whose second part is over
    12 says month first. A file that says both is read neither way."""
    says: set[bool] = set()
    for cell in cells:
        found = _NUMERIC_DATE.fullmatch(cell.strip().split(" ")[0])
        if found:
            first, second = int(found.group(1)), int(found.group(2))
            if first > 12 or second > 12:
                says.add(first > 12)
    return says.pop() if len(says) == 1 else None


def status(value: object) -> str | None:
    """One of this hub's statuses an import may set (blank: keep the current one)."""
    value = blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str):
        raise invalid("must be text")
    word = value.lower()
    if word == Status.OUT:
        raise invalid(
            "'out' is set by a checkout at a kiosk, not by an import; "
            "leave the status blank to keep the current one"
        )
    if word not in STATUSES:
        raise invalid(f"must be one of {', '.join(STATUSES)} (or blank), not {shown(value)}")
    return word


_optional_url_text = text(500, required=False)
_required_id_text = text(64, required=True)
_optional_email_text = text(200, required=False)


def photo_url(value: object) -> str | None:
    url = _optional_url_text(value)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or _has_space(url):
        raise invalid(f"must be a web address starting with http:// or https://, not {shown(url)}")
    return url


def _has_space(written: str) -> bool:
    return any(char.isspace() for char in written)


def person_id(value: object) -> str:
    ident = _required_id_text(value)
    if ident is None:  # not reached: a required text raises instead
        raise invalid("is required")
    if _has_space(ident):
        raise invalid(f"{shown(ident)} must not contain spaces")
    return ident


def email(value: object) -> str | None:
    address = _optional_email_text(value)
    if address is not None and not _EMAIL.fullmatch(address):
        raise invalid(f"{shown(address)} is not an email address")
    return address


def pieces(value: object) -> list[str]:
    """Splits a ';'-separated cell; a list from code is taken as it is."""
    value = blank_to_none(value)
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[object] = value.split(";")
    elif isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
    else:
        raise invalid("must be a list separated by ';'")
    found = []
    for item in items:
        if not isinstance(item, str):
            raise invalid("must be a list separated by ';'")
        if item.strip():
            found.append(item.strip())
    return found


def badges(value: object) -> list[str]:
    """Badge UIDs by the one rule the CLI, the kiosks and the wire share (``wire.badges``)."""
    uids: list[str] = []
    for piece in pieces(value):
        try:
            uid = normal_uid(piece)
        except BadUid as exc:
            raise invalid(str(exc)) from exc
        if uid in uids:
            raise invalid(f"badge {uid} is listed twice")
        uids.append(uid)
    return uids


def groups(value: object) -> list[str]:
    found: list[str] = []
    for group in pieces(value):
        if len(group) > 64:
            raise invalid(f"group {shown(group)} is longer than 64 characters")
        if group not in found:  # a repeated group means nothing more; drop it quietly
            found.append(group)
    if len(";".join(found)) > GROUPS_LIMIT:
        raise invalid(f"the groups together are longer than {GROUPS_LIMIT} characters")
    return found


def flag(value: object) -> bool | None:
    value = blank_to_none(value)
    if value is None or isinstance(value, bool):
        return value
    word = str(value).lower() if isinstance(value, str | int) else None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise invalid(f"must be yes or no (or blank), not {value!r}")
