"""The inputs that once reached a 500: each now answers with a message (issue 13, point 4)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from pwa import create_app
from pwa.extensions import db as _db
from pwa.models import CheckIn, LoginThrottle, MedicineDose, Reminder, User

from .conftest import PASSWORD, config_for, forget_user_between_requests, make_patient


def entry(**overrides) -> dict:
    return {"id": str(uuid.uuid4()), "date": "2026-11-20", "pain": 5, **overrides}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- Dates near year 1 and year 9999 -----------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-07", "9999-12-31", "1899-12-31"])
def test_a_checkin_dated_far_away_gets_a_field_message(client, signed_in, day):
    response = client.post("/api/v1/entries", json=entry(date=day))
    assert response.status_code == 422
    assert "year" in " ".join(response.json["fields"]["date"])
    page = client.post("/checkin", data={"date": day, "pain": "5", "notes": "kept"})
    assert page.status_code == 200
    assert "between 1900 and 2100" in page.get_data(as_text=True)
    assert "kept</textarea>" in page.get_data(as_text=True)  # the rest of the form kept


@pytest.mark.parametrize("route", ["/api/v1/appointments", "/api/v1/entries"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": "9999-12-31"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"from": "2026-1-1"}, "from"),
    ],
)
def test_list_queries_with_far_away_dates_answer_422(client, signed_in, route, query, field):
    response = client.get(route, query_string=query)
    assert response.status_code == 422 and field in response.json["fields"]


@pytest.mark.parametrize("query", [{"from": "0001-01-01", "to": "0001-01-02"},
                                   {"from": "9999-12-30", "to": "9999-12-31"}])  # fmt: skip
def test_the_report_with_far_away_dates_answers_with_a_message(client, signed_in, query):
    for path in ("/report", "/report.pdf"):
        response = client.get(path, query_string={"preset": "custom", **query})
        assert response.status_code == 400, path  # the period picker with its message
        page = response.get_data(as_text=True)
        assert "between 1900 and 2100" in page or "cannot be after today" in page


def add_medicine(client, **overrides) -> None:
    form = {"name": "Calcium", "dose": "one", "frequency": "daily", "time_1": "08:00",
            "start_date": "2026-11-01", **overrides}  # fmt: skip
    client.post("/reminders/medicines/new", data=form)


@pytest.mark.parametrize(("field", "value"), [("end_date", "9999-12-31"),
                                              ("start_date", "0001-01-01")])  # fmt: skip
def test_a_medicine_with_a_far_away_day_is_refused_with_a_field_message(
    client, signed_in, db, field, value
):
    page = client.post(
        "/reminders/medicines/new",
        data={"name": "Calcium", "frequency": "daily", "time_1": "08:00",
              "start_date": "2026-11-01", field: value},
    )  # fmt: skip
    assert page.status_code == 200
    assert "between 1900 and 2100" in page.get_data(as_text=True)
    assert db.session.scalar(select(Reminder).where(Reminder.kind == "medicine")) is None


def test_a_medicine_already_stored_with_last_day_9999_12_31_keeps_the_calendar_working(
    client, signed_in, db
):
    add_medicine(client, name="Calcium")
    add_medicine(client, name="Vitamin D")
    calcium = db.session.scalar(select(Reminder).where(Reminder.name == "Calcium"))
    calcium.end_date = date(9999, 12, 31)  # stored before the bound existed
    db.session.commit()
    for path in ("/appointments.ics",):
        assert client.get(path).status_code == 200
    client.post("/reminders/calendar/link")
    page = client.get("/reminders").get_data(as_text=True)
    feed = page.split("/calendar/")[1].split(".ics")[0]
    response = client.get(f"/calendar/{feed}.ics")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Take Calcium" in body and "Take Vitamin D" in body  # one medicine breaks nothing
    assert client.get("/reminders").status_code == 200
    assert client.get("/").status_code == 200


# --- Dose occurrences --------------------------------------------------------------------------


@pytest.fixture
def medicine(client, signed_in, db) -> Reminder:
    add_medicine(client)
    return db.session.scalar(select(Reminder).where(Reminder.kind == "medicine"))


@pytest.mark.parametrize(
    "occurrence",
    ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59-12:00",
     "2026-11-20T13:00+05:00", "2026-11-20T08:00", "not a time", "\n"],
)  # fmt: skip
def test_a_dose_with_a_strange_occurrence_is_refused_with_a_message(
    client, medicine, db, occurrence
):
    response = client.post(
        f"/reminders/medicines/{medicine.id}/dose",
        data={"occurrence": occurrence, "status": "taken"},
    )
    assert response.status_code == 302
    assert count(db, MedicineDose) == 0


def test_a_dose_occurrence_with_its_utc_offset_is_the_same_moment(client, medicine, db):
    response = client.post(
        f"/reminders/medicines/{medicine.id}/dose",
        data={"occurrence": "2026-11-20T08:00:00-05:00", "status": "taken"},  # 08:00 New York
    )
    assert response.status_code == 302
    dose = db.session.scalar(select(MedicineDose))
    assert dose is not None and dose.occurrence_at == datetime(2026, 11, 20, 13, 0)


# --- Bodies: nesting, size, lists, surrogates ---------------------------------------------------


def test_deeply_nested_json_answers_422_not_500(client, signed_in):
    for depth in (50, 100_000):
        body = "[" * depth + "]" * depth
        response = client.post("/api/v1/entries", data=body, content_type="application/json")
        assert response.status_code == 422, depth
        assert "nested" in response.json["message"]
    nested = entry(notes={"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {}}}}}}}}})
    assert client.post("/api/v1/entries", json=nested).status_code == 422


def test_a_body_over_the_limit_answers_413_json(client, signed_in, app):
    big = entry(notes="x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    response = client.post("/api/v1/entries", json=big)
    assert response.status_code == 413 and response.is_json
    form = client.post("/checkin", data={"notes": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert form.status_code == 413


def test_a_million_item_locations_list_is_refused_and_not_stored(client, signed_in, db):
    huge = entry(locations=["legs"] * 1_000_000)
    response = client.post("/api/v1/entries", json=huge)
    assert response.status_code == 413  # larger than any body the app takes
    long_list = entry(locations=["legs"] * 400)
    response = client.post("/api/v1/entries", json=long_list)
    assert response.status_code == 422 and "locations" in response.json["fields"]
    form = client.post("/checkin", data={"date": "2026-11-20", "pain": "5",
                                         "locations": ["legs"] * 600})  # fmt: skip
    assert form.status_code == 422
    assert count(db, CheckIn) == 0


def test_text_over_its_length_answers_422(client, signed_in, db):
    response = client.post("/api/v1/entries", json=entry(notes="x" * 2001))
    assert response.status_code == 422 and "notes" in response.json["fields"]
    assert count(db, CheckIn) == 0


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "nul\x00here"])
def test_a_lone_surrogate_or_nul_in_json_text_answers_422(client, signed_in, db, text):
    raw = json.dumps(entry(notes=text))  # json.dumps writes "\ud800" as an escape
    response = client.post("/api/v1/entries", data=raw, content_type="application/json")
    assert response.status_code == 422
    assert "notes" in response.json["fields"]
    appointment = {"id": str(uuid.uuid4()), "date": "2026-12-01", "time": "10:00",
                   "kind": "spine", "with_whom": text}  # fmt: skip
    response = client.post("/api/v1/appointments", data=json.dumps(appointment),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 422
    assert count(db, CheckIn) == 0


def test_a_lone_surrogate_sent_as_raw_bytes_in_a_form_is_decoded_safely(client, signed_in, db):
    body = "date=2026-11-20&pain=5&notes=%ED%A0%80x"
    response = client.post("/checkin", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302)


# --- next ----------------------------------------------------------------------------------------


NOT_FOLLOWED = ["/\n/evil.example", "/history\r\nSet-Cookie: x=1", "\\\\evil.example",
                "/\\evil.example", "/\t/evil.example"]  # fmt: skip


@pytest.mark.parametrize("target", NOT_FOLLOWED)
def test_a_line_break_or_backslash_in_next_is_never_followed(client, patient, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": patient.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = client.get("/login", query_string={"next": target})  # already signed in
    assert response.status_code == 302 and response.headers["Location"] == "/"


# --- Unique-key races ----------------------------------------------------------------------------


@pytest.fixture
def shared_app(tmp_path):
    """An app on a database file, so threads use separate connections as workers would."""
    app = create_app(config_for(tmp_path))
    forget_user_between_requests(app)
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.engine.dispose()


def at_once(n: int, work) -> list:
    """Runs `work(i)` in n threads released together; returns their results."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.database
def test_parallel_registrations_with_one_address_make_one_account(shared_app):
    form = {"name": "Ann", "email": "ann@example.com", "password": PASSWORD,
            "confirm": PASSWORD, "timezone": "America/New_York"}  # fmt: skip

    def register(_i: int) -> int:
        with shared_app.test_client() as client:
            return client.post("/register", data=form).status_code

    statuses = at_once(6, register)
    assert all(status in (200, 302) for status in statuses), statuses
    assert statuses.count(302) == 1  # the others see the existing account's message
    with shared_app.app_context():
        assert count(_db, User) == 1


@pytest.mark.database
def test_parallel_first_failed_sign_ins_count_every_failure(shared_app):
    with shared_app.app_context():
        make_patient(email="bea@example.com")

    def fail(_i: int) -> int:
        with shared_app.test_client() as client:
            data = {"email": "bea@example.com", "password": "wrong password"}
            return client.post("/login", data=data).status_code

    statuses = at_once(4, fail)
    assert statuses == [200] * 4
    with shared_app.app_context():
        throttle = _db.session.get(LoginThrottle, "bea@example.com")
        assert throttle is not None and throttle.failures == 4


@pytest.mark.database
def test_parallel_taps_on_one_dose_keep_one_row(shared_app):
    with shared_app.app_context():
        patient = make_patient(email="cy@example.com")
        zone_note = patient.timezone
    assert zone_note == "America/New_York"
    with shared_app.test_client() as client:
        client.post("/login", data={"email": "cy@example.com", "password": PASSWORD})
        add_medicine(client)
    with shared_app.app_context():
        medicine_id = _db.session.scalar(select(Reminder.id).where(Reminder.kind == "medicine"))

    def tap(_i: int) -> int:
        with shared_app.test_client() as client:
            client.post("/login", data={"email": "cy@example.com", "password": PASSWORD})
            return client.post(
                f"/reminders/medicines/{medicine_id}/dose",
                data={"occurrence": "2026-11-20T13:00", "status": "taken"},
            ).status_code

    statuses = at_once(6, tap)
    assert statuses == [302] * 6
    with shared_app.app_context():
        assert count(_db, MedicineDose) == 1


def test_the_openapi_document_lists_the_answers_any_route_can_give(client):
    document = client.get("/api/v1/openapi.json").json
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"422", "503"} <= set(responses), (method, path)
            if "requestBody" in operation:
                assert "413" in responses, (method, path)
    assert "Retry-After" in responses["503"]["headers"]
