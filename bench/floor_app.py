"""The floor `POST /api/v1/entries` is measured against (issue 18): a minimal Flask +
SQLAlchemy endpoint that inserts the same check-in row, and does nothing else it could skip.

What it does, per request, in one transaction:
- reads the same signed Flask session cookie (same secret) and checks the same CSRF token
  header (Flask-WTF's `validate_csrf`, as the real route does);
- finds the signed-in user by the server-side session id's digest: one SELECT of
  `device_sessions` joined to `users`, as the real user loader does;
- one SQLAlchemy Core INSERT of the same row into `checkins` (same columns, same values:
  client id, user, date, pain, locations, minutes walked, notes, created/updated at);
- answers 201 with `{"id": ...}`.

What it leaves out, and the real route does: validating the record (every rule of
`CheckInRecord`), idempotency by the client's UUID (a repeat answers 200 with what is stored),
reading the week before for the computed warning signs (the 7-day average and the runs of days)
and storing the raised signs, and answering the whole stored entry.

The engine has the app's own options (pre-ping) and the same SQLite pragmas. Served by
`bench/bench_api.py` as `gunicorn 'bench.floor_app:create_app()'`.

`create_app_in_upright()` serves the same view as one more route of the real app, at
`/api/v1/bench-floor`: every hook the real save passes through runs for it too (the session
cookie, Flask-WTF's and the request limits' checks, the API's no-store, the security headers,
the remember-cookie hooks), and it checks the sign-in and CSRF itself as the real save does.
What it measures is the ceiling of any route of this app: the floor's work plus the app's own
cost per request.
"""

from __future__ import annotations

import os
from datetime import date

from flask import Flask, Response, jsonify, request, session
from flask_wtf.csrf import validate_csrf
from sqlalchemy import bindparam, create_engine, event, select
from wtforms import ValidationError

from pwa.auth.devices import digest
from pwa.auth.web import SESSION_ID
from pwa.config import Config
from pwa.extensions import sqlite_pragmas
from pwa.models import CheckIn, DeviceSession, User, utcnow

SIGNED_IN = (
    select(User.id)
    .join(DeviceSession, DeviceSession.user_id == User.id)
    .where(DeviceSession.session_hash == bindparam("session_hash"))
)
CHECKINS = CheckIn.__table__


def create_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = os.environ["SECRET_KEY"]

    @app.get("/ready")
    def ready() -> str:
        return "ok"

    app.add_url_rule("/api/v1/entries", "save", floor_view(), methods=["POST"])
    return app


def create_app_in_upright() -> Flask:
    """The real app with the floor's view as the API route `/api/v1/bench-floor`."""
    import pwa
    from pwa.api import SIGNS_IN_ITSELF

    app = pwa.create_app()
    # An "api." endpoint: the API blueprint's hooks run for it, as for the real save, which
    # also checks the sign-in and CSRF itself.
    app.add_url_rule("/api/v1/bench-floor", "api.bench_floor", floor_view(), methods=["POST"])
    SIGNS_IN_ITSELF.add("api.bench_floor")
    return app


def floor_view():
    engine = create_engine(os.environ["DATABASE_URL"], **Config.SQLALCHEMY_ENGINE_OPTIONS)
    event.listen(engine, "connect", sqlite_pragmas)

    def save() -> tuple[Response, int]:
        session_id = session.get(SESSION_ID)
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError:
            return jsonify(error="csrf"), 400
        body = request.get_json()
        now = utcnow()
        with engine.begin() as connection:
            user_id = connection.scalar(SIGNED_IN, {"session_hash": digest(session_id or "")})
            if user_id is None:
                return jsonify(error="not_signed_in"), 401
            connection.execute(
                CHECKINS.insert(),
                {
                    "uuid": body["id"],
                    "user_id": user_id,
                    "date": date.fromisoformat(body["date"]),
                    "pain_avg": body["pain"],
                    "locations": body["locations"],
                    "minutes_walked": body["minutes_walked"],
                    "notes": body["notes"],
                    "created_at": now,
                    "updated_at": now,
                },
            )
        return jsonify(id=body["id"]), 201

    return save
