"""The overdue sweeper over weeks of simulated time, delivering to a real SMTP server, a real
webhook receiver and the real broker; each alert once, across restarts, withdrawn on return."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

from aiosmtpd.smtp import Envelope

from hub.alerts.dispatch import Alerter, MqttAlerts
from hub.alerts.email import EmailSender, SmtpSettings
from hub.alerts.webhook import WebhookSender, WebhookSettings, verify_signature
from hub.domain.sweeper import AlertRules
from hub.store import Store
from hub.store.alerting import Channel
from kiosk.replica import Replica
from tests.events import KioskFeed
from tests.harness import HUB_PASSWORD, Cage
from tests.mqtt_probe import Probe
from tests.servers import Inbox, Receiver

SECRET = b"a webhook secret for tests"
RULES = AlertRules(
    due_soon=timedelta(hours=2), escalate_after=timedelta(days=1), lost_after=timedelta(days=7)
)


def _alerter(cage: Cage, smtp: SmtpSettings, receiver: Receiver) -> Alerter:
    assert cage.hub is not None
    channels: dict[Channel, object] = {
        "email": EmailSender(smtp),
        "webhook": WebhookSender(WebhookSettings(receiver.url, SECRET)),
        "mqtt": MqttAlerts(cage.hub.publish, cage.hub.topics.alerts("all")),
    }
    return Alerter(cage.store, cage.clock.now, RULES, channels=channels)  # type: ignore[arg-type]


def _subjects(inbox: Inbox) -> list[str]:
    out = []
    while inbox.mail.arrived.is_set():
        envelope = inbox.mail.take()
        msg = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        out.append(f"{msg['Subject']} -> {','.join(sorted(envelope.rcpt_tos))}")
    return out


def test_a_loan_over_three_weeks(
    cage: Cage, inbox: tuple[Inbox, int], smtp: SmtpSettings, receiver: Receiver
) -> None:
    cage.store.add_person("lin", "Lin Chen", ["04DEAD01"], email="lin@example.org")
    assert cage.hub is not None
    topic = cage.hub.topics.alerts("all")
    probe = Probe(cage.broker.port, "hub", HUB_PASSWORD, "alert-probe")
    probe.subscribe(topic)
    feed = KioskFeed(cage.store)
    start = cage.clock.now()
    feed.checkout("CAM-0001", "lin", start, hours=48)
    alerter = _alerter(cage, smtp, receiver)

    kinds: list[str] = []
    for hour in range(0, 24 * 21):  # three weeks, hour by hour
        cage.clock.set(start + timedelta(hours=hour))
        if hour == 24 * 6:  # back after six days: after escalation, before "lost"
            feed.give_back("CAM-0001", "lin", cage.clock.now())
        if hour == 24 * 2:  # the hub restarts: a new alerter over the same store
            alerter = _alerter(cage, smtp, receiver)
        report = alerter.run_once()
        assert not any(report.failed.values())
        now = cage.clock.now()
        kinds += [row.kind for row in cage.store.recent_alerts(50) if row.raised_at == now]

    assert kinds == ["due_soon", "overdue", "escalated", "withdrawn"]
    mails = _subjects(inbox[0])
    assert len(mails) == 4
    assert "CAM-0001" in mails[0] and mails[0].endswith("-> lin@example.org")
    assert mails[1].startswith("Overdue") and mails[1].endswith("-> lin@example.org")
    assert "escalated" in mails[2] and "quartermaster@example.org" in mails[2], mails
    assert "Back in the cage" in mails[3]

    posts = []
    while receiver.posts.arrived.is_set():
        posts.append(receiver.posts.take())
    assert len(posts) == 4
    for post in posts:
        assert verify_signature(SECRET, post.body, post.headers["x-cagekeeper-signature"])
    assert [json.loads(p.body)["alert"]["kind"] for p in posts] == [
        "due_soon",
        "overdue",
        "escalated",
        "withdrawn",
    ]
    on_mqtt = probe.wait_for(topic, count=4)
    assert [json.loads(m.payload)["alert"]["kind"] for m in on_mqtt] == [
        "due_soon",
        "overdue",
        "escalated",
        "withdrawn",
    ]
    assert cage.store.open_alert_ids() == []
    probe.close()


def test_the_person_sees_open_alerts_at_their_next_session(cage: Cage) -> None:
    feed = KioskFeed(cage.store)
    start = cage.clock.now()
    feed.checkout("CAM-0001", "ada", start, hours=4)
    cage.clock.set(start + timedelta(hours=5))
    assert cage.hub is not None
    alerter = Alerter(cage.store, cage.clock.now, RULES, on_change=cage.hub.republish_replica)
    alerter.run_once()
    kiosk = cage.kiosk()

    def noticed(replica: Replica) -> bool:
        person = replica.person_by_badge("04A1B2C3")
        return person is not None and bool(person.notices)

    kiosk.wait_replica(10, until=noticed)
    person = kiosk.replica.person_by_badge("04A1B2C3")
    assert person is not None and "overdue" in person.notices[0]
    feed.give_back("CAM-0001", "ada", cage.clock.now())
    assert cage.store.open_alert_ids() == []  # withdrawn by the commit that ended the loan
    cage.hub.republish_replica()  # what the hub's link does after each commit
    kiosk.wait_replica(10, until=lambda r: not noticed(r))


def test_a_channel_that_is_down_keeps_its_alerts(
    cage: Cage, inbox: tuple[Inbox, int], smtp: SmtpSettings, receiver: Receiver
) -> None:
    cage.store.add_person("lin", "Lin Chen", ["04DEAD01"], email="lin@example.org")
    KioskFeed(cage.store).checkout("CAM-0001", "lin", cage.clock.now(), hours=1)
    cage.clock.advance(2 * 3600)
    receiver.status = 503
    alerter = _alerter(cage, smtp, receiver)
    report = alerter.run_once()
    assert report.failed["webhook"] == 1 and report.delivered["email"] == 1
    receiver.posts.take()  # the refused attempt
    receiver.status = 204
    report = alerter.run_once()
    assert report.delivered == {"email": 0, "webhook": 1, "mqtt": 0}
    assert json.loads(receiver.posts.take().body)["alert"]["kind"] == "overdue"


def test_alert_times_follow_the_cages_clock_across_the_spring_change(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    store.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    store.add_asset("CAM-1", "Canon C70", "camera")
    london = ZoneInfo("Europe/London")
    lent = datetime(2026, 3, 28, 16, 0, tzinfo=UTC)  # Saturday, still GMT
    KioskFeed(store).checkout("CAM-1", "ada", lent, hours=18)  # due Sunday 10:00 UTC, in BST
    now = [lent]
    alerter = Alerter(
        store, lambda: now[0], RULES, display=lambda t: t.astimezone(london).strftime("%a %H:%M")
    )
    texts = []
    for hour in range(0, 72):
        now[0] = lent + timedelta(hours=hour)
        alerter.run_once()
        texts += [a.text for a in store.recent_alerts(10) if a.raised_at == now[0]]
    store.close()
    assert texts == [
        "Canon C70 (CAM-1) held by Ada Lovelace is due back at Sun 11:00.",
        "Canon C70 (CAM-1) held by Ada Lovelace was due at Sun 11:00: overdue.",
        "Canon C70 (CAM-1) is still out with Ada Lovelace, due Sun 11:00: escalated.",
    ]


def test_one_bad_alert_does_not_hold_up_the_others(
    cage: Cage, inbox: tuple[Inbox, int], smtp: SmtpSettings, receiver: Receiver
) -> None:
    cage.store.add_person("lin", "Lin\nChen", ["04DEAD01"], email="lin@example.org")  # from a CSV
    cage.store.add_person("mo", "Mo Farah", ["04DEAD02"], email="gone@example.org")
    cage.store.add_person("cy", "Cy Young", ["04DEAD03"], email="cy@example.org")
    inbox[0].unknown.add("gone@example.org")  # that mailbox was closed: 550
    feed = KioskFeed(cage.store)
    start = cage.clock.now()
    for n, person in enumerate(("lin", "mo", "cy")):
        feed.checkout(("CAM-0001", "CAM-0002", "LENS-0001")[n], person, start, hours=1)
    cage.clock.set(start + timedelta(hours=2))
    alerter = Alerter(cage.store, cage.clock.now, RULES, channels={"email": EmailSender(smtp)})
    for _ in range(6):  # a few passes: the refused one is retried, then given up
        alerter.run_once()
    got = sorted(",".join(e.rcpt_tos) for e in _envelopes(inbox[0]))
    assert got == ["cy@example.org", "lin@example.org"]
    pending = [a.id for a in cage.store.undelivered("email")]
    assert pending == []  # nothing left stuck in front of later alerts


def _envelopes(inbox: Inbox) -> list[Envelope]:
    out = []
    while inbox.mail.arrived.is_set():
        out.append(inbox.mail.take())
    return out


def test_a_channel_added_later_hears_no_old_news(
    cage: Cage, smtp: SmtpSettings, receiver: Receiver
) -> None:
    feed = KioskFeed(cage.store)
    start = cage.clock.now()
    feed.checkout("CAM-0001", "ada", start, hours=1)
    cage.clock.set(start + timedelta(hours=2))
    Alerter(cage.store, cage.clock.now, RULES).run_once()  # no channels yet
    feed.give_back("CAM-0001", "ada", cage.clock.now())
    Alerter(cage.store, cage.clock.now, RULES).run_once()
    hooked = Alerter(
        cage.store,
        cage.clock.now,
        RULES,
        channels={"webhook": WebhookSender(WebhookSettings(receiver.url, SECRET))},
    )
    report = hooked.run_once()
    assert report.delivered == {"webhook": 0}
    assert not receiver.posts.arrived.is_set()
