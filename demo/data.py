"""The demo cage's registry: a small film-school equipment room."""

from __future__ import annotations

from hub.store import Store

PEOPLE = [
    ("s1001", "Ada Lovelace", "04A1B2C3"),
    ("s1002", "Grace Hopper", "04112233445566"),
    ("s1003", "Alan Turing", "0A0B0C0D"),
    ("s1004", "Katherine Johnson", "04C0FFEE123456"),
]
ASSETS = [
    ("CAM-0001", "Canon C70 cinema camera", "camera"),
    ("CAM-0002", "Sony FX3 camera", "camera"),
    ("CAM-0003", "Blackmagic Pocket 6K", "camera"),
    ("LENS-0001", "Zeiss CP.3 50mm", "lens"),
    ("LENS-0002", "Sigma 18-35mm T2", "lens"),
    ("AUD-0001", "Zoom F6 field recorder", "audio"),
    ("AUD-0002", "Sennheiser MKE 600 shotgun mic", "audio"),
    ("LGT-0001", "Aputure 300d light", "lighting"),
    ("TRI-0001", "Sachtler tripod", "support"),
]
LOAN_HOURS = {"camera": 48, "lens": 48, "audio": 72, "lighting": 24, "support": 72}
KIOSKS = [("cage-1", "Film cage kiosk", "cage"), ("door-1", "Cage door return station", "station")]


def seed(store: Store) -> None:
    for pid, name, badge in PEOPLE:
        store.add_person(pid, name, [badge])
    for code, name, category in ASSETS:
        store.add_asset(code, name, category)
    for category, hours in LOAN_HOURS.items():
        store.set_loan_hours(category, hours)
