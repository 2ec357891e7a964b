"""Configuration classes; every value can come from the environment."""

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """The configuration cannot run; the message says what to set."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


REPRESENT_API_DEFAULT = "https://represent.opennorth.ca"


class BaseConfig:
    """Settings shared by every environment."""

    CRM_ENV = "development"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    # Earlier SECRET_KEYs (comma-separated), still accepted for sessions and sealed TOTP keys while
    # they roll over.
    SECRET_KEY_FALLBACKS = [key for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key]
    # Seals TOTP keys at rest (crm/auth/totp_secrets.py); without it they are sealed with a key from
    # SECRET_KEY.
    MFA_ENCRYPTION_KEY = os.environ.get("MFA_ENCRYPTION_KEY") or None
    SQLALCHEMY_DATABASE_URI: str | None = (
        normalise_database_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    )
    # Recycle instead of pre-pinging: a ping is a round trip on every checkout.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 1800}
    # SQLite: how long a write waits for another to finish before it fails (a 50,000-row import
    # holds the write lock
    # for 4–6 s while it is applied); such a failure is answered 503, try again (crm/lib/errors.py).
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "15000"))
    # SQLite: each connection's page cache, in KiB (SQLite's own default, 2,000, in the web app).
    # The worker keeps a connection per sending thread, so it asks for less: the 100k mailing's
    # peak 95 MB instead of 101 MB.
    SQLITE_CACHE_KIB = int(os.environ.get("SQLITE_CACHE_KIB", "2000"))
    WORKER_SQLITE_CACHE_KIB = int(os.environ.get("WORKER_SQLITE_CACHE_KIB", "500"))
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Proposal PDFs: stored outside static/ (drafts are not public); None means instance/proposal_files.
    PROPOSAL_FILES_DIR = os.environ.get("PROPOSAL_FILES_DIR") or None
    PROPOSAL_PDF_MAX_BYTES = 20 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    SESSION_COOKIE_NAME = "itpo_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    PERMANENT_SESSION_LIFETIME = 12 * 3600

    # counter:// (crm/lib/ratelimit.py): counts in-process, starts no thread; production uses Redis.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "counter://")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    JOIN_RATE_LIMIT = os.environ.get("JOIN_RATE_LIMIT", "5 per minute;30 per hour")
    RESET_RATE_LIMIT = os.environ.get("RESET_RATE_LIMIT", "5 per minute;20 per hour")
    LETTER_RATE_LIMIT = os.environ.get("LETTER_RATE_LIMIT", "10 per minute;60 per hour")
    # "Send this to a colleague" on the share page, per member: refused attempts count too.
    SHARE_RATE_LIMIT = os.environ.get("SHARE_RATE_LIMIT", "5 per hour;10 per day")
    # Per account (crm/auth/throttle.py): failures allowed before waits begin, the longest wait,
    # when the holder is
    # emailed, and how long without failures before the count starts again.
    LOGIN_THROTTLE_FREE_FAILURES = int(os.environ.get("LOGIN_THROTTLE_FREE_FAILURES", "5"))
    LOGIN_THROTTLE_MAX_DELAY_SECONDS = int(os.environ.get("LOGIN_THROTTLE_MAX_DELAY_SECONDS", "900"))
    LOGIN_THROTTLE_WARN_AFTER = int(os.environ.get("LOGIN_THROTTLE_WARN_AFTER", "10"))
    LOGIN_THROTTLE_FORGET_SECONDS = int(os.environ.get("LOGIN_THROTTLE_FORGET_SECONDS", str(24 * 3600)))

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    MAIL_FROM = os.environ.get("MAIL_FROM", "ITPO <no-reply@itpo.example>")
    MAIL_REDIRECT_TO = os.environ.get("MAIL_REDIRECT_TO") or None
    MAIL_WORKER_THREAD = _bool("MAIL_WORKER_THREAD", False)
    MAIL_WORKER_INTERVAL = float(os.environ.get("MAIL_WORKER_INTERVAL", "2"))
    SENDGRID_API_KEY = os.environ.get("SENDGRID_API_KEY")
    SENDGRID_HOST = os.environ.get("SENDGRID_HOST", "https://api.sendgrid.com")
    SENDGRID_WEBHOOK_PUBLIC_KEY = os.environ.get("SENDGRID_WEBHOOK_PUBLIC_KEY")
    SENDGRID_TIMEOUT_SECONDS = float(os.environ.get("SENDGRID_TIMEOUT_SECONDS", "10"))
    SENDGRID_WEBHOOK_MAX_AGE_SECONDS = int(os.environ.get("SENDGRID_WEBHOOK_MAX_AGE_SECONDS", "600"))
    # The outbox worker: leases, retries, what to do with a message whose fate is unknown.
    MAIL_WORKER_CONCURRENCY = int(os.environ.get("MAIL_WORKER_CONCURRENCY", "8"))
    MAIL_CLAIM_BATCH = int(os.environ.get("MAIL_CLAIM_BATCH", "100"))
    MAIL_BULK_SIZE = int(os.environ.get("MAIL_BULK_SIZE", "500"))  # SendGrid takes up to 1,000
    MAIL_LEASE_SECONDS = int(os.environ.get("MAIL_LEASE_SECONDS", "120"))
    MAIL_RETRY_BASE_SECONDS = float(os.environ.get("MAIL_RETRY_BASE_SECONDS", "5"))
    MAIL_RETRY_MAX_SECONDS = float(os.environ.get("MAIL_RETRY_MAX_SECONDS", "3600"))
    MAIL_RETRY_BUDGET_SECONDS = int(os.environ.get("MAIL_RETRY_BUDGET_SECONDS", str(24 * 3600)))
    MAIL_UNKNOWN_WAIT_SECONDS = int(os.environ.get("MAIL_UNKNOWN_WAIT_SECONDS", "900"))
    MAIL_UNKNOWN_ACTION = os.environ.get("MAIL_UNKNOWN_ACTION", "hold")  # "hold" for an admin, or "resend"
    MAIL_BOUNCE_THRESHOLD = int(os.environ.get("MAIL_BOUNCE_THRESHOLD", "3"))
    ORG_NAME = os.environ.get("ORG_NAME", "Internationally Trained Physicians of Ontario (ITPO)")
    ORG_MAILING_ADDRESS = os.environ.get("ORG_MAILING_ADDRESS", "ITPO, PO Box 00000, Toronto, ON  M5V 0A0, Canada")
    # The Represent API (crm/campaigns/represent.py) places a full postal code in its riding. Off
    # unless set here;
    # production turns it on by default (REPRESENT_API_URL= empty turns it off there).
    REPRESENT_API_URL = os.environ.get("REPRESENT_API_URL") or None
    DEV_MAILBOX = False
    LOOKUP_CACHE_SECONDS = int(os.environ.get("LOOKUP_CACHE_SECONDS", "60"))
    # Links in mail sent from the command line (digests, reminders), where no request gives a host.
    LETTER_RETENTION_DAYS = int(os.environ.get("LETTER_RETENTION_DAYS", "180"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    PROGRAM_FILES_DIR = os.environ.get("PROGRAM_FILES_DIR") or None  # None: instance/program_files
    PROGRAM_FILE_MAX_BYTES = int(os.environ.get("PROGRAM_FILE_MAX_BYTES", str(1_500_000)))
    # `crm backup` / `crm restore` on PostgreSQL: the folder of pg_dump, pg_restore and psql of the
    # server's major version (e.g. /usr/lib/postgresql/16/bin); None: from the PATH.
    PG_BIN_DIR = os.environ.get("PG_BIN_DIR") or None
    # The scheduled jobs (crm/lib/schedule.py) the workers run: "all", or names, comma-separated.
    SCHEDULED_JOBS = os.environ.get("SCHEDULED_JOBS", "all")
    FOLLOW_UP_DIGEST_HOUR = int(os.environ.get("FOLLOW_UP_DIGEST_HOUR", "7"))  # Toronto time, 0–23
    # /metrics: "Authorization: Bearer <METRICS_TOKEN>" or an admin's session; None: admins only.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None

    CONFIRM_TOKEN_MAX_AGE = 3 * 24 * 3600
    RESET_TOKEN_MAX_AGE = 3600
    CONSENT_WORDING_VERSION = "2026-11"


class DevelopmentConfig(BaseConfig):
    """`make run`: SQLite in the instance folder, file mail, worker thread, dev mailbox."""

    CRM_ENV = "development"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    MAIL_WORKER_THREAD = _bool("MAIL_WORKER_THREAD", True)
    DEV_MAILBOX = True


class TestingConfig(BaseConfig):
    """pytest: memory mail, no worker thread, relaxed cookies for the test client."""

    CRM_ENV = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_BACKEND = "memory"
    MAIL_WORKER_THREAD = False
    LOOKUP_CACHE_SECONDS = 0
    RATELIMIT_STORAGE_URI = "counter://"
    REPRESENT_API_URL = None  # no test reaches the network: a test that needs it points it at a local fake
    SCHEDULED_JOBS = "scheduled-mailings"  # tests of jobs ask for more; due mailings go out on every pass anyway


class ProductionConfig(BaseConfig):
    """PostgreSQL, SendGrid, Redis rate limits; refuses to start half-configured."""

    CRM_ENV = "production"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "sendgrid")
    REPRESENT_API_URL = os.environ.get("REPRESENT_API_URL", REPRESENT_API_DEFAULT) or None
    # Several gunicorn workers must share the counts: Redis, unless told otherwise.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(app, config) -> None:
    """Apply the config class chosen by CRM_ENV (or by name), then any overrides."""
    overrides: dict = {}
    name = os.environ.get("CRM_ENV", "development")
    if isinstance(config, str):
        name = config
    elif isinstance(config, dict):
        overrides = config
        name = overrides.get("CRM_ENV", name)
    if name not in CONFIGS:
        raise ConfigError(f"CRM_ENV={name!r} is not one of: {', '.join(CONFIGS)}.")
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides)
    if app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["MAIL_UNKNOWN_ACTION"] not in ("hold", "resend"):
        raise ConfigError("MAIL_UNKNOWN_ACTION must be 'hold' (an admin decides) or 'resend'.")
    _fill_defaults(app)


def _fill_defaults(app) -> None:
    """Production must be told its secrets; development makes its own in the instance folder."""
    instance = Path(app.instance_path)
    if app.config["CRM_ENV"] == "production":
        missing = [
            key
            for key, conf in (("SECRET_KEY", "SECRET_KEY"), ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"))
            if not app.config.get(conf)
        ]
        if missing:
            raise ConfigError(
                "CRM_ENV=production needs "
                + " and ".join(missing)
                + " set in the environment (SECRET_KEY: a long random string; "
                "DATABASE_URL: postgresql://user:password@host/dbname)."
            )
        return
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'crm.sqlite3'}"
    if not app.config.get("SECRET_KEY"):
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    app.config.setdefault("MAIL_FILE_DIR", str(instance / "mail"))
