"""Extensions, created unbound and attached to the app in create_app."""

import sqlite3
from typing import Any, cast

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

# Named constraints let Alembic's batch mode alter SQLite tables reliably.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class JsonCSRFProtect(CSRFProtect):
    """A JSON request carries its CSRF token in the X-CSRFToken header (the API, the outbox):
    it is read there, without first parsing a form body that a JSON request does not have."""

    def _get_csrf_token(self) -> str | None:
        if request.is_json:
            for header in current_app.config["WTF_CSRF_HEADERS"]:
                if token := request.headers.get(header):
                    return token
        return super()._get_csrf_token()


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = JsonCSRFProtect()
login_manager = LoginManager()


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the page itself came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))

    def get_cookie_name(self, app) -> str:
        """`__Host-session` when Secure (issue 14): no subdomain can set or shadow it."""
        name = super().get_cookie_name(app)
        return f"__Host-{name}" if self.get_cookie_secure(app) else name


def sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    """SQLite: WAL for concurrent readers, enforced foreign keys, waiting instead of failing on
    locks. Run on every new database connection; PostgreSQL's are left alone."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_sqlite_pragmas() -> None:
    """Listens for new connections of every engine (once, however many apps are made)."""
    if not event.contains(Engine, "connect", sqlite_pragmas):
        event.listen(Engine, "connect", sqlite_pragmas)


def db_session() -> Session:
    """The request's (or command's) database session, as the plain Session services take.

    `db.session` is a scoped_session: a thread-local proxy with every Session method, which
    type checkers cannot see through. Views and commands pass it to services through here.
    """
    return cast(Session, db.session)


# --- Issue 18 (write path): the dialect's INSERT --------------------------------------------


def dialect_insert(session: Session, model: Any) -> Any:
    """INSERT for this session's database, the one with `on_conflict_do_nothing` and
    `on_conflict_do_update` (SQLite 3.35+ and PostgreSQL run them atomically on the row)."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)
