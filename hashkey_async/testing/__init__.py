"""Offline exchange for tests, examples and the demo (placeholder until its issue fills it)."""
