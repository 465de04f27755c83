"""Waiting for something another process does: poll a condition until a deadline, never sleep a
fixed time and hope."""

import time
from collections.abc import Callable

POLL_INTERVAL = 0.1


def wait_for(
    condition: Callable[[], bool],
    timeout: float,
    *,
    what: str = "the condition",
    interval: float = POLL_INTERVAL,
) -> None:
    """Return as soon as ``condition()`` is true; fail after ``timeout`` seconds naming ``what``.
    The condition is checked once more at the deadline, so a slow last poll still counts."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
