"""Benchmarks of hvconnect: ``make bench`` (``python -m benchmarks``) writes BENCHMARKS.md."""
