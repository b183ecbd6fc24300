"""Alembic migrations of the hub database (run by ``cagekeeper-hub migrate`` and at start)."""
