"""Benchmarks: ``make bench`` (``python -m benchmarks``) runs them all, prints tables, writes JSON."""
