"""Fixtures every test package may use. Fixtures of one app live in ``tests/<app>/``."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation

BASE_DIR = Path(__file__).resolve().parent.parent

# Run first in every subprocess: base settings read ``BASE_DIR/.env`` when it exists, and a
# developer's file must not leak into a test that controls the environment.
_IGNORE_DOTENV = (
    "import environ\nenviron.Env.read_env = staticmethod(lambda *args, **kwargs: None)\n"
)


def _selects_configuration(name: str) -> bool:
    return name.startswith(("DJANGO_", "CELERY_")) or name in {
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_URL",
    }


RunPython = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(autouse=True)
def _default_language():
    """A request through the test client leaves its language active in the thread (the locale
    middleware activates it and nothing deactivates it): start every test in the default one."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    """The local-memory cache outlives a test: clear it so no test sees another's entries."""
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_storage(settings):
    """Uploads (hand-over photos) go to an in-memory storage of the test's own: setting STORAGES
    makes Django build the default storage again, so no test sees another's files."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def run_python() -> RunPython:
    """Run Python code in a fresh interpreter at the project root.

    The child sees none of this process's configuration variables (``DJANGO_*``, ``CELERY_*``,
    ``DATABASE_URL``, ``REDIS_URL``, ``EMAIL_URL``), only those the test passes in ``env``: what a
    machine with exactly that environment would get.
    """

    def run(
        code: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        child_env = {k: v for k, v in os.environ.items() if not _selects_configuration(k)}
        child_env.update(env or {})
        return subprocess.run(  # noqa: S603 - our own interpreter, code written by the test
            [sys.executable, "-c", _IGNORE_DOTENV + code],
            cwd=BASE_DIR,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
