"""The settings ``python -m bench api`` serves with: the embedded default's, plus the bare view
the API's lists are measured against (``bench/urls.py``), with production's database
connections and cache. Not for any real deployment."""

from config.settings.local import *  # noqa: F403
from config.settings.local import DATABASES, env

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# As production runs (config/settings/production.py): a worker keeps its database connection
# between requests, and the throttle's counters live in Redis, shared by the workers.
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("BENCH_REDIS_URL", default="redis://127.0.0.1:6379/9"),
        "KEY_PREFIX": "belt-ops-bench",
    }
}
