"""The hub's rules as pure code: time and data in, decisions out; no I/O, no clock reads."""
