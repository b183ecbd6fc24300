"""The hub process: store, MQTT link and web dashboard, started and stopped together."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import uvicorn

from configfile import read_secret
from hub.alerts.dispatch import Alerter, MqttAlerts, Sender
from hub.alerts.email import EmailSender, SmtpSettings
from hub.alerts.reminders import Reminders
from hub.alerts.webhook import WebhookSender, WebhookSettings
from hub.config import AlertsSection, HubConfig
from hub.domain.sweeper import AlertRules
from hub.errors import ConfigError
from hub.link import HubBroker, HubLink, hub_client_id
from hub.store.alerting import Channel
from hub.store.configured import open_store
from hub.web.app import WebSettings, create_app
from hub.web.pages import reports
from hub.web.server import uvicorn_config
from wire import OpeningSpec, ReplicaPolicy

log = logging.getLogger(__name__)
DELIVERY_INTERVAL = 5.0  # seconds between rounds of alert delivery
CHECKPOINT_INTERVAL = 1.0  # seconds between copies of the SQLite log into the database file


def utcnow() -> datetime:
    return datetime.now(UTC)


def smtp_settings(a: AlertsSection) -> SmtpSettings | None:
    """The mail server of ``[alerts.email]``, its password read from its file; None if unset."""
    if a.email is None:
        return None
    e = a.email
    return SmtpSettings(
        host=e.host,
        port=e.port,
        sender=e.sender,
        username=e.username,
        password=(
            read_secret(e.password_file, "SMTP password", ConfigError) if e.password_file else None
        ),
        starttls=e.starttls,
        ssl=e.ssl,
        ca_file=str(e.ca_file) if e.ca_file else None,
        manager_addresses=tuple(e.managers),
    )


class HubService:
    def __init__(self, config: HubConfig, now: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.store = open_store(config)
        rules = ReplicaPolicy(
            default_loan=config.hub.default_loan(),
            # no opening hours (always open) still tells kiosks the cage's time zone
            opening=config.hub.opening or OpeningSpec(tz=config.hub.timezone),
            max_items=config.hub.max_items_per_person,
            block_when_overdue=config.hub.block_when_overdue,
            max_renewals=config.hub.max_renewals,
        )
        b = config.broker
        self.link = HubLink(
            HubBroker(
                host=b.host,
                port=b.port,
                username=b.username,
                password=config.broker_password(),
                topic_root=b.topic_root,
                share_group=b.share_group,
                client_id=b.client_id or hub_client_id(b.instance),
                tls=b.tls,
                tls_ca=str(b.tls_ca) if b.tls_ca else None,
                session_expiry=round(b.session_expiry_hours * 3600),
            ),
            self.store,
            now,
            linger=config.hub.commit_linger_ms / 1000,
            rules=rules,
        )
        self.app = create_app(
            self.store,
            WebSettings(
                secret_key=config.web_secret(),
                secure_cookies=config.web.secure_cookies,
                display_tz=config.hub.timezone,
                url_base=config.web.public_url,
                trusted_proxies=tuple(config.web.trusted_proxies),
                session_idle=timedelta(minutes=config.web.session_idle_minutes),
                session_lifetime=timedelta(hours=config.web.session_lifetime_hours),
                max_import_bytes=config.web.import_max_mb * 1024 * 1024,
                max_import_rows=config.web.import_max_rows,
                max_labels=config.web.labels_max,
                lending=rules,
                identity=config.identity,
                reservations=config.reservations.rules(config.alerts.booking_grace_minutes),
            ),
            now,
        )
        self.alerter = self._alerter(now)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stop_sweeper = threading.Event()
        self._sweeper = threading.Thread(
            target=self.alerter.sweep_forever,
            args=(self._stop_sweeper.wait, config.alerts.interval_seconds),
            name="sweeper",
            daemon=True,
        )
        self._delivery = threading.Thread(
            target=self.alerter.deliver_forever,
            args=(self._stop_sweeper.wait, DELIVERY_INTERVAL),
            name="alerts",
            daemon=True,
        )
        self._reports = threading.Thread(target=self._warm_reports, name="reports", daemon=True)
        self._checkpoint = threading.Thread(
            target=self._checkpoints, name="checkpoint", daemon=True
        )

    def _checkpoints(self) -> None:
        """Copy the SQLite write-ahead log into the database file here, not inside an ingest
        commit (the hub's connections leave that to this thread, see hub.store)."""
        while not self._stop_sweeper.wait(CHECKPOINT_INTERVAL):
            try:
                self.store.checkpoint()
            except Exception:
                log.exception("could not checkpoint the database")

    def _start_workers(self) -> None:
        # What start-up made (modules, the app, the registry caches) lives as long as the
        # process: kept out of the collector's full passes, which otherwise walk all of it
        # every few seconds while every hub thread waits.
        gc.collect()
        gc.freeze()
        self.link.start()
        for worker in (self._sweeper, self._delivery, self._reports, self._checkpoint):
            worker.start()

    def _warm_reports(self) -> None:
        """Keep the reports page's figures fresh so no manager waits for them."""
        web = self.app.state.web
        while not self._stop_sweeper.is_set():
            try:
                reports.warm(web)
            except Exception:
                log.exception("could not prepare the reports")
            self._stop_sweeper.wait(reports.CHECK.total_seconds())

    def _alerter(self, now: Callable[[], datetime]) -> Alerter:
        a = self.config.alerts
        channels: dict[Channel, Sender] = {
            "mqtt": MqttAlerts(self.link.publish, self.link.topics.alerts("all"))
        }
        if (smtp := smtp_settings(a)) is not None:
            channels["email"] = EmailSender(smtp)
        if a.webhook is not None:
            secret = read_secret(a.webhook.secret_file, "webhook secret", ConfigError)
            channels["webhook"] = WebhookSender(WebhookSettings(a.webhook.url, secret.encode()))
        tz = ZoneInfo(self.config.hub.timezone)
        lead = timedelta(minutes=self.config.reservations.remind_before_minutes)
        return Alerter(
            self.store,
            now,
            AlertRules(
                due_soon=timedelta(hours=a.due_soon_hours),
                escalate_after=timedelta(hours=a.escalate_after_hours),
                lost_after=timedelta(days=a.lost_after_days),
            ),
            channels=channels,
            booking_grace=timedelta(minutes=a.booking_grace_minutes),
            display=lambda t: t.astimezone(tz).strftime("%a %d %b %H:%M"),
            on_change=self.link.republish_replica,
            reminders=Reminders(self.store, now, smtp, lead=lead, tz=tz) if lead else None,
        )

    @property
    def url(self) -> str:
        return f"http://{self.config.web.bind}:{self.config.web.port}/"

    def _server_config(self) -> uvicorn.Config:
        return uvicorn_config(
            self.app,
            self.config.web.bind,
            self.config.web.port,
            tuple(self.config.web.trusted_proxies),
            log_level="warning",
            access_log=False,
        )

    def serve_forever(self) -> None:
        """Run until interrupted (the `cagekeeper-hub serve` command)."""
        self._start_workers()
        try:
            self._server = uvicorn.Server(self._server_config())
            self._server.run()
        finally:
            self._stop_sweeper.set()
            for worker in (self._sweeper, self._delivery, self._reports, self._checkpoint):
                worker.join(timeout=30)
            self.link.stop()
            self.store.close()

    def start_in_background(self, timeout: float = 10.0) -> None:
        """Start link, sweeper and web server in threads (for the demo and tests)."""
        self._start_workers()
        self._server = uvicorn.Server(self._server_config())
        self._thread = threading.Thread(target=self._server.run, name="web", daemon=True)
        self._thread.start()
        done = threading.Event()

        def started() -> bool:
            return bool(self._server and self._server.started)

        for _ in range(int(timeout / 0.05)):
            if started() or not self._thread.is_alive():
                break
            done.wait(0.05)
        if not started():
            raise RuntimeError(f"the dashboard did not start on {self.url}")

    def wait_forever(self) -> None:
        """Block while the background web server runs (Ctrl-C ends it)."""
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._stop_sweeper.set()
        for worker in (self._sweeper, self._delivery, self._reports, self._checkpoint):
            if worker.is_alive():
                worker.join(timeout=30)
        self.link.stop()
        self.store.close()
