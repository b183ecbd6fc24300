"""The Cagekeeper hub: ingest of kiosk events, the custody ledger, policy, alerts and dashboard."""

__version__ = "0.1.0"
