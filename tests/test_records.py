"""The records (pwa/records) are the one declaration of each record kind: the model's columns,
the forms, the OpenAPI document and the outbox's field types must all agree with them."""

import uuid
from datetime import date

import pytest

from pwa.appointments.forms import NewAppointmentForm
from pwa.checkin.forms import CheckInForm
from pwa.models import Appointment, CheckIn
from pwa.records.appointment import FIELDS_STORED, AppointmentRecord
from pwa.records.checkin import CheckInRecord
from pwa.records.medicine import DoseRecord, MedicineRecord
from pwa.records.schemas import RECORD_FIELDS_JS, record_fields_js
from pwa.records.types import parse_clock, rule_of, validate

BOOKKEEPING = {"id", "user_id", "created_at", "updated_at"}


def test_checkin_record_model_columns_and_form_fields_agree(app):
    columns = set(CheckIn.__table__.columns.keys()) - BOOKKEEPING
    from_record = {CheckInRecord.column_of(name) for name in CheckInRecord.model_fields} - {None}
    assert from_record == columns, "a check-in field is missing from the record or the model"
    with app.test_request_context():
        form = CheckInForm(meta={"csrf": False})
        assert {field.name for field in form} == set(CheckInRecord.model_fields)


def test_appointment_record_model_columns_and_form_fields_agree(app):
    columns = set(Appointment.__table__.columns.keys())
    columns -= BOOKKEEPING | {"uuid", "version", "cancelled_at"}
    columns -= {"questions_asked", "suggestions_dismissed", "visit_notes"}  # the visit's page
    assert set(FIELDS_STORED) == columns
    with app.test_request_context():
        form = NewAppointmentForm(meta={"csrf": False}, zone="UTC", today=date(2026, 11, 21))
        assert {field.name for field in form} - {"id"} == set(AppointmentRecord.model_fields)


def test_number_inputs_carry_the_records_bounds(app):
    schema = CheckInRecord.model_json_schema()["properties"]
    with app.test_request_context():
        form = CheckInForm(meta={"csrf": False})
        for name in ("minutes_walked", "brace_hours", "opioid_doses"):
            bounds = schema[name]["anyOf"][0]
            assert form[name].render_kw["min"] == bounds["minimum"]
            assert form[name].render_kw["max"] == bounds["maximum"]


def test_openapi_components_are_the_records_schemas(client):
    document = client.get("/api/v1/openapi.json").json
    components = document["components"]["schemas"]
    assert set(components["EntryInput"]["properties"]) == set(CheckInRecord.model_fields)
    assert "id" in components["EntryInput"]["required"]
    assert set(components["AppointmentInput"]["properties"]) - {"id"} == set(
        AppointmentRecord.model_fields
    )


def test_the_outboxs_field_types_file_is_current():
    assert RECORD_FIELDS_JS.read_text(encoding="utf-8") == record_fields_js(), (
        "run: flask --app wsgi records build-js"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7 pm", (19, 0)), ("7:30 p.m.", (19, 30)), ("19:00", (19, 0)), ("7", None), ("25:00", None)],
)
def test_one_clock_parser_for_medicines_and_appointments(text, expected):
    at = parse_clock(text)
    assert (None if at is None else (at.hour, at.minute)) == expected
    if expected:
        record, errors = validate(
            AppointmentRecord, {"date": "2030-03-04", "time": text, "kind": "spine"}
        )
        assert errors == {} and record.time == f"{expected[0]:02d}:{expected[1]:02d}"


def entry(**overrides) -> dict:
    return {"id": str(uuid.uuid4()), "date": "2026-01-05", "pain": 4, **overrides}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": "1899-12-31"}, "date", "between 1900 and 2100"),
        ({"notes": "bad \ud800 text"}, "notes", "cannot be stored"),
        ({"notes": "nul \x00 here"}, "notes", "special characters"),
        ({"locations": ["legs"] * 6}, "locations", "Please choose"),
        ({"pain": True}, "pain", "0 to 10"),
        ({"fell": "maybe"}, "fell", "yes or no"),
    ],
)
def test_checkin_bounds_give_a_message_per_field(overrides, field, message):
    _, errors = validate(CheckInRecord, entry(**overrides))
    assert message in errors[field][0]


@pytest.mark.parametrize("bad", ["Dr\nOkafor", "Dr\x00", "Dr\u2028Okafor", "Dr\u0085", "\udc00"])
def test_single_line_text_refuses_line_breaks_and_control_characters(bad):
    _, errors = validate(
        AppointmentRecord,
        {"date": "2030-03-04", "time": "10:00", "kind": "spine", "with_whom": bad},
    )
    assert list(errors) == ["with_whom"]


def test_notes_keep_their_line_breaks():
    record, errors = validate(CheckInRecord, entry(notes="Slept badly.\nBetter by noon."))
    assert errors == {} and record.notes == "Slept badly.\nBetter by noon."


def test_a_checkin_field_is_a_rule_the_form_can_draw():
    for name, info in CheckInRecord.model_fields.items():
        assert rule_of(info) is not None, name


def test_medicine_record_model_columns_and_form_fields_agree(app):
    from pwa.models import MedicineDose, Reminder
    from pwa.records.medicine import DoseRecord, MedicineRecord
    from pwa.reminders.forms import MedicineForm

    columns = set(Reminder.__table__.columns.keys())
    assert set(MedicineRecord.model_fields) <= columns
    assert set(DoseRecord.model_json_schema()["properties"]["status"]["enum"]) == {
        "taken",
        "skipped",
    }
    assert "status" in MedicineDose.__table__.columns
    with app.test_request_context():
        form = MedicineForm(meta={"csrf": False})
        names = {field.name for field in form} - set(MedicineForm.TIME_FIELDS)
        assert names - set(MedicineForm.FORM_ONLY) == set(MedicineRecord.model_fields) - {"times"}
        assert set(MedicineForm.FORM_ONLY) <= columns  # issue 12: the page's own columns


def test_a_medicine_accepts_seven_pm_and_keeps_times_sorted_and_distinct():
    record, errors = validate(
        MedicineRecord,
        {"name": "Vitamin D", "times": ["7 pm", "08:00", "19:00"], "start_date": "2026-11-01"},
    )
    assert errors == {} and record.times == ["08:00", "19:00"] and record.frequency == "daily"


def test_a_dose_answer_is_taken_or_skipped():
    assert validate(DoseRecord, {"status": "taken"})[1] == {}
    assert "status" in validate(DoseRecord, {"status": "maybe"})[1]


def test_the_page_and_the_api_say_the_same_message_for_the_same_mistake(client, signed_in):
    api = client.post("/api/v1/entries", json=entry(date=signed_in.today().isoformat(), pain=11))
    page = client.post("/checkin", data={"date": signed_in.today().isoformat(), "pain": "11"})
    message = api.json["fields"]["pain"][0]
    assert message == "Please choose a number from 0 to 10."
    assert message in page.get_data(as_text=True)


def test_a_lone_surrogate_in_the_api_answers_422_not_500(client, signed_in):
    day = signed_in.today().isoformat()
    body = f'{{"id": "{uuid.uuid4()}", "date": "{day}", "pain": 3, "notes": "a \\ud800 b"}}'
    response = client.post("/api/v1/entries", data=body, content_type="application/json")
    assert response.status_code == 422 and "notes" in response.json["fields"]


def test_api_answers_carry_exactly_the_fields_of_their_openapi_components(client, signed_in):
    components = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    entry_answer = client.post("/api/v1/entries", json=entry(date=signed_in.today().isoformat()))
    assert set(entry_answer.json) == set(components["Entry"]["properties"])
    appointment = {"date": "2030-03-04", "time": "7 pm", "kind": "spine"}
    answer = client.post("/api/v1/appointments", json=appointment)
    assert answer.status_code == 201 and answer.json["time"] == "19:00"
    assert set(answer.json) == set(components["Appointment"]["properties"])


def test_a_dose_answer_s_times_are_local_minutes_between_1900_and_2100():
    record, errors = validate(DoseRecord, {"status": "taken", "due": "2026-11-21T08:00"})
    assert errors == {} and record.due.hour == 8
    for bad in ("2026-11-21 08:00", "1850-01-01T08:00", "2026-02-30T08:00"):
        assert "due" in validate(DoseRecord, {"status": "taken", "due": bad})[1], bad
