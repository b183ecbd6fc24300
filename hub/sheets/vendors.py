"""What other systems' CSV exports call things: their column names and their statuses, in this
hub's terms, so a manager moving from one of them imports its export as it comes.

Column names are compared by ``key`` (case, spaces and punctuation ignored). A system's column
this table does not know is kept as one of the asset's own fields; columns that are the other
system's bookkeeping (its row ids, when it changed a row) are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from hub.domain.lifecycle import Status
from hub.sheets.rows import ASSET_COLUMNS, PEOPLE_COLUMNS

IGNORE = "-"  # a column left out of the import
HOLDER = "holder"  # who has the item in the other system: reported, never imported
CUSTOM = "field:"  # prefix of a column kept as the asset's own field of that name
KEEP = "keep"  # a status that leaves this hub's status as it is (custody is not imported)

_NOT_KEY = re.compile(r"[^a-z0-9]")


def key(header: str) -> str:
    """A column name as the tables compare it: "Asset Tag", "asset_tag" and "ASSET-TAG" meet."""
    return _NOT_KEY.sub("", header.lower())


@dataclass(frozen=True)
class Vendor:
    """One system's export: ``columns`` maps a column's key to this hub's field (dict order is
    precedence when two columns mean one field); ``statuses`` maps its status (lower case) to
    this hub's, or KEEP; ``marks`` are column keys only that system writes."""

    name: str
    columns: Mapping[str, str]
    statuses: Mapping[str, str] = field(default_factory=dict)
    marks: frozenset[str] = frozenset()
    custom_prefix: str | None = None  # a header prefix the system uses for its own fields

    def custom_name(self, header: str) -> str | None:
        """The field a header names when it is written as one of the system's own fields."""
        stripped = header.strip()
        prefix = self.custom_prefix
        if prefix and stripped.lower().startswith(prefix):
            return stripped[len(prefix) :].split(",type:")[0].strip() or None
        return None


_BOOKKEEPING = {k: IGNORE for k in ("id", "createdat", "updatedat", "deletedat", "created")}

CAGEKEEPER = Vendor(
    "Cagekeeper",
    {key(column): column for column in ASSET_COLUMNS},
    custom_prefix=CUSTOM,
)
CAGEKEEPER_PEOPLE = Vendor("Cagekeeper", {key(column): column for column in PEOPLE_COLUMNS})

SNIPE_IT = Vendor(
    "Snipe-IT",
    {
        "assettag": "code",
        "assetname": "name",
        "name": "name",
        "category": "category",
        "model": "model",
        "manufacturer": "manufacturer",
        "serial": "serial",
        "serialnumber": "serial",
        "defaultlocation": "home",
        "location": "home",
        "currentvalue": "value",
        "notes": "notes",
        "status": "status",
        "statuslabel": "status",
        "purchasedate": "acquired",
        "purchasecost": "cost",
        "supplier": "supplier",
        "checkedoutto": HOLDER,
        "assignedto": HOLDER,
        "checkoutdate": IGNORE,
        "expectedcheckin": IGNORE,
        "lastcheckout": IGNORE,
        "lastaudit": IGNORE,
        "nextauditdate": IGNORE,
        "checkincounter": IGNORE,
        "checkoutcounter": IGNORE,
        "requestscounter": IGNORE,
        **_BOOKKEEPING,
    },
    statuses={
        "ready to deploy": Status.AVAILABLE,
        "deployable": Status.AVAILABLE,
        "deployed": KEEP,
        "pending": Status.MAINTENANCE,
        "undeployable": Status.MAINTENANCE,
        "un-deployable": Status.MAINTENANCE,
        "out for repair": Status.MAINTENANCE,
        "out for diagnostics": Status.MAINTENANCE,
        "broken": Status.MAINTENANCE,
        "broken - not fixable": Status.RETIRED,
        "archived": Status.RETIRED,
        "lost/stolen": Status.RETIRED,
    },
    marks=frozenset({"assettag", "checkedoutto", "defaultlocation", "statuslabel"}),
)

CHEQROOM = Vendor(
    "Cheqroom",
    {
        "codes": "code",
        "code": "code",
        "barcodes": "code",
        "barcode": "code",
        "qrcode": "code",
        "name": "name",
        "category": "category",
        "brand": "manufacturer",
        "model": "model",
        "serial": "serial",
        "serialnumber": "serial",
        "location": "home",
        "status": "status",
        "purchasedate": "acquired",
        "purchaseprice": "cost",
        "residualvalue": "value",
        "description": "notes",
        "imageurl": "photo_url",
        "contact": HOLDER,
        "custody": HOLDER,
        "due": IGNORE,
        "geo": IGNORE,
        "modified": IGNORE,
        "itemid": IGNORE,
        **_BOOKKEEPING,
    },
    statuses={
        "available": Status.AVAILABLE,
        "partially available": Status.AVAILABLE,
        "checking out": KEEP,
        "checked out": KEEP,
        "in custody": KEEP,
        "awaiting checkout": KEEP,
        "unavailable": Status.MAINTENANCE,
        "under repair": Status.MAINTENANCE,
        "in maintenance": Status.MAINTENANCE,
        "expired": Status.RETIRED,
    },
    marks=frozenset({"brand", "codes", "purchaseprice", "residualvalue", "warrantydate"}),
)

SHELF = Vendor(
    "Shelf",
    {
        "assetid": "code",
        "sequentialid": "code",
        "qrid": "code",
        "title": "name",
        "name": "name",
        "category": "category",
        "description": "notes",
        "location": "home",
        "valuation": "value",
        "value": "value",
        "imageurl": "photo_url",
        "status": "status",
        "custodian": HOLDER,
        "custody": HOLDER,
        "mainimage": IGNORE,
        **_BOOKKEEPING,
    },
    statuses={
        "available": Status.AVAILABLE,
        "in custody": KEEP,
        "in_custody": KEEP,
        "checked out": KEEP,
        "checked_out": KEEP,
    },
    marks=frozenset({"qrid", "title", "valuation", "custodian", "availabletobook", "bookable"}),
    custom_prefix="cf:",
)

ASSET_SOURCES: tuple[Vendor, ...] = (CAGEKEEPER, SNIPE_IT, CHEQROOM, SHELF)
PEOPLE_SOURCES: tuple[Vendor, ...] = (CAGEKEEPER_PEOPLE,)


def detect(headers: list[str], sources: tuple[Vendor, ...]) -> Vendor:
    """The system whose export the header looks most like: the columns it knows, marks
    counting more; this hub's own format wins a tie."""

    def score(vendor: Vendor) -> int:
        keys = {key(h) for h in headers}
        known = sum(1 for k in keys if k in vendor.columns)
        known += sum(1 for h in headers if vendor.custom_name(h))
        return known + 3 * len(keys & vendor.marks)

    return max(sources, key=score)  # max keeps the first of equals: this hub's own
