"""Hardware drivers, one module per device family; each imports its hardware library lazily."""
