"""Fixtures in the shape of the Flask tutorial: app, client, runner, auth, and builders.

The engine: SQLite by default (a file per test). With `--postgres` the run starts a throwaway
PostgreSQL server (tests/postgres.py); with `--database-url` or `DATABASE_URL` it uses that
server. Either way each test gets a fresh database of its own, dropped after the test. `make
test` runs the suite on SQLite, then the `database` tests again with `--postgres`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import date

import pytest
from flask import g

from pwa import create_app
from pwa.auth.services import create_user
from pwa.config import TestConfig
from pwa.extensions import db as _db
from pwa.models import CheckIn, Profile, User

from .postgres import Cluster, Databases

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


# --- The database engine under test (issue 18) ---------------------------------------------

# Tests that use one of these fixtures touch a database and are marked `database` for them.
DATABASE_FIXTURES = {"app", "csrf_app", "live_app"}


class _Engine:
    cluster: Cluster | None = None  # the throwaway server of --postgres
    databases: Databases | None = None  # None: SQLite
    made: dict[str, str] = {}  # this test's databases, by tmp_path
    test: pytest.Item | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("upright database engine")
    group.addoption(
        "--postgres",
        action="store_true",
        help="start a throwaway PostgreSQL server for the run; each test gets a database on it",
    )
    group.addoption(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="a PostgreSQL server to test on (default: $DATABASE_URL; the account needs "
        "CREATEDB); each test gets a fresh database on it, dropped afterwards",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "database: the test makes and uses a database")
    config.addinivalue_line("markers", "sqlite_only(reason): runs on SQLite only, says why")
    config.addinivalue_line("markers", "postgres_only(reason): runs on PostgreSQL only")
    if config.getoption("--postgres"):
        _Engine.cluster = Cluster().start()
        server = _Engine.cluster.url
    else:
        server = config.getoption("--database-url")
    if server:
        _Engine.databases = Databases(server, prefix=f"upright_test_{os.getpid()}")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _Engine.databases is not None:
        _Engine.databases.close()
    if _Engine.cluster is not None:
        _Engine.cluster.stop()


def pytest_report_header(config: pytest.Config) -> str:
    if _Engine.databases is None:
        return "database engine: SQLite"
    return f"database engine: PostgreSQL at {_Engine.databases.server_url!r}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = _Engine.databases is not None
    for item in items:
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker("database")
        for name, skip in (("sqlite_only", on_postgres), ("postgres_only", not on_postgres)):
            marker = item.get_closest_marker(name)
            if marker is not None and skip:
                item.add_marker(pytest.mark.skip(reason=marker.kwargs.get("reason", name)))


@pytest.fixture(autouse=True)
def _fresh_databases(request: pytest.FixtureRequest) -> Iterator[None]:
    """Knows the running test (for config_for) and drops the databases it made."""
    _Engine.test = request.node
    yield
    _Engine.test = None
    if _Engine.databases is not None:
        for url in _Engine.made.values():
            _Engine.databases.drop(url)
    _Engine.made.clear()


@pytest.fixture
def postgres_cluster() -> Cluster:
    """The run's own PostgreSQL server (to restart it, say); only with --postgres."""
    if _Engine.cluster is None:
        pytest.skip("needs the run's own PostgreSQL server: pytest --postgres")
    return _Engine.cluster


def database_url(tmp_path) -> str:
    """The test's own database: a SQLite file in tmp_path, or a fresh PostgreSQL database
    (the same one for the same tmp_path, as the file would be)."""
    test = _Engine.test
    if test is not None and test.get_closest_marker("database") is None:
        pytest.fail(
            f"{test.nodeid} makes a database: mark it `@pytest.mark.database` so that "
            "`make test` runs it on PostgreSQL too"
        )
    if _Engine.databases is None:
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    key = str(tmp_path)
    if key not in _Engine.made:
        _Engine.made[key] = _Engine.databases.create()
    return _Engine.made[key]


def config_for(tmp_path, **overrides) -> type[TestConfig]:
    """TestConfig with its own database (threads of a live server can share it) and its own
    VAPID key file, made on first use."""
    fields = {
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "VAPID_PRIVATE_KEY_FILE": str(tmp_path / "vapid_private.pem"),
        **overrides,
    }
    return type("PerTestConfig", (TestConfig,), fields)


def forget_user_between_requests(app) -> None:
    """Tests hold one app context open, which Flask reuses for every request in it; clear the
    signed-in user per request so one client's sign-in never leaks into another's request."""

    @app.before_request
    def _forget_user():
        g.pop("_login_user", None)


@pytest.fixture
def app(tmp_path):
    app = create_app(config_for(tmp_path))
    forget_user_between_requests(app)
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def csrf_app(tmp_path):
    """An app with CSRF protection on, as in production (the plain `app` has it off)."""
    app = create_app(config_for(tmp_path, WTF_CSRF_ENABLED=True))
    forget_user_between_requests(app)
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


def sign_in_with_csrf(client, email: str, password: str = PASSWORD) -> None:
    """Signs in through the real form, CSRF token included."""
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def make_patient(**overrides) -> User:
    """A saved patient with a recovery profile; any field can be overridden."""
    n = next(_counter)
    profile_fields = overrides.pop("profile", {})
    user = create_user(
        _db.session,
        email=overrides.pop("email", f"patient{n}@example.com"),
        password=overrides.pop("password", PASSWORD),
        name=overrides.pop("name", f"Patient {n}"),
        timezone=overrides.pop("timezone", "America/New_York"),
    )
    # An established patient has confirmed their address (issue 14); pass None for a new one.
    user.email_verified_at = overrides.pop("email_verified_at", user.created_at)
    for key, value in overrides.items():
        setattr(user, key, value)
    if profile_fields is not None:
        user.profile = Profile(
            **{"fracture_levels": "T12", "fracture_date": date(2026, 10, 1), **profile_fields}
        )
    _db.session.commit()
    return user


def make_checkin(patient: User, **overrides) -> CheckIn:
    fields = {"date": patient.today(), "pain_avg": 5, **overrides}
    checkin = CheckIn(user_id=patient.id, **fields)
    _db.session.add(checkin)
    _db.session.commit()
    return checkin


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def patient(app) -> User:
    return make_patient()


@pytest.fixture
def signed_in(client, auth, patient) -> User:
    """A patient who is signed in on `client`."""
    auth.login(patient.email)
    return patient


@pytest.fixture
def mail():
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it receives."""
    from .test_reminders_support import MailServer

    server = MailServer().start()
    yield server
    server.stop()


def app_sending_mail(tmp_path, mail, **overrides) -> Iterator:
    """An app whose e-mail goes to `mail`, inside its app context, with a fresh database: the
    body of the e-mail tests' `app` fixtures."""
    app = create_app(config_for(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=mail.port, **overrides))
    forget_user_between_requests(app)
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()
