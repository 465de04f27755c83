"""Production settings: PostgreSQL, Redis, HTTPS. Fails fast when a secret is missing."""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import CONTENT_SECURITY_POLICY, LOGGING, env, redis_cache, with_timeouts

DEBUG = False
# JSON lines for the log pipeline unless told otherwise (config/settings/base.py, LOGGING).
LOGGING["handlers"]["console"]["formatter"] = env("DJANGO_LOG_FORMAT", default="json")
# No default: a missing secret stops the process at start, not at the first signed cookie.
SECRET_KEY = env("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be at least 50 characters long in production."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A statement running longer than this is cancelled (a lock wait, a runaway query), 60 s by
# default; the release job's ``migrate`` may need DATABASE_STATEMENT_TIMEOUT=0 (docs/deploy.md).
with_timeouts(
    DATABASES["default"],
    statement_timeout=env.int("DATABASE_STATEMENT_TIMEOUT", default=60),
)

CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)

CACHES = {"default": redis_cache(env("REDIS_URL", default=CELERY_BROKER_URL))}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
CONTENT_SECURITY_POLICY = {
    **CONTENT_SECURITY_POLICY,
    "DIRECTIVES": {**CONTENT_SECURITY_POLICY["DIRECTIVES"], "upgrade-insecure-requests": True},
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Webhooks go to public HTTPS addresses only, whatever the environment says: a receiver on a
# private network would let an endpoint reach inside ours (SSRF).
WEBHOOK_ALLOW_PRIVATE_URLS = False
