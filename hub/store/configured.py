"""The store opened with the rules a hub configuration sets (strikes, clock tolerance)."""

from __future__ import annotations

from datetime import timedelta

from hub.config import HubConfig
from hub.domain.strikes import Count, StrikeRules
from hub.store import Store


def strike_rules(config: HubConfig) -> StrikeRules:
    st = config.strikes
    return StrikeRules(
        grace=timedelta(minutes=st.grace_minutes),
        limit=st.limit or None,
        term=timedelta(days=st.term_days),
        ban=timedelta(days=st.ban_days),
        per=Count(st.per),
        visit=timedelta(minutes=st.visit_minutes),
    )


def open_store(config: HubConfig) -> Store:
    """What the service and every CLI command open: the same rules derive the same custody."""
    return Store.open(
        config.hub.database,
        strikes=strike_rules(config),
        tolerance=timedelta(minutes=config.hub.clock_tolerance_minutes),
    )
