"""Fixtures in the shape of the Flask tutorial: app, client, runner, auth, and builders."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from flask import g

from pwa import create_app
from pwa.auth.services import create_user
from pwa.config import TestConfig
from pwa.extensions import db as _db
from pwa.models import CheckIn, Profile, User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def config_for(tmp_path, **overrides) -> type[TestConfig]:
    """TestConfig with its own database file (threads of a live server can share a file)."""
    fields = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}", **overrides}
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
