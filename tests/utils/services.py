"""Tests that need PostgreSQL (or Redis and a worker) skip without them, with the reason. A CI
leg that runs on PostgreSQL (``CI`` and ``DATABASE_URL`` both set) must run them: there the
skip is a failure, so a misconfigured leg cannot pass by skipping. CI's SQLite leg
(``DATABASE_URL`` unset) skips them like a developer's machine."""

import os

import pytest


def skip_without(reason: str) -> None:
    """Skip the test for ``reason``, or fail it on a CI leg that has PostgreSQL."""
    if os.environ.get("CI") and os.environ.get("DATABASE_URL"):
        pytest.fail(f"CI must run this test on its PostgreSQL leg: {reason}")
    pytest.skip(reason)
