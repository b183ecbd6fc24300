"""Cagekeeper tests: unit (pure code, fakes), integration (real broker and SQLite), e2e."""
