"""Settings from the environment, with embedded defaults.

With nothing set, the project runs on one machine with Python alone: SQLite, an
in-memory channel layer and the in-process scheduler (`manage.py monitor`). Setting
`DATABASE_URL` and `REDIS_URL` switches to PostgreSQL, channels-redis and Celery.
"""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("UNMS_DATA_DIR", default=str(BASE_DIR / "data")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The embedded default key is only good for a laptop demo; production sets its own
# (docs/deployment in README). `check --deploy` flags the default.
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="django-insecure-unms-embedded-demo-key-change-me-in-production"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "monitoring",
    "alarms",
    "accounts",
    "licensing",
    "api",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: changes made by a request are its user's (audit log).
    "accounts.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.headers.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "unms.urls"
ASGI_APPLICATION = "unms.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "licensing.context_processors.licence",
            ],
        },
    },
]

if "DATABASE_URL" not in env:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{(DATA_DIR / 'unms.sqlite3').as_posix()}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The monitor loop, the trap receiver and the web server write at once: wait for the
    # lock rather than failing, and let readers go on during writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # A deferred transaction that reads then writes cannot wait for the lock (SQLite
            # answers "database is locked" at once); IMMEDIATE takes the write lock up front.
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: only used when REDIS_URL is set; the embedded mode runs `manage.py monitor`.
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker (embedded mode) anything sent with .delay() runs at once, in-process.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling/lockout for the console's and the admin's login (accounts.throttle).
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "fleet"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = env.str("UNMS_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed file names need a prior collectstatic (the container image runs it at
# build and sets UNMS_STATIC_MANIFEST=1); the demo and tests serve straight from the
# finders through whitenoise instead.
STATIC_MANIFEST = env.bool("UNMS_STATIC_MANIFEST", default=False)
# Only collectstatic and the manifest storage need it; without it whitenoise would warn
# at every start that the folder does not exist.
STATIC_ROOT = (
    Path(env.str("UNMS_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
    if STATIC_MANIFEST
    else None
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded site maps (floor plans): outside the code, served by a login-protected view
# with the type found by content (monitoring/sitemaps.py), never straight from disk.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("UNMS_MEDIA_ROOT", default=str(DATA_DIR / "media")))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security (docs/security.md) --------------------------------------------------------
# Behind a TLS-terminating proxy (production): cookies only over HTTPS, HTTP redirected,
# HSTS. The proxy must set X-Forwarded-Proto; nothing else may reach port 8000.
BEHIND_TLS = env.bool("UNMS_BEHIND_TLS", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS else None
SECURE_SSL_REDIRECT = BEHIND_TLS
SESSION_COOKIE_SECURE = BEHIND_TLS
CSRF_COOKIE_SECURE = BEHIND_TLS
SECURE_HSTS_SECONDS = env.int("UNMS_HSTS_SECONDS", default=31_536_000 if BEHIND_TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("UNMS_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = False
# A console left open in a control room stays logged in for a shift, not for weeks.
SESSION_COOKIE_AGE = env.int("UNMS_SESSION_HOURS", default=12) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (accounts.headers): our own scripts and styles only, no inline
# script, no framing. connect-src also allows this host's ws:/wss: for live updates.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Secrets in the database (SNMP communities, webhook secrets) are encrypted with these
# Fernet keys (monitoring.fields): the first encrypts, all decrypt (rotation).
SECRET_ENCRYPTION_KEYS = env.list("UNMS_SECRET_KEY_ENCRYPTION", default=[])
SILENCED_SYSTEM_CHECKS = [
    # HSTS for subdomains and preloading are each site's decision (other hosts under the
    # same domain may not have TLS): UNMS_HSTS_INCLUDE_SUBDOMAINS turns the first on.
    "security.W005",
    "security.W021",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("UNMS_LOG_LEVEL", default="INFO")},
    "loggers": {
        "pysnmp": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- UPS monitoring -------------------------------------------------------------------
UNMS = {
    # How many UPSs one poll engine has in flight at once (snmp-performance.md: keep it
    # at or under 100 per engine socket unless the receive buffer is raised).
    "POLL_CONCURRENCY": env.int("UNMS_POLL_CONCURRENCY", default=100),
    # How many due UPSs one worker claims per batch.
    "POLL_BATCH_SIZE": env.int("UNMS_POLL_BATCH_SIZE", default=200),
    "SNMP_TIMEOUT_S": env.float("UNMS_SNMP_TIMEOUT_S", default=2.0),
    "SNMP_RETRIES": env.int("UNMS_SNMP_RETRIES", default=1),
    # Consecutive failed polls before a UPS is "communication lost".
    "COMM_LOST_AFTER": env.int("UNMS_COMM_LOST_AFTER", default=3),
    # Steps run after each recorded poll, in this order (dotted paths to callables
    # taking a `monitoring.recorder.PollOutcome`). `monitoring` never imports `alarms`:
    # the alarm lifecycle and the live push join the pipeline here.
    "AFTER_POLL": env.list(
        "UNMS_AFTER_POLL",
        default=["alarms.lifecycle.apply_poll", "monitoring.live.push_poll_outcome"],
    ),
    # Trap receiver (`manage.py trapd`, docs/traps.md). Production binds 0.0.0.0:162.
    "TRAP_BIND": env.str("UNMS_TRAP_BIND", default="127.0.0.1:1162"),
    # Requested SO_RCVBUF; the kernel caps it at net.core.rmem_max (trapd logs the result).
    "TRAP_RCVBUF": env.int("UNMS_TRAP_RCVBUF", default=64 * 1024 * 1024),
    # A batch is written when it has this many traps or is this old, whichever first.
    "TRAP_BATCH_SIZE": env.int("UNMS_TRAP_BATCH_SIZE", default=500),
    "TRAP_BATCH_MS": env.int("UNMS_TRAP_BATCH_MS", default=100),
    # Received datagrams held in memory while the database is slow or down.
    "TRAP_QUEUE_MAX": env.int("UNMS_TRAP_QUEUE_MAX", default=1_000_000),
    # Stored traps older than this are deleted hourly (monitoring.tasks.purge_old_traps;
    # 0 keeps them forever). Alarms and their events are not affected.
    "TRAP_RETENTION_DAYS": env.int("UNMS_TRAP_RETENTION_DAYS", default=90),
    # Steps run after each stored batch of traps, in this order (dotted paths to callables
    # taking a `list[monitoring.traps.events.TrapEvent]`; accepted traps only).
    "AFTER_TRAPS": env.list("UNMS_AFTER_TRAPS", default=["alarms.lifecycle.apply_trap_events"]),
    # Alarm lifecycle (docs/alarms.md); tuned per deployment in a settings override.
    "ALARMS": {
        # A condition that clears and returns within this window stays one episode.
        "FLAP_WINDOW_S": 60,
        # This many clear/re-raise transitions within the window tag it "chattering".
        "CHATTER_TRANSITIONS": 3,
        "CHATTER_WINDOW_S": 60,
        # A poll taken less than this after the last raising trap cannot clear its alarm.
        "TRAP_CONFIRM_GRACE_S": 0,
        # How long a self-test started from this console suppresses on-battery alarms
        # at most, when the UPS never reports the test's end.
        "SELF_TEST_WINDOW_S": 900,
        # Kinds held active after their condition goes, until acknowledged (ISA latched).
        "LATCHED_KINDS": ["DiagnosticTestFailed", "UpsOutputOff", "UpsSystemOff"],
        # Expected during a battery self-test: recorded as test events, not raised.
        "TEST_SUPPRESSED_KINDS": ["OnBattery", "LowRuntime", "LowCharge"],
        # Counts on the history page stop here ("more than 10 000"): COUNT(*) over
        # millions of rows is the slow part of a paginated search.
        "COUNT_CAP": 10_000,
        "PAGE_SIZE": 50,
    },
    # Trend charts, rollups and retention (docs/trends.md).
    "TRENDS": {
        # Raw polls (one row per UPS per poll) older than this are deleted hourly.
        "RAW_RETENTION_DAYS": env.int("UNMS_RAW_RETENTION_DAYS", default=30),
        # 5-minute rollups: a year keeps "same week last year" at 5-minute detail.
        "ROLLUP_5M_RETENTION_DAYS": env.int("UNMS_ROLLUP_5M_RETENTION_DAYS", default=366),
        # 1-hour rollups: battery ageing and seasonal temperature over a battery's life.
        "ROLLUP_1H_RETENTION_DAYS": env.int("UNMS_ROLLUP_1H_RETENTION_DAYS", default=5 * 366),
        # Points per series a chart or API answer carries at most.
        "MAX_POINTS": 2000,
        # Polls arrive a little after their timestamp: buckets this recent are recomputed.
        "ROLLUP_GRACE_S": 120,
    },
    # JSON API and /metrics (docs/api.md).
    "API": {
        # Networks (CIDR) that may scrape /metrics without a token; empty: token only.
        "METRICS_ALLOW": env.list("UNMS_METRICS_ALLOW", default=[]),
        # last_used_at of a token is written at most this often (not on every request).
        "TOKEN_TOUCH_S": 60,
    },
}

# Operator console (docs/console.md).
UNMS["CONSOLE"] = {
    # More alarms than this raised within the window: the FLOOD banner (EEMUA 191).
    "FLOOD_THRESHOLD": env.int("UNMS_FLOOD_THRESHOLD", default=10),
    "FLOOD_WINDOW_S": env.int("UNMS_FLOOD_WINDOW_S", default=600),
    "SITE_IMAGE_MAX_BYTES": env.int("UNMS_SITE_IMAGE_MAX_BYTES", default=5 * 1024 * 1024),
    # What a console's snapshot holds besides the tiles: (user, ups_id) -> dict, by other
    # apps, so that monitoring never imports them (like AFTER_POLL).
    "SNAPSHOT": ["alarms.live.snapshot"],
}

# Polling: beat fires `poll_due` under Celery; the embedded `monitor` loop claims and
# polls natively (one asyncio engine, concurrent batches) instead.
POLL_DUE_EVERY_S = env.float("UNMS_POLL_DUE_EVERY_S", default=2.0)

# --- Notifications (docs/notifications.md) ----------------------------------------------
# E-mail through Django's SMTP backend; without EMAIL_HOST (the embedded demo) mail is
# printed to the console instead.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="unms@localhost")
NOTIFY = {
    # Links in messages: the console as the recipients reach it.
    "BASE_URL": env.str("UNMS_BASE_URL", default="http://127.0.0.1:8000"),
    # Storm control: a digestible message waits this long for companions (per
    # recipient and channel); recipients may override it.
    "DIGEST_WINDOW_S": env.int("UNMS_NOTIFY_DIGEST_WINDOW_S", default=60),
    # A claimed notification not finished within the lease is claimed again (a worker
    # died mid-send); must exceed the longest transport timeout.
    "LEASE_S": env.int("UNMS_NOTIFY_LEASE_S", default=300),
    # Retries (the outbox's, not Celery's): base x 2^(attempt-1), capped; then failed.
    "RETRY_BASE_S": env.int("UNMS_NOTIFY_RETRY_BASE_S", default=30),
    "RETRY_MAX_S": env.int("UNMS_NOTIFY_RETRY_MAX_S", default=3600),
    "MAX_ATTEMPTS": env.int("UNMS_NOTIFY_MAX_ATTEMPTS", default=10),
    "BATCH_SIZE": env.int("UNMS_NOTIFY_BATCH_SIZE", default=500),
    # Custom programs must live under one of these directories (empty: anywhere).
    "PROGRAM_DIRS": env.list("UNMS_NOTIFY_PROGRAM_DIRS", default=[]),
}

# Other periodic work as a table: (name, task, every N seconds). Beat runs it under
# Celery; the embedded loop calls the same tasks in-process.
PERIODIC_TASKS: list[tuple[str, str, float]] = [
    # Licence expiry warnings to the administrators (once per threshold; licensing.tasks).
    ("licence-expiry-notice", "licensing.tasks.notify_expiry", 3600.0),
    # Alarm events -> outbox rows (also the timers: delays, repeats, escalation).
    ("notify-plan", "notifications.tasks.plan_notifications", 2.0),
    # Outbox sweep: retries, expired leases, digests whose window closed.
    ("notify-deliver", "notifications.tasks.deliver_due", 5.0),
    # Trend rollups: incremental, so a short period keeps the current bucket fresh.
    ("rollup-measurements", "monitoring.tasks.rollup_measurements", 60.0),
    ("purge-old-measurements", "monitoring.tasks.purge_old_measurements", 3600.0),
    # Trap log retention (UNMS["TRAP_RETENTION_DAYS"]).
    ("purge-old-traps", "monitoring.tasks.purge_old_traps", 3600.0),
]

CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": every, "options": {"expires": every * 2}}
    for name, task, every in [
        ("poll-due-ups", "monitoring.tasks.poll_due", POLL_DUE_EVERY_S),
        *PERIODIC_TASKS,
    ]
}
