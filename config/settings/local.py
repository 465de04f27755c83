"""Settings for a developer's machine and ``make run``: the embedded default."""

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="local-only-insecure-key-0c3f5e2b9a7d4c18b6e1f0a2d3c4b5a6",
)

# Webhooks to a receiver on this machine (http://127.0.0.1:...) for development and tests.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=True)

# Serve static files from the apps and static/ directly; no collectstatic needed.
WHITENOISE_AUTOREFRESH = True
