"""The settings ``python -m bench api`` serves with: the embedded default's, plus the bare view
the API's lists are measured against (``bench/urls.py``). Not for any real deployment."""

from config.settings.local import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
