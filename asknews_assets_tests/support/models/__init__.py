"""Tiny models built on the spot, so that tests and benchmarks need no download."""
