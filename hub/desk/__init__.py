"""Desk mode: managers lend and take back items at the counter through the dashboard, deciding
by the kiosks' rules and recording the kiosks' events under a source of its own."""
