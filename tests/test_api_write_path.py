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
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from pwa import create_app
from pwa.checkin.services import save_checkin
from pwa.extensions import db, db_session
from pwa.models import CheckIn, utcnow

from .conftest import PASSWORD, config_for, make_patient

pytestmark = pytest.mark.database


@pytest.fixture
def api(tmp_path, request):
    """A production-like app (CSRF on), a signed-in patient's client and a statement log. The
    fracture was 200 days ago unless the test asks for another number of days (6 to 12 weeks
    after it, a save also reads the patient's pain baseline)."""
    app = create_app(config_for(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        days_since_fracture = getattr(request, "param", 200)
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
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    csrf = client.get("/api/v1/csrf").get_json()["csrf_token"]
    statements: list[str] = []

    def log(_connection, _cursor, statement, _parameters, _context, _many) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", log)

    def post(body: dict):
        statements.clear()
        return client.post("/api/v1/entries", json=body, headers={"X-CSRFToken": csrf})

    yield post, statements, today
    event.remove(engine, "before_cursor_execute", log)
    engine.dispose()


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
