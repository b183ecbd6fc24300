"""The hub's database: the append-only ledger, its custody projection and the registry.

``Store`` composes one repository per job (the ledger, the people and asset registries,
bookings, maintenance, users and access, the reads the dashboard and the kiosks' replica are
made of) over one engine; each operation is one transaction, its audit entry written in it
(hub.store.journal). One transaction per ingest batch: ledger rows and projection move
together, and the kiosk is acknowledged only after it commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry

from hub.domain.custody import CLOCK_TOLERANCE
from hub.domain.strikes import StrikeRules
from hub.store import migrate
from hub.store.access import AccessStore
from hub.store.access_groups import GroupStore
from hub.store.accruals import EARLY_PICKUP as EARLY_PICKUP
from hub.store.alerting import AlertStore
from hub.store.appends import Outcome as Outcome
from hub.store.audit import AuditStore
from hub.store.base import StoreBase
from hub.store.booking_writes import BookingWrites
from hub.store.bookings import Bookings
from hub.store.borrower import BorrowerReads
from hub.store.categories import Categories
from hub.store.editing import EditingStore
from hub.store.facade import delegate
from hub.store.feed_tokens import FeedTokens
from hub.store.fleet import FleetStore
from hub.store.identities import IdentityStore
from hub.store.imports import ImportStore
from hub.store.ledger import Ledger
from hub.store.maintenance import Maintenance
from hub.store.people import PeopleRegistry
from hub.store.pins import PinStore
from hub.store.places import PlaceStore
from hub.store.profiles import AssetView as AssetView
from hub.store.profiles import Profiles
from hub.store.quarantine import Overflow as Overflow
from hub.store.quarantine import Quarantined as Quarantined
from hub.store.quarantine import QuarantineLimits as QuarantineLimits
from hub.store.quarantine import QuarantineStore
from hub.store.reads import ANOMALY_LABELS as ANOMALY_LABELS
from hub.store.reads import NOTICE_KINDS as NOTICE_KINDS
from hub.store.reads import AnomalyRow as AnomalyRow
from hub.store.reads import Attention as Attention
from hub.store.reads import LedgerRow as LedgerRow
from hub.store.reads import Reads
from hub.store.registry import RegistryStore
from hub.store.reminders import ReminderStore
from hub.store.reports import ReportStore
from hub.store.stocktake import StocktakeStore
from hub.store.users import User as User
from hub.store.users import Users
from hub.store.views import ItemOut as ItemOut
from hub.store.views import ViewStore


def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit acknowledged to a kiosk (which then deletes its copy) survives power loss.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    # The hub process checkpoints from a thread of its own (Store.checkpoint), so an ingest
    # commit never copies the log into the database file; this bound is only a backstop for
    # a process that does not (the CLI), 64 MB of log.
    cur.execute("PRAGMA wal_autocheckpoint=16384")
    # and the log file, once copied, is cut back to this size rather than kept at its largest
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.close()


class Store(StoreBase):
    """All hub reads and writes go through here; SQLite for one machine, PostgreSQL beyond.
    It opens and closes the engine and holds the settings its repositories share; every read
    and write is a repository's, delegated to it below."""

    def __init__(
        self,
        engine: Engine,
        strikes: StrikeRules | None = None,
        tolerance: timedelta = CLOCK_TOLERANCE,
    ) -> None:
        self.engine = engine
        strikes = strikes or StrikeRules()
        self.people = PeopleRegistry(engine)
        self.assets = RegistryStore(engine)
        self.categories = Categories(engine)
        self.maintenance = Maintenance(engine)
        self.cages = PlaceStore(engine)
        self.editing = EditingStore(engine)
        self.imports = ImportStore(engine)
        self.pins = PinStore(engine)
        self.fleet = FleetStore(engine)
        self.bookings = Bookings(engine)
        self.ledger = Ledger(engine, strikes, tolerance, lambda c, p: self._strike_times(c, p))
        self.stocktaking = StocktakeStore(engine)
        self.alerts = AlertStore(engine)
        self.dead_letters = QuarantineStore(engine)
        self.reads = Reads(engine, strikes)
        self.profiles = Profiles(engine)
        self.views = ViewStore(engine)
        self.reports = ReportStore(engine)
        self.users = Users(engine)
        self.access = AccessStore(engine)
        self.audits = AuditStore(engine)
        self.identities = IdentityStore(engine)
        self.groups = GroupStore(engine)
        self.booking_writes = BookingWrites(engine)
        self.reminders = ReminderStore(engine)
        self.borrower = BorrowerReads(engine)
        self.feed_tokens = FeedTokens(engine)

    def _strike_times(self, conn: Connection, persons: Sequence[str]) -> dict[str, list[datetime]]:
        """When each strike of these people's happened, read in a commit's transaction: where
        two hubs counting one person's late returns at once meet (the store's own seam, so
        such a meeting can be staged)."""
        return self.ledger.bans.strike_times(conn, persons)

    @property
    def strikes(self) -> StrikeRules:
        """How late returns count as strikes and bans (hub.domain.strikes)."""
        return self.ledger.strikes

    @strikes.setter
    def strikes(self, rules: StrikeRules) -> None:
        self.ledger.bans.strikes = self.reads.strikes = rules

    @property
    def tolerance(self) -> timedelta:
        """How far a return may be stamped before the loan it ends (a kiosk clock behind)."""
        return self.ledger.tolerance

    @tolerance.setter
    def tolerance(self, tolerance: timedelta) -> None:
        self.ledger.tolerance = tolerance

    @property
    def quarantine_limits(self) -> QuarantineLimits:
        """How much of what could not be ingested is kept (hub.store.quarantine)."""
        return self.dead_letters.quarantine_limits

    @quarantine_limits.setter
    def quarantine_limits(self, limits: QuarantineLimits) -> None:
        self.dead_letters.quarantine_limits = limits

    @classmethod
    def open(
        cls,
        url: str,
        *,
        upgrade: bool = True,
        strikes: StrikeRules | None = None,
        tolerance: timedelta = CLOCK_TOLERANCE,
        now: datetime | None = None,
    ) -> Store:
        """Open (and by default migrate) the database. A migration that changed how custody
        is derived leaves a mark; the first open after it re-derives every asset (audited)."""
        engine = create_engine(url, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, strikes, tolerance)
        if upgrade:
            migrate.upgrade(engine)
            store.ledger.rederive_if_marked(now or datetime.now(UTC))
        return store

    def close(self) -> None:
        self.engine.dispose()

    def checkpoint(self) -> tuple[int, int]:
        """SQLite: copy what the write-ahead log holds into the database file, without waiting
        for or holding up readers and writers (PASSIVE); returns the log's pages and how many
        of them are now in the database file. Nothing to do on PostgreSQL: (0, 0)."""
        if self.engine.dialect.name != "sqlite":
            return 0, 0
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return int(row[1]), int(row[2])

    # people
    add_person = delegate("people", PeopleRegistry.add_person)
    add_badge = delegate("people", PeopleRegistry.add_badge)
    revoke_badge = delegate("people", PeopleRegistry.revoke_badge)
    grant_training = delegate("people", PeopleRegistry.grant_training)
    block_person = delegate("people", PeopleRegistry.block_person)
    unblock_person = delegate("people", PeopleRegistry.unblock_person)
    person_rows = delegate("people", PeopleRegistry.person_rows)
    # assets
    add_asset = delegate("assets", RegistryStore.add_asset)
    update_asset = delegate("assets", RegistryStore.update_asset)
    valuation = delegate("assets", RegistryStore.valuation)
    valuation_totals = delegate("assets", RegistryStore.valuation_totals)
    search_assets = delegate("assets", RegistryStore.search_assets)
    category_names = delegate("assets", RegistryStore.category_names)
    asset_rows = delegate("assets", RegistryStore.asset_rows)
    asset_field_names = delegate("assets", RegistryStore.asset_field_names)
    # categories
    set_loan_period = delegate("categories", Categories.set_loan_period)
    set_loan_hours = delegate("categories", Categories.set_loan_hours)
    require_training = delegate("categories", Categories.require_training)
    set_service_rule = delegate("categories", Categories.set_service_rule)
    set_depreciation = delegate("categories", Categories.set_depreciation)
    # maintenance
    move_asset = delegate("maintenance", Maintenance.move_asset)
    report_problem = delegate("maintenance", Maintenance.report_problem)
    close_ticket = delegate("maintenance", Maintenance.close_ticket)
    tickets = delegate("maintenance", Maintenance.tickets)
    maintenance_cost = delegate("maintenance", Maintenance.maintenance_cost)
    check_service = delegate("maintenance", Maintenance.check_service)
    hold_back_for_service = delegate("maintenance", Maintenance.hold_back_for_service)
    # cages
    location_names = delegate("cages", PlaceStore.location_names)
    places = delegate("cages", PlaceStore.places)
    add_location = delegate("cages", PlaceStore.add_location)
    rename_location = delegate("cages", PlaceStore.rename_location)
    remove_location = delegate("cages", PlaceStore.remove_location)
    place_kiosk = delegate("cages", PlaceStore.place_kiosk)
    user_cages = delegate("cages", PlaceStore.user_cages)
    set_user_cages = delegate("cages", PlaceStore.set_user_cages)
    # editing
    save_person = delegate("editing", EditingStore.save_person)
    set_kit_pieces = delegate("editing", EditingStore.set_kit_pieces)
    asset_homes = delegate("editing", EditingStore.asset_homes)
    booking_asset = delegate("editing", EditingStore.booking_asset)
    ticket_asset = delegate("editing", EditingStore.ticket_asset)
    asset_home = delegate("editing", EditingStore.asset_home)
    # imports
    import_assets = delegate("imports", ImportStore.import_assets)
    import_people = delegate("imports", ImportStore.import_people)
    # pins
    set_pin = delegate("pins", PinStore.set_pin)
    clear_pin = delegate("pins", PinStore.clear_pin)
    has_pin = delegate("pins", PinStore.has_pin)
    # fleet
    add_kiosk = delegate("fleet", FleetStore.add_kiosk)
    kiosk_key = delegate("fleet", FleetStore.kiosk_key)
    kiosk_registered_at = delegate("fleet", FleetStore.kiosk_registered_at)
    record_status = delegate("fleet", FleetStore.record_status)
    kiosk_clocks = delegate("fleet", FleetStore.kiosk_clocks)
    # bookings
    release_no_shows = delegate("bookings", Bookings.release_no_shows)
    bookings_between = delegate("bookings", Bookings.bookings_between)
    # ledger
    commit_events = delegate("ledger", Ledger.commit_events)
    commit_audited = delegate("ledger", Ledger.commit_audited)
    verify = delegate("ledger", Ledger.verify)
    repair = delegate("ledger", Ledger.repair)
    rederive_if_marked = delegate("ledger", Ledger.rederive_if_marked)
    # stocktaking
    locations = delegate("stocktaking", StocktakeStore.locations)
    start_stocktake = delegate("stocktaking", StocktakeStore.start_stocktake)
    close_stocktake = delegate("stocktaking", StocktakeStore.close_stocktake)
    stocktakes = delegate("stocktaking", StocktakeStore.stocktakes)
    stocktake_report = delegate("stocktaking", StocktakeStore.stocktake_report)
    # alerts
    sweep_range = delegate("alerts", AlertStore.sweep_range)
    sweep_assets = delegate("alerts", AlertStore.sweep_assets)
    sweep_candidates = delegate("alerts", AlertStore.sweep_candidates)
    open_alert_ids = delegate("alerts", AlertStore.open_alert_ids)
    record_sweep = delegate("alerts", AlertStore.record_sweep)
    undelivered = delegate("alerts", AlertStore.undelivered)
    mark_delivered = delegate("alerts", AlertStore.mark_delivered)
    mark_failed = delegate("alerts", AlertStore.mark_failed)
    give_up = delegate("alerts", AlertStore.give_up)
    recent_alerts = delegate("alerts", AlertStore.recent_alerts)
    alerts_since = delegate("alerts", AlertStore.alerts_since)
    # dead_letters
    quarantine = delegate("dead_letters", QuarantineStore.quarantine)
    quarantined = delegate("dead_letters", QuarantineStore.quarantined)
    quarantined_entry = delegate("dead_letters", QuarantineStore.quarantined_entry)
    quarantine_overflow = delegate("dead_letters", QuarantineStore.quarantine_overflow)
    # reads
    ledger_rows = delegate("reads", Reads.ledger_rows)
    items_out = delegate("reads", Reads.items_out)
    attention = delegate("reads", Reads.attention)
    replica_rows = delegate("reads", Reads.replica_rows)
    # profiles
    asset = delegate("profiles", Profiles.asset)
    asset_detail = delegate("profiles", Profiles.asset_detail)
    people_list = delegate("profiles", Profiles.people_list)
    person_detail = delegate("profiles", Profiles.person_detail)
    person_names = delegate("profiles", Profiles.person_names)
    # views
    out_page = delegate("views", ViewStore.out_page)
    out_rows = delegate("views", ViewStore.out_rows)
    asset_export = delegate("views", ViewStore.asset_export)
    person_export = delegate("views", ViewStore.person_export)
    counts = delegate("views", ViewStore.counts)
    feed = delegate("views", ViewStore.feed)
    kiosk_views = delegate("views", ViewStore.kiosk_views)
    # reports
    report_mark = delegate("reports", ReportStore.report_mark)
    report = delegate("reports", ReportStore.report)
    report_from_ledger = delegate("reports", ReportStore.report_from_ledger)
    # users
    add_user = delegate("users", Users.add_user)
    get_user = delegate("users", Users.get_user)
    user_of_person = delegate("users", Users.user_of_person)
    login_user = delegate("users", Users.login_user)
    user_list = delegate("users", Users.user_list)
    change_password = delegate("users", Users.change_password)
    set_user_disabled = delegate("users", Users.set_user_disabled)
    set_user_role = delegate("users", Users.set_user_role)
    # access
    add_token = delegate("access", AccessStore.add_token)
    token_role = delegate("access", AccessStore.token_role)
    revoke_token = delegate("access", AccessStore.revoke_token)
    tokens = delegate("access", AccessStore.tokens)
    audit_entries = delegate("audits", AuditStore.audit_entries)
    start_session = delegate("access", AccessStore.start_session)
    web_session = delegate("access", AccessStore.web_session)
    save_session = delegate("access", AccessStore.save_session)
    end_session = delegate("access", AccessStore.end_session)
    end_sessions = delegate("access", AccessStore.end_sessions)
    session_count = delegate("access", AccessStore.session_count)
    login_locks = delegate("access", AccessStore.login_locks)
    login_failed = delegate("access", AccessStore.login_failed)
    login_succeeded = delegate("access", AccessStore.login_succeeded)
    throttle_rows = delegate("access", AccessStore.throttle_rows)
    # audits
    audit_page = delegate("audits", AuditStore.audit_page)
    audit_rows = delegate("audits", AuditStore.audit_rows)
    audit_choices = delegate("audits", AuditStore.audit_choices)
    audit_mark = delegate("audits", AuditStore.audit_mark)
    audited_since = delegate("audits", AuditStore.audited_since)
    # identities
    people_matching = delegate("identities", IdentityStore.people_matching)
    linked_user = delegate("identities", IdentityStore.linked_user)
    linked_subjects = delegate("identities", IdentityStore.linked_subjects)
    record_sign_in = delegate("identities", IdentityStore.record_sign_in)
    # groups
    set_groups = delegate("groups", GroupStore.set_groups)
    import_groups = delegate("groups", GroupStore.import_groups)
    person_groups = delegate("groups", GroupStore.person_groups)
    set_category_groups = delegate("groups", GroupStore.set_category_groups)
    category_rules = delegate("groups", GroupStore.category_rules)
    # booking_writes
    add_booking = delegate("booking_writes", BookingWrites.add_booking)
    reserve = delegate("booking_writes", BookingWrites.reserve)
    cancel_booking = delegate("booking_writes", BookingWrites.cancel_booking)
    reservations_of = delegate("booking_writes", BookingWrites.reservations_of)
    reservable = delegate("booking_writes", BookingWrites.reservable)
    # reminders
    pickups_between = delegate("reminders", ReminderStore.pickups_between)
    raised_reminders = delegate("reminders", ReminderStore.raised_reminders)
    raise_reminders = delegate("reminders", ReminderStore.raise_reminders)
    pending_reminders = delegate("reminders", ReminderStore.pending_reminders)
    reminder_sent = delegate("reminders", ReminderStore.reminder_sent)
    reminder_dropped = delegate("reminders", ReminderStore.reminder_dropped)
    reminder_failed = delegate("reminders", ReminderStore.reminder_failed)
    reminders_of = delegate("reminders", ReminderStore.reminders_of)
    # borrower
    my_loans = delegate("borrower", BorrowerReads.my_loans)
    my_history = delegate("borrower", BorrowerReads.my_history)
    my_bookings = delegate("borrower", BorrowerReads.my_bookings)
    my_standing = delegate("borrower", BorrowerReads.my_standing)
    shelf = delegate("borrower", BorrowerReads.shelf)
    lendable_categories = delegate("borrower", BorrowerReads.lendable_categories)
    # feed_tokens
    new_feed_token = delegate("feed_tokens", FeedTokens.new_feed_token)
    end_feed_token = delegate("feed_tokens", FeedTokens.end_feed_token)
    feed_since = delegate("feed_tokens", FeedTokens.feed_since)
    feed_owner = delegate("feed_tokens", FeedTokens.feed_owner)
