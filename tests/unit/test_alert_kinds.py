"""Alert kinds are one vocabulary: who hears which kind, what a kiosk shows, what a withdrawal
announces, and the one alert record every part passes around."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hub.domain.alerts import NOTICE_KINDS, Alert, AlertKind
from hub.domain.sweeper import Stage

DUE = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def _alert(kind: str, **more: object) -> Alert:
    fields: dict[str, object] = {
        "id": f"{kind}:ev-1:1",
        "kind": kind,
        "asset": "CAM-1",
        "asset_name": "Canon C70",
        "person": "ada",
        "person_name": "Ada Lovelace",
        "person_email": None,
        "due": DUE,
        "raised_at": DUE + timedelta(hours=1),
        "text": "overdue",
    }
    return Alert(**{**fields, **more})  # type: ignore[arg-type]


def test_managers_hear_escalations_and_losses_and_holders_the_rest() -> None:
    managers = {k for k in AlertKind if _alert(k.value).for_managers}
    assert managers == {AlertKind.ESCALATED, AlertKind.LOST}


def test_a_kiosk_shows_due_soon_and_overdue_notices_only() -> None:
    assert NOTICE_KINDS == ("due_soon", "overdue")


def test_the_end_of_a_loan_is_announced_for_its_most_serious_stage() -> None:
    ranked = sorted((k for k in AlertKind if k.announced), key=lambda k: k.announced or 0)
    assert ranked == [AlertKind.OVERDUE, AlertKind.ESCALATED, AlertKind.LOST]
    assert AlertKind.DUE_SOON.announced is None and AlertKind.WITHDRAWN.announced is None


def test_the_sweepers_stages_are_alert_kinds() -> None:
    assert Stage.OVERDUE is AlertKind.OVERDUE


def test_an_alert_read_as_text_keeps_its_kind_and_comes_out_as_text() -> None:
    alert = _alert("lost")
    assert alert.kind is AlertKind.LOST
    assert alert.to_json()["kind"] == "lost"


def test_an_alert_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind 'misplaced'"):
        _alert("misplaced")


def test_alert_times_must_be_aware_and_are_kept_in_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _alert("overdue", due=DUE.replace(tzinfo=None))
    local = DUE.astimezone(timezone(timedelta(hours=2)))
    assert _alert("overdue", due=local).due.tzinfo is UTC
