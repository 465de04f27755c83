"""Settings shared by every environment.

Everything that differs between machines comes from the environment (django-environ). With no
variable set, the project runs on its embedded default: a SQLite file under ``var/``, Celery tasks
executed eagerly in the web process, e-mail printed to the console.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from django_guid.integrations import CeleryIntegration

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Apps -------------------------------------------------------------------------------------------
DJANGO_APPS = [
    "config.apps.ConsoleAdminConfig",  # django.contrib.admin with the console site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc assets, served by the project
    "csp",
    "health_check",  # the /health/ page template and the health_check command
    "import_export",  # the console's CSV and Excel exports and previewed CSV imports
    # Hashed API keys: merchants.ApiKey builds on its abstract model (its own table stays unused).
    "rest_framework_api_key",
    # Lockout after repeated failed logins, portal and console (AXES_* below).
    "axes",
    # A request id (X-Request-ID) on every log line of a request and of the tasks it queues.
    "django_guid",
    # Request, database and cache metrics for Prometheus (/metrics/, config/metrics.py).
    "django_prometheus",
]
LOCAL_APPS = [
    "config",
    "belts",
    "merchants",
    "programs",
    "logistics",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    # First: the request id is known to every log line that follows, and the request is timed
    # whole (with django_prometheus's "After" at the very end).
    "django_guid.middleware.guid_middleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: it sees the view (its body limit) and the exceptions no other layer handled.
    "config.api_errors.ApiErrorMiddleware",
    # Innermost, as django-axes asks: turns a login refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "merchants.context_processors.inbox",
            ],
        },
    },
]

# Database ---------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'belt_ops.sqlite3'}",
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)

# Timeouts, so that a database or a Redis that accepts connections and never answers cannot hang
# a request, a health probe or a command: each gives up and fails with a clear error instead.
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)  # seconds
DATABASE_STATEMENT_TIMEOUT = env.int("DATABASE_STATEMENT_TIMEOUT", default=0)  # seconds; 0: none
REDIS_SOCKET_TIMEOUT = env.int("REDIS_SOCKET_TIMEOUT", default=5)  # seconds, connect and reply
# `migrate` waits at most this long for a table's lock on PostgreSQL, then fails (config/apps.py).
MIGRATION_LOCK_TIMEOUT = env.int("MIGRATION_LOCK_TIMEOUT", default=10)  # seconds; 0: no limit


def with_timeouts(database: dict, *, statement_timeout: int) -> dict:
    """``database`` (a PostgreSQL one) with the connect timeout and, unless 0, the statement
    timeout in seconds; other engines unchanged."""
    if database["ENGINE"] == "django.db.backends.postgresql":
        options = database.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
        if statement_timeout:
            setting = f"-c statement_timeout={statement_timeout * 1000}"
            options["options"] = " ".join(filter(None, [options.get("options"), setting]))
    return database


def redis_cache(location: str) -> dict:
    """The cache on Redis at ``location``, with the socket timeouts."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": "belt-ops",
        "OPTIONS": {
            "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }


with_timeouts(DATABASES["default"], statement_timeout=DATABASE_STATEMENT_TIMEOUT)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, eager tasks, a shell) may share the embedded file: wait, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache ------------------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How long a rule set's simulation (every merchant evaluated) is reused by the console's pages
# and the API's: an edit of the criteria simulates afresh at once, new data after this long.
SIMULATION_CACHE_SECONDS = env.int("SIMULATION_CACHE_SECONDS", default=600)

# Auth -------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes first: it refuses a locked-out login before a password is checked. It needs the
# request, which every login form passes; API keys never go through authenticate().
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lockout after repeated failed logins (django-axes), on the portal's and the console's login
# alike (docs/deploy.md). Counted per username and address together: one address cannot lock
# everyone out, and a user is not locked out by someone guessing from elsewhere.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout page in the look of the login it refused (config/lockout.py), answered with 429.
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The console's pages for attempts and failures, with the unlock action, are config/admin.py's.
AXES_ENABLE_ADMIN = False
# Failed logins are kept (AccessFailureLog, at most 1,000 per username; `axes_reset_failure_logs`
# trims by age); successful ones are not: no page reads them, and the table would keep growing
# with every user's address.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_DISABLE_ACCESS_LOG = True
# The client's address: REMOTE_ADDR unless told otherwise. Behind a reverse proxy, name the
# header it sets and how many proxies stand in front (docs/deploy.md): a header the client
# could send itself must never be trusted.
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"]
)
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=None)
AXES_IPWARE_PROXY_TRUSTED_IPS = env.list("AXES_IPWARE_PROXY_TRUSTED_IPS", default=None)

# Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
CURRENCY = "CNY"

# Static files -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
# Hand-over photos are answered by the app after the reader's scope (logistics.photo_files); behind
# nginx set this to an `internal` location serving MEDIA_ROOT, and nginx sends the bytes.
MEDIA_X_ACCEL_REDIRECT = env("DJANGO_MEDIA_X_ACCEL_REDIRECT", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail -----------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Belt Ops <noreply@beltops.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10

# Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# No broker configured: run tasks in-process, so the embedded default needs nothing installed.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# Raise both with CELERY_VISIBILITY_TIMEOUT, which must stay above the hard limit.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int(
    "CELERY_TASK_SOFT_TIME_LIMIT", default=max(CELERY_TASK_TIME_LIMIT - 5 * 60, 60)
)
# Tasks are written to be safe to repeat: acknowledge after the work, requeue if the worker dies,
# and take one message at a time so a long task does not hold others hostage.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat log through LOGGING (below), in the web's format and clock, not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Must exceed the longest task (time limit): an unacknowledged message is redelivered after it.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="default")
# Deliveries and recomputes never share a queue (config/task_routes.py): a worker per group.
CELERY_NOTIFY_QUEUE = env("CELERY_NOTIFY_QUEUE", default="notify")
CELERY_RECOMPUTE_QUEUE = env("CELERY_RECOMPUTE_QUEUE", default="recompute")
CELERY_TASK_ROUTES = ("config.task_routes.route_task",)

# Prometheus (docs/operations.md): /metrics/ answers a scraper that sends
# "Authorization: Bearer <METRICS_TOKEN>", or a signed-in operator (programs.operate_platform).
# Without a token only operators may read it. Platform-wide counters (task runs and durations,
# deliveries) live in Redis (core/metrics.py), the broker's unless METRICS_REDIS_URL says.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_REDIS_URL = env("METRICS_REDIS_URL", default=CELERY_BROKER_URL)
METRICS_KEY = env("METRICS_KEY", default="belt-ops:metrics")
# /health/ says "degraded" (still 200) above this many late notifications, and when the last
# nightly recompute finished longer ago than this many hours (config/health.py).
HEALTH_OUTBOX_BACKLOG_MAX = env.int("HEALTH_OUTBOX_BACKLOG_MAX", default=1000)
HEALTH_RECOMPUTE_MAX_AGE_HOURS = env.int("HEALTH_RECOMPUTE_MAX_AGE_HOURS", default=26)
# The outbox: a delivery claimed longer ago than this is taken to be abandoned (worker died).
NOTIFICATION_CLAIM_TIMEOUT = env.int("NOTIFICATION_CLAIM_TIMEOUT", default=5 * 60)
# Pending notifications older than this are re-queued by the sweeper.
NOTIFICATION_SWEEP_AFTER = env.int("NOTIFICATION_SWEEP_AFTER", default=3 * 60)
# Outgoing webhooks (docs/api.md): the total time one delivery may take, in seconds; how many
# deliveries in a row may fail for good before the endpoint is switched off; and whether
# addresses on private networks (and plain http) are allowed: only for development and tests.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=10)
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)


# The API's bulk write of monthly metrics (POST /api/v1/metrics/bulk/): a longer body is refused
# with 413 before it is read. 5,000 rows of every figure take about 1 MiB.
METRICS_BULK_MAX_BYTES = env.int("METRICS_BULK_MAX_BYTES", default=4 * 1024 * 1024)
# Django refuses to read a body above this: at least the bulk's limit (Django's default 2.5 MiB).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(
    env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440), METRICS_BULK_MAX_BYTES
)
CELERY_IMPORTS = ["config.tasks"]
# Hand-over photos (logistics/photos.py): bytes and pixels of one photo, photos per hand-over.
LOGISTICS_PHOTO_MAX_BYTES = env.int("LOGISTICS_PHOTO_MAX_BYTES", default=8 * 1024 * 1024)
LOGISTICS_PHOTO_MAX_PIXELS = env.int("LOGISTICS_PHOTO_MAX_PIXELS", default=40_000_000)
LOGISTICS_PHOTO_MAX_COUNT = env.int("LOGISTICS_PHOTO_MAX_COUNT", default=6)
# The API's body limit for a hand-over with its photos (multipart), refused with 413 above it.
LOGISTICS_HANDOVER_MAX_BODY_BYTES = env.int(
    "LOGISTICS_HANDOVER_MAX_BODY_BYTES",
    default=LOGISTICS_PHOTO_MAX_BYTES * LOGISTICS_PHOTO_MAX_COUNT + 1024 * 1024,
)
# Periodic tasks, in CELERY_TIMEZONE (Asia/Shanghai). Exactly one beat process may run them.
CELERY_BEAT_SCHEDULE = {
    # Last year's belt figures and tiers, then every program's eligibility in chunk tasks.
    "nightly-recompute": {
        "task": "programs.tasks.nightly_recompute",
        "schedule": crontab(hour=2, minute=0),
    },
    # Re-queue notifications whose delivery task was lost.
    "notifications-sweep": {
        "task": "merchants.tasks.notifications_sweep",
        "schedule": timedelta(minutes=2),
    },
    "sessions-clear-expired": {
        "task": "config.tasks.sessions_clear_expired",
        "schedule": crontab(hour=3, minute=30),
    },
    # Drafts left when their cohort's application window closed expire within the hour.
    "enrollment-drafts-expire": {
        "task": "programs.tasks.enrollment_drafts_expire",
        "schedule": crontab(minute=10),
    },
    # Legs newly past their SLA: one breach record and one notification per leg.
    "sla-breaches-check": {
        "task": "logistics.tasks.sla_breaches_check",
        "schedule": timedelta(minutes=5),
    },
    # After the nightly recompute: propose graduation to the centers' managers.
    "enrollment-graduation-propose": {
        "task": "programs.tasks.enrollment_graduation_propose_due",
        "schedule": crontab(hour=4, minute=0),
    },
}

# Request ids (django-guid): an X-Request-ID the client or the proxy sends is kept when it is a
# UUID, else one is made; the response carries it back. The Celery integration hands it to the
# tasks a request queues (their log lines say it) and gives beat's tasks ids of their own.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "INTEGRATIONS": [CeleryIntegration(log_parent=True)],
    "UUID_LENGTH": 32,
}

# REST framework ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Api-Key first: a request without credentials is a 401 with WWW-Authenticate: Api-Key.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "merchants.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in and out only: every answer, errors included, is JSON in the one shape.
    "DEFAULT_PARSER_CLASSES": ["config.api_parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.ApiAutoSchema",
    # Per user, and so per key (a key acts through a user of its own), counted in the cache:
    # Redis in production, shared by every web process. 429 with Retry-After beyond. Every
    # endpoint needs credentials, refused before throttling: no anonymous rate to keep.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env("API_THROTTLE_RATE", default="1200/min")},
    # Every error in one shape: {"error": {code, message, field, details}}.
    "EXCEPTION_HANDLER": "config.api_exceptions.api_exception_handler",
}
# The largest request body an API view takes unless it says otherwise (``max_body_bytes``).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "Belt Ops API",
    "DESCRIPTION": "Industrial belts, merchants, support programs, eligibility and logistics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files: no CDN, CSP stays 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One named enum per choice set, whatever the field is called ("status" means several).
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventEnum": "merchants.choices.WebhookEvent",
        "EnrollmentStateEnum": "programs.choices.EnrollmentState",
        "EnrollmentStepEnum": "programs.api.serializers.ENROLLMENT_STEP_CHOICES",
        "BeltTierEnum": "belts.choices.BeltTier",
        "MerchantStatusEnum": "merchants.choices.MerchantStatus",
        "MerchantTypeEnum": "merchants.choices.MerchantType",
        "BrandStageEnum": "merchants.choices.BrandStage",
        "NotificationKindEnum": "merchants.choices.NotificationKind",
        "ShipmentStatusEnum": "logistics.choices.ShipmentStatus",
        "LegKindEnum": "logistics.choices.LegKind",
        "ProviderKindEnum": "logistics.choices.ProviderKind",
        "ConditionEnum": "logistics.choices.Condition",
        "IncidentKindEnum": "logistics.choices.IncidentKind",
        "IncidentStatusEnum": "logistics.choices.IncidentStatus",
        "AttributionStatusEnum": "logistics.choices.AttributionStatus",
        "ResolutionEnum": "logistics.choices.Resolution",
        "CostBearerEnum": "logistics.choices.CostBearer",
    },
}

# Content security policy (django-csp 4): every asset is served by the project itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Console imports (django-import-export): one transaction per import, so a confirmed import that
# meets an invalid row writes nothing; the preview (a dry run) is rolled back in the same way.
IMPORT_EXPORT_USE_TRANSACTIONS = True

# Security headers that hold everywhere (production adds HTTPS-only ones).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Logging ----------------------------------------------------------------------------------------
# One line per record on standard error, in UTC, with the request id (``-`` outside a request):
# "plain" for people, "json" (DJANGO_LOG_FORMAT=json, production's default) for a log pipeline.
# A task queued by a request logs the request's id; a task started by beat gets its own.
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "config.log_filters.UtcFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {
            "()": "config.log_filters.JsonFormatter",
            "fmt": ["levelname", "name", "message", "request_id", "task_id", "process"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "filters": {
        "one_line_failure": {"()": "config.log_filters.OneLineFailure"},
        "request_id": {"()": "config.log_filters.RequestId"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # A failing health check is one line with its cause, not a traceback per probe.
    "loggers": {
        "health_check": {"filters": ["one_line_failure"]},
        "config.health": {"filters": ["one_line_failure"]},
        # django-guid says at DEBUG/INFO that it set or generated an id: once per request.
        "django_guid": {"level": "WARNING"},
    },
}
