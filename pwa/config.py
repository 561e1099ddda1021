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
