"""Issue 18: the number of SQL statements one `POST /api/v1/entries` makes, pinned on both
engines so the round trips cannot creep back.

A new check-in: the signed-in device with its user, their recovery facts and the week before
the entry's day for the computed signs (one query: the 7-day average and the runs of days),
then the insert. A repeat of the same id: the same two, the insert doing nothing, then the
stored entry with its signs. The app runs as in production (CSRF on, a real sign-in) and the
requests run outside any held app context, so nothing is cached between them that a
production worker would not have.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select, update

from pwa import create_app
from pwa.auth.devices import RecoveryFacts, SessionPolicy, start_device
from pwa.checkin.services import Diary, save_checkin, signed_in_with_week
from pwa.extensions import db, db_session
from pwa.models import CheckIn, DeviceSession, utcnow

from .conftest import PASSWORD, config_for, make_patient

pytestmark = pytest.mark.database


@dataclass
class Phone:
    """A signed-in browser of a production-like app (CSRF on) and its patient's facts."""

    app: Flask
    client: FlaskClient
    csrf: str
    email: str
    today: date
    engine: Engine

    def post(self, body: dict):
        return self.client.post("/api/v1/entries", json=body, headers={"X-CSRFToken": self.csrf})


def phone(tmp_path, days_since_fracture: int = 200, *, remember: bool = False) -> Phone:
    """A patient who checked in on each of the 7 days before today (pain 3), their fracture
    `days_since_fracture` days ago, signed in through the sign-in page."""
    app = create_app(config_for(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        fracture = date.today() - timedelta(days=days_since_fracture)
        patient = make_patient(profile={"fracture_date": fracture})
        week = [
            CheckIn(user_id=patient.id, date=patient.today() - timedelta(days=n), pain_avg=3)
            for n in range(1, 8)
        ]
        db.session.add_all(week)
        db.session.commit()
        email, today, engine = patient.email, patient.today(), db.engine
        db.session.remove()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[0]
    form = {"email": email, "password": PASSWORD, "csrf_token": token}
    if remember:
        form["remember"] = "y"
    client.post("/login", data=form)
    csrf = client.get("/api/v1/csrf").get_json()["csrf_token"]
    return Phone(app, client, csrf, email, today, engine)


@pytest.fixture
def api(tmp_path, request):
    """A signed-in phone's save and a statement log. The fracture was 200 days ago unless the
    test asks for another number of days (6 to 12 weeks after it, a save also reads the
    patient's pain baseline)."""
    signed_in = phone(tmp_path, getattr(request, "param", 200))
    statements: list[str] = []

    def log(_connection, _cursor, statement, _parameters, _context, _many) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(signed_in.engine, "before_cursor_execute", log)

    def post(body: dict):
        statements.clear()
        return signed_in.post(body)

    yield post, statements, signed_in.today
    event.remove(signed_in.engine, "before_cursor_execute", log)
    signed_in.engine.dispose()


def body(today, **overrides) -> dict:
    answers = {"pain": 4, "locations": ["middle_back"], "minutes_walked": 20, "notes": "a walk"}
    return {"id": str(uuid.uuid4()), "date": today.isoformat(), **answers, **overrides}


def test_a_new_check_in_is_two_statements(api):
    post, statements, today = api
    post(body(today))  # the first request of a worker may read more (the device's touch)
    response = post(body(today))
    assert response.status_code == 201
    assert statements == ["SELECT", "INSERT"]


@pytest.mark.parametrize("api", [60], indirect=True)
def test_six_to_twelve_weeks_after_the_fracture_a_save_also_reads_the_baseline(api):
    """The pain-not-improving rule compares the week with the patient's start (CLINICAL.md
    section 5): one more query, only in those weeks; the profile comes with the user."""
    post, statements, today = api
    post(body(today))
    response = post(body(today))
    assert response.status_code == 201
    assert statements == ["SELECT", "SELECT", "INSERT"]


def test_a_repeat_is_three_statements_and_answers_what_is_stored(api):
    post, statements, today = api
    post(body(today))
    entry = body(today, warning_signs=["fever"])
    first = post(entry)
    again = post({**entry, "pain": 5, "notes": "changed"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert statements == ["SELECT", "INSERT", "SELECT"]
    assert again.json == first.json
    assert again.json["warnings_raised"] == [{"sign": "fever", "tier": "urgent", "computed": False}]


def test_a_computed_sign_reads_the_week_in_the_same_query(api):
    """The pain jump (3 points over the 7-day average of 3) needs no query of its own for the
    average. Raised, it costs what a raised sign must: whether the patient acted on it in the
    last 72 hours (one SELECT), its warning event, and the caregivers to tell (one SELECT)."""
    post, statements, today = api
    post(body(today))
    response = post(body(today, pain=7))
    assert response.status_code == 201
    assert response.json["warnings_raised"] == [
        {"sign": "pain_jump", "tier": "urgent", "computed": True}
    ]
    assert statements == ["SELECT", "SELECT", "INSERT", "INSERT", "SELECT"]


def test_a_repeat_keeps_what_the_same_transaction_saved_before_it(app):
    """The unique key decides without failing the transaction, so a batch's earlier records
    stay when a later one is a repeat (the sync endpoint saves many in one)."""
    patient = make_patient()
    day, now = patient.today(), utcnow()
    repeat = str(uuid.uuid4())
    session = db_session()
    save_checkin(session, patient, {"date": day, "pain_avg": 2}, [], now=now, uuid=repeat)
    session.commit()
    first, created = save_checkin(session, patient, {"date": day, "pain_avg": 5}, [], now=now)
    stored, again = save_checkin(
        session, patient, {"date": day, "pain_avg": 8}, [], now=now, uuid=repeat
    )
    db.session.commit()
    assert (created, again) == (True, False)
    assert stored.pain_avg == 2
    count = select(func.count()).select_from(CheckIn).where(CheckIn.user_id == patient.id)
    assert db.session.scalar(count) == 2
    assert db.session.get(CheckIn, first.id) is not None


# The hot write's own paths: its answer, a remembered browser, a body without a good date, and
# the week read with the sign-in. ------------------------------------------------------------


def test_the_answer_to_a_save_is_the_entry_as_stored(tmp_path):
    """The answer is made from the row as inserted, not read back: it is exactly what a later
    read of the same entry answers, signs (ticked and computed) included."""
    signed_in = phone(tmp_path)
    entry = body(
        signed_in.today,
        pain=7,  # 4 over the 7-day average of 3: a pain jump
        fell=True,
        fall_injured=True,
        walking_aid="walker",
        opioid_doses=2,
        bowel_movement=False,
        warning_signs=["fever", "fever", "calf"],
        notes="  a walk with my daughter  ",
    )
    saved = signed_in.post(entry)
    assert saved.status_code == 201
    stored = signed_in.client.get(f"/api/v1/entries/{entry['id']}")
    assert saved.json == stored.json
    assert {(w["sign"], w["computed"]) for w in saved.json["warnings_raised"]} == {
        ("fever", False),
        ("calf", False),
        ("pain_jump", True),
        ("fall_injured", True),
    }
    assert saved.json["warning_signs"] == ["fever", "calf"]
    signed_in.engine.dispose()


def test_a_remembered_browser_saves_after_its_session_lapsed(tmp_path):
    """Past the idle limit the one query finds no live session; the remember cookie brings
    the browser back (new ids, through Flask-Login) and the save goes through."""
    signed_in = phone(tmp_path, remember=True)
    with signed_in.app.app_context():
        idle = timedelta(minutes=signed_in.app.config["SESSION_IDLE_MINUTES"], seconds=1)
        db.session.execute(update(DeviceSession).values(last_seen_at=utcnow() - idle))
        db.session.commit()
    entry = body(signed_in.today)
    response = signed_in.post(entry)
    assert response.status_code == 201, response.json
    with signed_in.app.app_context():
        assert db.session.scalar(select(CheckIn.pain_avg).where(CheckIn.uuid == entry["id"])) == 4
    assert signed_in.post(body(signed_in.today)).status_code == 201  # the new session lives
    signed_in.engine.dispose()


def test_a_lapsed_session_without_a_remember_cookie_is_signed_out(tmp_path):
    signed_in = phone(tmp_path)
    with signed_in.app.app_context():
        idle = timedelta(minutes=signed_in.app.config["SESSION_IDLE_MINUTES"], seconds=1)
        db.session.execute(update(DeviceSession).values(last_seen_at=utcnow() - idle))
        db.session.commit()
    response = signed_in.post(body(signed_in.today))
    assert response.status_code == 401 and response.json["error"] == "not_signed_in"
    signed_in.engine.dispose()


def test_a_save_notes_the_devices_last_use_once_a_minute(tmp_path):
    signed_in = phone(tmp_path)
    earlier = utcnow() - timedelta(minutes=5)
    with signed_in.app.app_context():
        db.session.execute(update(DeviceSession).values(last_seen_at=earlier))
        db.session.commit()
    assert signed_in.post(body(signed_in.today)).status_code == 201
    with signed_in.app.app_context():
        assert db.session.scalar(select(DeviceSession.last_seen_at)) > earlier
    signed_in.engine.dispose()


@pytest.mark.parametrize(
    ("date_sent", "message"),
    [
        (None, "Please enter the date of this check-in."),
        ("0001-01-01", "between"),
        ("2026-02-30", "date"),
        (20261129, "text"),
        ("tomorrow", "date"),
    ],
)
def test_a_body_without_a_good_date_is_refused_next_to_the_date(tmp_path, date_sent, message):
    """The week is read for the date as sent; a date that is missing, impossible or out of
    range reads nothing useful and the record's own message answers (422, never a 500)."""
    signed_in = phone(tmp_path)
    entry = {**body(signed_in.today), "date": date_sent}
    response = signed_in.post(entry)
    assert response.status_code == 422
    assert message.lower() in " ".join(response.json["fields"]["date"]).lower()
    signed_in.engine.dispose()


def test_the_week_read_with_the_sign_in_is_the_diary(app):
    """`signed_in_with_week` gives the same diary as `Diary.read` (the latest check-in of a day
    counts), with the patient's recovery facts, and nobody for an unknown session id."""
    patient = make_patient(profile={"fracture_date": date(2026, 9, 1), "blood_thinner": True})
    day = patient.today()
    session = db_session()
    now = utcnow()
    for n, pain in ((1, 6), (1, 2), (2, 5), (8, 9)):  # two on the day before: the later counts
        save_checkin(session, patient, {"date": day - timedelta(days=n), "pain_avg": pain}, [],
                     now=now + timedelta(seconds=pain))  # fmt: skip
    issued = start_device(
        session, patient, user_agent="", remember=False, now=now, policy=SessionPolicy()
    )
    session.commit()
    found = signed_in_with_week(session, issued.session_id, day, now=now, policy=SessionPolicy())
    assert found is not None
    signed_in, diary = found
    assert (signed_in.id, signed_in.timezone) == (patient.id, patient.timezone)
    assert signed_in.profile == RecoveryFacts(date(2026, 9, 1), None, True)
    assert signed_in.today(now) == patient.today(now)
    expected = Diary.read(session, patient, day)
    assert (
        diary.pain(date.min)
        == expected.pain(date.min)
        == {
            day - timedelta(days=1): 6,
            day - timedelta(days=2): 5,
        }
    )
    assert diary.average == expected.average is None  # 2 days logged: under 3
    assert (
        signed_in_with_week(session, "not a session", day, now=now, policy=SessionPolicy()) is None
    )
