"""Benchmarks: ``python -m bench.run`` prints a table of medians over several runs."""
