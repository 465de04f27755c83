"""Playwright's sync API in a thread of its own, used from the test's thread through proxies.

Between two of its calls the sync API leaves its asyncio loop marked as running in the thread
that uses it. Django then refuses ORM calls there ("You cannot call this from an async
context"), keeps that thread's database connections apart from the usual ones, and so would
every later test on the same xdist worker. Here the loop lives in one worker thread that does
nothing else: the test's thread stays a plain synchronous thread, with the ORM as usual.

Every attribute and call of a ``Remote`` runs in that thread, one at a time and in order, as
the sync API expects; Playwright objects in the results come back wrapped in ``Remote``. Event
handlers and routes run in the Playwright thread: keep them to recording what they see.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class PlaywrightThread:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")

    def call(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return self._executor.submit(function, *args, **kwargs).result()

    def wrap(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.wrap(item) for item in value]
        if type(value).__module__.startswith("playwright."):
            return Remote(self, value)
        return value

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


def _unwrap(value: Any) -> Any:
    return object.__getattribute__(value, "_target") if isinstance(value, Remote) else value


class Remote:
    """A Playwright object (page, locator, ...) that lives in the Playwright thread."""

    __slots__ = ("_target", "_thread")

    def __init__(self, thread: PlaywrightThread, target: Any) -> None:
        object.__setattr__(self, "_thread", thread)
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        value = self._thread.call(getattr, self._target, name)
        if callable(value) and not type(value).__module__.startswith("playwright."):
            return self._method(value)
        return self._thread.wrap(value)

    def _method(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            args = tuple(_unwrap(arg) for arg in args)
            kwargs = {key: _unwrap(arg) for key, arg in kwargs.items()}
            return self._thread.wrap(self._thread.call(method, *args, **kwargs))

        return call

    def __enter__(self) -> Any:  # expect_navigation() and the like
        return self._thread.wrap(self._thread.call(self._target.__enter__))

    def __exit__(self, *exc_info: Any) -> Any:
        return self._thread.call(self._target.__exit__, *exc_info)

    def __repr__(self) -> str:
        try:
            return f"Remote({self._thread.call(repr, self._target)})"
        except RuntimeError:  # the thread has ended
            return f"Remote({type(self._target).__name__})"
