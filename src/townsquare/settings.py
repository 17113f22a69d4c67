"""One settings module, configured from the environment with safe laptop defaults.

See docs/operations.md for every variable.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("TOWNSQUARE_DATA_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one generated once and kept in the data dir."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Behind a reverse proxy that terminates TLS (docs/operations.md).
if env_bool("BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    # The client's address is taken from X-Forwarded-For, counting this many proxies from
    # the right: rate limits and visitor counts need the visitor's address, not the proxy's.
    ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", SECURE_SSL_REDIRECT)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "townsquare.core",
    "townsquare.accounts",
    "townsquare.groups",
    "townsquare.forum",
    "townsquare.search",
    "townsquare.mentoring",
    "townsquare.messaging",
    "townsquare.imports",
    "townsquare.notifications",
    "townsquare.onboarding",
    "townsquare.announcements",
    "townsquare.moderation",
    "townsquare.analytics",
    "townsquare.surveys",
    "townsquare.events",
    "townsquare.api",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "townsquare.api.auth.BearerTokenMiddleware",
    "townsquare.moderation.middleware.SuspensionMiddleware",
    "townsquare.core.middleware.MemberPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "townsquare.core.middleware.TrafficMiddleware",
    "townsquare.core.middleware.AccessModeMiddleware",
    "townsquare.core.middleware.GuidelinesGateMiddleware",
]

ROOT_URLCONF = "townsquare.urls"
WSGI_APPLICATION = "townsquare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "townsquare.core.context_processors.community",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'townsquare.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and one writer work at once; IMMEDIATE avoids "database is
        # locked" on transactions that read before they write.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions --------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Background jobs ----------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The queue jobs go to and workers read by default: sites sharing one Redis (or tests) can
# keep theirs apart.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("TOWNSQUARE_JOB_QUEUE", "celery")
# Longer than the longest retry delay (core.tasks), or Redis would hand a waiting retry to
# a second worker and the job would run twice.
# A job whose worker died unannounced (killed, machine lost) is handed out again only after
# this many seconds, so tests and small sites may lower it (TOWNSQUARE_JOB_VISIBILITY_TIMEOUT).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("TOWNSQUARE_JOB_VISIBILITY_TIMEOUT", 6 * 3600)),
}
# Retry delays of every job (core.jobs) are multiplied by this; tests make them short.
JOBS_BACKOFF_SCALE = float(os.environ.get("TOWNSQUARE_JOB_BACKOFF_SCALE", "1"))
# Without a broker, retries run back to back inside the request that queued the job, so
# waiting for a mail server 13 times would only make the page slower: stop after this many.
JOBS_EAGER_MAX_ATTEMPTS = 3
# How long core.jobs.once remembers that a job's outside effect happened.
JOBS_COMPLETED_KEEP_DAYS = 14

# Periodic jobs: celery beat runs them with a broker (`townsquare beat`); without one the
# web process runs the same schedule in a thread (core.scheduler).
CELERY_BEAT_SCHEDULE = {
    "publish-scheduled-topics": {
        "task": "townsquare.forum.tasks.publish_scheduled_topics",
        "schedule": 60.0,
    },
    "analyze-database": {"task": "townsquare.core.tasks.analyze_database", "schedule": 86400.0},
    "prune-completed-jobs": {
        "task": "townsquare.core.tasks.prune_completed_jobs",
        "schedule": 86400.0,
    },
    "delete-expired-data-exports": {
        "task": "townsquare.accounts.tasks.delete_expired_data_exports",
        "schedule": 86400.0,
    },
    "retire-newcomers": {"task": "townsquare.groups.tasks.retire_newcomers", "schedule": 86400.0},
    # Repeating events: occurrences materialised up to 90 days ahead.
    "extend-event-series": {"task": "townsquare.events.tasks.extend_series", "schedule": 86400.0},
    "onboarding": {"task": "townsquare.onboarding.tasks.send_due_steps", "schedule": 3600.0},
    "send-notification-mail": {
        "task": "townsquare.notifications.tasks.send_notification_mail",
        "schedule": 60.0,
    },
    # Digests go out at each member's local hour; every half hour finds who is due.
    "send-digests": {"task": "townsquare.notifications.tasks.send_digests", "schedule": 1800.0},
    # Reminders a day and an hour before an event; events past their end become finished.
    "event-reminders": {"task": "townsquare.events.tasks.send_event_reminders", "schedule": 300.0},
    "finish-events": {"task": "townsquare.events.tasks.finish_events", "schedule": 300.0},
    "promote-members": {"task": "townsquare.moderation.tasks.promote_members", "schedule": 86400.0},
    # Recomputes today, yesterday and any day that received late events.
    "rollup-analytics": {"task": "townsquare.analytics.tasks.rollup_recent", "schedule": 3600.0},
    # Scores new, edited and moved posts; drops deleted and hidden ones.
    "score-sentiment": {"task": "townsquare.analytics.tasks.score_sentiment", "schedule": 3600.0},
    # Mondays after the night's rollups have closed Sunday: last week's figures to managers.
    "analytics-weekly-report": {
        "task": "townsquare.analytics.tasks.send_weekly_report",
        "schedule": crontab(minute=30, hour=6, day_of_week="mon"),
    },
}

# The demo's generated history (analytics.history_demo): how many days back it goes.
DEMO_HISTORY_DAYS = int(os.environ.get("DEMO_HISTORY_DAYS", "365"))

# --- Email --------------------------------------------------------------------------------
_email = dj_email_url.parse(os.environ.get("EMAIL_URL", "console://"))
# Mail leaves through a background job (core.mail), which hands it to this backend.
EMAIL_DELIVERY_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_BACKEND = "townsquare.core.mail.QueuedEmailBackend"
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT") or 30
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Townsquare <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where members' answers to community mail go (empty: the sender address).
EMAIL_REPLY_TO = os.environ.get("EMAIL_REPLY_TO", "")
# Permanent refusals in a row after which an address counts as bouncing (core.mail).
EMAIL_BOUNCE_THRESHOLD = int(os.environ.get("EMAIL_BOUNCE_THRESHOLD", "3"))
# The address of the site, for links in mail written by background jobs.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
# Notification mail ("email at once", notifications.mailing): a notification waits this many
# seconds before it is mailed (read in the app by then: not mailed), and a member gets at
# most one notification mail per window; what comes in the meantime goes into the next one.
NOTIFICATION_EMAIL_DELAY = int(os.environ.get("NOTIFICATION_EMAIL_DELAY", "60"))
NOTIFICATION_EMAIL_WINDOW = int(os.environ.get("NOTIFICATION_EMAIL_WINDOW", "300"))

# --- Accounts -----------------------------------------------------------------------------
# Members' data exports (accounts.privacy): one request a day; a zip is kept this long.
DATA_EXPORT_INTERVAL = timedelta(days=1)
DATA_EXPORT_KEEP = timedelta(days=int(os.environ.get("DATA_EXPORT_KEEP_DAYS", "7")))
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "townsquare.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "townsquare.accounts.forms.SignupForm"}
# A field people never see and bots fill in (docs/moderation.md, "Sign-up defences").
ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD = "homepage"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
# Sign-up must say "this email is taken" (ADR 0003); the rate limits below keep that from
# becoming a cheap way to enumerate members.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/180s/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "Townsquare")

AVATAR_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_BYTES = 2 * 1024 * 1024
IMAGE_MAX_PIXELS = 4096 * 4096
# Forum attachments (forum.uploads): images are re-encoded, other files kept as sent.
FORUM_IMAGE_MAX_BYTES = int(os.environ.get("FORUM_IMAGE_MAX_BYTES", 5 * 1024 * 1024))
FORUM_FILE_MAX_BYTES = int(os.environ.get("FORUM_FILE_MAX_BYTES", 10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Members import (townsquare.imports): the largest CSV file and the most rows in one file.
MEMBERS_IMPORT_MAX_BYTES = int(os.environ.get("MEMBERS_IMPORT_MAX_BYTES", 5 * 1024 * 1024))
MEMBERS_IMPORT_MAX_ROWS = int(os.environ.get("MEMBERS_IMPORT_MAX_ROWS", 10_000))

# --- Events ------------------------------------------------------------------------------
# Members going to an online event see its video link from this many minutes before it.
EVENTS_VIDEO_LINK_MINUTES = int(os.environ.get("EVENTS_VIDEO_LINK_MINUTES", "15"))
EVENTS_PER_PAGE = 30

# --- Forum -------------------------------------------------------------------------------
# Limits members are told about in the composer and in error messages.
FORUM_TITLE_MIN_LENGTH = 5
FORUM_TITLE_MAX_LENGTH = 200
FORUM_POST_MIN_LENGTH = 2
FORUM_POST_MAX_LENGTH = int(os.environ.get("FORUM_POST_MAX_LENGTH", "32000"))
FORUM_TAGS_PER_TOPIC = 5
FORUM_TOPICS_PER_PAGE = 30
FORUM_POSTS_PER_PAGE = 20
# A second identical post by the same member in the same topic within this many seconds is
# taken as a double submission and answered with the first one.
FORUM_DUPLICATE_WINDOW_SECONDS = 120

# Screening new content (docs/moderation.md, "Spam score", "Blocked domains and duplicates").
# MODERATION_SPAM_CHECKS: dotted paths of callables (author, text, kind) -> SpamVerdict,
# comma-separated in the environment; their scores combine with the built-in one.
MODERATION_SPAM_CHECKS = [p for p in os.environ.get("MODERATION_SPAM_CHECKS", "").split(",") if p]
MODERATION_SPAM_HOLD = float(os.environ.get("MODERATION_SPAM_HOLD", "0.8"))
MODERATION_SPAM_FLAG = float(os.environ.get("MODERATION_SPAM_FLAG", "0.5"))
MODERATION_DUPLICATE_WINDOW_HOURS = int(os.environ.get("MODERATION_DUPLICATE_WINDOW_HOURS", "24"))
MODERATION_DUPLICATE_MIN_LENGTH = 40  # characters: "Thanks!" twice is not spam

# --- Search ------------------------------------------------------------------------------
# docs/search.md. Searches per minute: visitors per address, members per account.
SEARCH_RATE_LIMIT_VISITORS = int(os.environ.get("SEARCH_RATE_LIMIT_VISITORS", "30"))
SEARCH_RATE_LIMIT_MEMBERS = int(os.environ.get("SEARCH_RATE_LIMIT_MEMBERS", "120"))

# --- Direct messages ---------------------------------------------------------------------
# docs/messages.md. How many conversations new members (trust level 0) may start a day is
# a moderation setting (docs/moderation.md, "Trust levels").
MESSAGING_MAX_PARTICIPANTS = 10  # the starter included
MESSAGING_MESSAGE_MAX_LENGTH = int(os.environ.get("MESSAGING_MESSAGE_MAX_LENGTH", "10000"))
MESSAGING_MESSAGES_PER_PAGE = 50

# --- Moderation --------------------------------------------------------------------------
# docs/moderation.md, "Rate limits": at most N of an action per period (seconds) per member;
# staff are not limited. MODERATION_LIMITS_ENABLED=0 turns these and the daily limits of
# new members off (the test suite does; never in production).
MODERATION_LIMITS_ENABLED = os.environ.get("MODERATION_LIMITS_ENABLED", "1") != "0"
MODERATION_RATE_LIMITS: dict[str, tuple[int, int]] = {
    "post": (10, 60),
    "topic": (5, 60),
    "message": (20, 60),
    "flag": (10, 60),
    "reaction": (30, 60),
    "survey": (10, 60),
    "rsvp": (20, 60),
    "event_proposal": (3, 3600),
}
# Sign-up (docs/moderation.md, "Sign-up defences"): a form sent back sooner than this after
# it was shown is a bot's; a form older than the maximum must be shown again.
SIGNUP_MIN_SECONDS = int(os.environ.get("SIGNUP_MIN_SECONDS", "3"))
SIGNUP_MAX_AGE_SECONDS = int(os.environ.get("SIGNUP_MAX_AGE_SECONDS", str(24 * 3600)))

# --- Moderation --------------------------------------------------------------------------
# docs/moderation.md. Silences and timed suspensions last at most this many days (a
# suspension may also be for good); suspended members, who cannot sign in, are told to
# write to MODERATION_CONTACT_EMAIL to appeal (default: EMAIL_REPLY_TO, else the sender).
MODERATION_SANCTION_MAX_DAYS = int(os.environ.get("MODERATION_SANCTION_MAX_DAYS", "365"))
MODERATION_CONTACT_EMAIL = os.environ.get("MODERATION_CONTACT_EMAIL", "")

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese")), ("pl", _("Polish"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it, even when empty
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))

# --- Measurement -------------------------------------------------------------------------
# Page views are buffered in memory and written in bulk (core.traffic).
PAGEVIEW_TRACKING = env_bool("PAGEVIEW_TRACKING", True)
PAGEVIEW_BUFFER_SIZE = int(os.environ.get("PAGEVIEW_BUFFER_SIZE", "100"))
PAGEVIEW_BUFFER_SECONDS = float(os.environ.get("PAGEVIEW_BUFFER_SECONDS", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Without a broker every job runs in-process; a line per job would drown the log.
        "celery.app.trace": {"level": "INFO" if CELERY_BROKER_URL else "WARNING"},
    },
}

# Email uniqueness is enforced case-insensitively (accounts.User constraints), which the
# system check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
