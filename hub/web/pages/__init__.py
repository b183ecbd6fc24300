"""One module per dashboard page family; each exposes ``router``."""
