"""Configuration. Every setting can be overridden by an environment variable of the same name."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This machine's own files (the SQLite database, keys made on first use); INSTANCE_PATH moves it.
INSTANCE = Path(os.environ.get("INSTANCE_PATH") or ROOT / "instance")


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    APP_NAME = "Upright"
    APP_VERSION = "0.1.0"
    SECRET_KEY = _env("SECRET_KEY")  # when unset, create_app keeps one in instance/secret_key
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE / 'upright.sqlite3'}")
    # A connection the server dropped (a restart, a failover) is noticed and replaced before use.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Several machines (any database but SQLite) must share the secrets: see pwa/deployment.py.
    SECRET_KEY_FILE = _env("SECRET_KEY_FILE")
    VAPID_PRIVATE_KEY = _env("VAPID_PRIVATE_KEY")
    SMTP_PASSWORD_FILE = _env("SMTP_PASSWORD_FILE")

    # Sessions: HttpOnly and SameSite=Lax always; Secure whenever the request came over HTTPS
    # (see pwa.extensions.SessionInterface), or always when SESSION_COOKIE_SECURE=1.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 90
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30

    # A CSRF token lives as long as the session: an older patient may leave a form open a while.
    WTF_CSRF_TIME_LIMIT = None

    # Behind a reverse proxy that sets X-Forwarded-Proto, trust one hop.
    PROXY_FIX = _env_bool("PROXY_FIX", False)

    EMERGENCY_NUMBER = _env("EMERGENCY_NUMBER", "911")
    DEFAULT_TIMEZONE = _env("DEFAULT_TIMEZONE", "America/New_York")

    # Sign-in throttling: after this many failures in a row an address waits, doubling each time.
    LOGIN_FREE_ATTEMPTS = 5
    LOGIN_BASE_DELAY_SECONDS = 30
    LOGIN_MAX_DELAY_SECONDS = 15 * 60

    # Reminders
    SCHEDULER_ENABLED = _env_bool("SCHEDULER_ENABLED", False)  # `make run` turns it on
    SMTP_HOST = _env("SMTP_HOST", "localhost")
    SMTP_PORT = int(_env("SMTP_PORT", "25") or 25)
    SMTP_USER = _env("SMTP_USER")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", False)
    MAIL_SENDER = _env("MAIL_SENDER", "Upright <reminders@localhost>")
    VAPID_SUBJECT = _env("VAPID_SUBJECT", "mailto:reminders@localhost")
    PUBLIC_URL = _env("PUBLIC_URL", "http://127.0.0.1:5000")
    VAPID_PRIVATE_KEY_FILE = _env("VAPID_PRIVATE_KEY_FILE")  # default: instance/vapid_private.pem
    REMINDERS_INTERVAL_SECONDS = int(_env("REMINDERS_INTERVAL_SECONDS", "30") or 30)
    # Reminder engine (issues 13 and 18): messages in flight per scheduler process (also the most
    # a crash can send twice), how long a claim is held before another tick takes it over, and
    # how long the delivery log is kept (never less than the 14 days an action link works).
    REMINDERS_SEND_WORKERS = int(_env("REMINDERS_SEND_WORKERS", "8") or 8)
    REMINDERS_LEASE_SECONDS = int(_env("REMINDERS_LEASE_SECONDS", "120") or 120)
    REMINDERS_RETENTION_DAYS = int(_env("REMINDERS_RETENTION_DAYS", "30") or 30)

    # Accounts (issue 14). Health data: a session ends after 30 minutes without use and 12 hours
    # after sign-in at the latest. A device where "Keep me signed in" was ticked comes back with
    # its remember token, which is replaced at each use and lapses after 30 days unused.
    SESSION_IDLE_MINUTES = int(_env("SESSION_IDLE_MINUTES", "30") or 30)
    SESSION_ABSOLUTE_HOURS = int(_env("SESSION_ABSOLUTE_HOURS", "12") or 12)
    REMEMBER_DAYS = int(_env("REMEMBER_DAYS", "30") or 30)
    VERIFY_LINK_HOURS = 72  # an older patient may open the e-mail days later
    RESET_LINK_MINUTES = 60
    HSTS_SECONDS = 365 * 24 * 3600
    # Per-client limits, kept in the database: (most hits, in so many seconds) per key.
    CLIENT_LIMITS = {
        "login-ip": (50, 15 * 60),
        "register-ip": (10, 60 * 60),
        "register-email": (3, 60 * 60),
        "reset-ip": (10, 60 * 60),
        "reset-email": (3, 60 * 60),
        "verify-user": (5, 60 * 60),
    }
    # Push endpoints must be public https hosts; only tests with a loopback push service say so.
    PUSH_ALLOW_ANY_HOST = _env_bool("PUSH_ALLOW_ANY_HOST", False)

    # Issue 13: /healthz calls a SQLite database full below this much free disk space; request
    # bodies above MAX_CONTENT_LENGTH answer 413 (a check-in is a few kilobytes, and a sync
    # batch of 200 fits).
    STORAGE_MIN_FREE_BYTES = int(_env("STORAGE_MIN_FREE_BYTES", str(1024 * 1024)) or 0)
    MAX_CONTENT_LENGTH = 1024 * 1024


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    SCHEDULER_ENABLED = False
    LOGIN_BASE_DELAY_SECONDS = 30
    # Fast hashing keeps the suite quick; production uses argon2-cffi's RFC 9106 defaults.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
