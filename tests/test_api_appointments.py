"""/api/v1/appointments: idempotent by client UUID, versioned updates, JSON errors, CSRF."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from pwa.api.appointments import OPENAPI_PATHS, OPENAPI_SCHEMAS
from pwa.models import Appointment, utcnow

from .conftest import make_patient, sign_in_with_csrf
from .test_appointments import make_appointment

API = "/api/v1/appointments"
FIELDS = {
    "id", "version", "date", "time", "starts_at", "kind", "with_whom", "location", "phone",
    "notes", "questions", "cancelled", "cancelled_at", "created_at", "updated_at",
}  # fmt: skip


def body(**overrides) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "date": "2030-03-04",
        "time": "14:30",
        "kind": "spine",
        "with_whom": "Dr Okafor",
        "location": "City Spine Clinic",
        "phone": "555 010 2000",
        "notes": "Bring the MRI disc.",
        "questions": ["When can I drive again?", "Can I lift my grandson?"],
        **overrides,
    }


def rows(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment))


def schema_validator(name: str) -> Draft202012Validator:
    """Checks a response against this module's own OpenAPI schema (refs resolved in place)."""
    document = {
        "$ref": f"#/components/schemas/{name}",
        "components": {
            "schemas": {**OPENAPI_SCHEMAS, "Error": {"type": "object", "required": ["error"]}}
        },
    }
    return Draft202012Validator(document)


def test_signed_out_every_route_answers_401_json(client):
    some = f"{API}/{uuid.uuid4()}"
    responses = [
        client.get(API),
        client.post(API, json=body()),
        client.get(some),
        client.put(some, json={"version": 1}),
        client.delete(some),
    ]
    assert [r.status_code for r in responses] == [401] * 5
    assert all(r.is_json and r.json["error"] == "not_signed_in" for r in responses)


def test_first_post_is_201_the_same_id_again_200_and_one_row(client, signed_in, db):
    sent = body()
    first = client.post(API, json=sent)
    again = client.post(API, json={**sent, "with_whom": "Changed on retry"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert rows(db) == 1
    assert again.json == first.json  # the stored record, not the retry's body
    record = first.json
    assert set(record) == FIELDS
    assert record["id"] == sent["id"] and record["version"] == 1
    assert (record["date"], record["time"]) == ("2030-03-04", "14:30")  # New York, local
    assert record["starts_at"] == "2030-03-04T19:30:00Z"  # UTC
    assert record["questions"] == sent["questions"] and record["cancelled"] is False
    assert record["created_at"].endswith("Z") and record["updated_at"].endswith("Z")
    schema_validator("Appointment").validate(record)


def test_post_without_an_id_gets_one_from_the_server(client, signed_in):
    sent = body()
    del sent["id"]
    response = client.post(API, json=sent)
    assert response.status_code == 201 and uuid.UUID(response.json["id"])


def test_questions_may_come_as_one_text_from_a_serialised_form(client, signed_in):
    response = client.post(API, json=body(questions="First?\nSecond?\n"))
    assert response.status_code == 201 and response.json["questions"] == ["First?", "Second?"]


def test_a_uuid_another_patient_used_makes_my_own_record_and_reveals_nothing(client, signed_in, db):
    other = make_patient()
    theirs = make_appointment(other, with_whom="Dr Secret", notes="their private note")
    response = client.post(API, json=body(id=theirs.uuid, with_whom="Dr Mine"))
    assert response.status_code == 201
    text = response.get_data(as_text=True)
    assert "Dr Secret" not in text and "their private note" not in text
    assert response.json["with_whom"] == "Dr Mine" and response.json["id"] == theirs.uuid
    assert rows(db) == 2
    db.session.refresh(theirs)
    assert (theirs.with_whom, theirs.version, theirs.user_id) == ("Dr Secret", 1, other.id)
    assert client.get(f"{API}/{theirs.uuid}").json["with_whom"] == "Dr Mine"


def test_list_is_own_earliest_first_with_cancelled_flagged_and_date_filters(client, signed_in):
    now = utcnow()
    make_appointment(signed_in, starts_at=datetime(2030, 5, 1, 14), with_whom="May")
    make_appointment(signed_in, starts_at=datetime(2030, 4, 1, 14), with_whom="April")
    make_appointment(
        signed_in, starts_at=datetime(2030, 4, 15, 14), with_whom="Off", cancelled_at=now
    )
    make_appointment(make_patient(), starts_at=datetime(2030, 4, 2, 14), with_whom="Not mine")

    everything = client.get(API)
    assert everything.status_code == 200
    schema_validator("AppointmentList").validate(everything.json)
    listed = [(a["with_whom"], a["cancelled"]) for a in everything.json["appointments"]]
    assert listed == [("April", False), ("Off", True), ("May", False)]

    def names(query: str) -> list[str]:
        return [a["with_whom"] for a in client.get(f"{API}?{query}").json["appointments"]]

    assert names("include_cancelled=0") == ["April", "May"]
    assert names("from=2030-04-15") == ["Off", "May"]
    assert names("to=2030-04-15") == ["April", "Off"]
    assert names("from=2030-04-02&to=2030-04-30&include_cancelled=false") == []


def test_list_date_filters_use_the_patients_local_day(client, auth):
    patient = make_patient(timezone="America/Los_Angeles")
    auth.login(patient.email)
    # 20:00 on 1 April in Los Angeles is already 2 April in UTC.
    make_appointment(patient, starts_at=datetime(2030, 4, 2, 3, 0), with_whom="Evening")
    found = client.get(f"{API}?from=2030-04-01&to=2030-04-01").json["appointments"]
    assert [(a["with_whom"], a["date"], a["time"]) for a in found] == [
        ("Evening", "2030-04-01", "20:00")
    ]


def test_bad_list_dates_answer_422_json(client, signed_in):
    response = client.get(f"{API}?from=yesterday&to=2030-02-30")
    assert response.status_code == 422
    assert set(response.json["fields"]) == {"from", "to"}


def test_get_one_answers_own_record_and_404_json_otherwise(client, signed_in):
    mine = make_appointment(signed_in)
    theirs = make_appointment(make_patient(), with_whom="Dr Secret")
    assert client.get(f"{API}/{mine.uuid}").json["id"] == mine.uuid
    for path in (f"{API}/{theirs.uuid}", f"{API}/{uuid.uuid4()}", f"{API}/not-a-uuid"):
        response = client.get(path)
        assert response.status_code == 404 and response.is_json
        assert "Dr Secret" not in response.get_data(as_text=True)


def test_put_with_the_current_version_saves_and_raises_it(client, signed_in, db):
    created = client.post(API, json=body()).json
    response = client.put(
        f"{API}/{created['id']}", json={"version": 1, "time": "09:15", "notes": None}
    )
    assert response.status_code == 200, response.json
    updated = response.json
    assert updated["version"] == 2 and updated["time"] == "09:15" and updated["notes"] is None
    assert updated["with_whom"] == "Dr Okafor"  # fields left out keep their values
    assert updated["starts_at"] == "2030-03-04T14:15:00Z"
    schema_validator("Appointment").validate(updated)


def test_put_with_a_stale_version_answers_409_with_the_current_record(client, signed_in, db):
    created = client.post(API, json=body()).json
    client.put(f"{API}/{created['id']}", json={"version": 1, "with_whom": "Dr Chen"})
    stale = client.put(f"{API}/{created['id']}", json={"version": 1, "with_whom": "Dr Late"})
    assert stale.status_code == 409
    assert stale.json["error"] == "version_conflict"
    assert stale.json["current"]["version"] == 2 and stale.json["current"]["with_whom"] == "Dr Chen"
    schema_validator("AppointmentConflict").validate(stale.json)
    assert db.session.scalar(select(Appointment.with_whom)) == "Dr Chen"


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({}, "version"),
        ({"version": "1"}, "version"),
        ({"version": True}, "version"),
        ({"version": 0}, "version"),
        ({"version": 1, "cancelled": "no"}, "cancelled"),
        ({"version": 1, "date": None}, "date"),
        ({"version": 1, "phone": "ring Mary"}, "phone"),
    ],
)
def test_put_with_bad_fields_answers_422_and_changes_nothing(client, signed_in, db, update, field):
    created = client.post(API, json=body()).json
    response = client.put(f"{API}/{created['id']}", json=update)
    assert response.status_code == 422 and response.json["error"] == "validation"
    assert field in response.json["fields"]
    assert db.session.scalar(select(Appointment.version)) == 1


def test_delete_marks_cancelled_keeps_the_row_and_put_can_restore(client, signed_in, db):
    created = client.post(API, json=body()).json
    path = f"{API}/{created['id']}"
    first = client.delete(path)
    assert first.status_code == 200 and first.json["cancelled"] is True
    assert first.json["version"] == 2 and first.json["cancelled_at"].endswith("Z")
    again = client.delete(path)
    assert again.status_code == 200 and again.json == first.json  # nothing changes twice
    assert rows(db) == 1
    assert client.get(path).json["cancelled"] is True

    restored = client.put(path, json={"version": 2, "cancelled": False})
    assert restored.status_code == 200
    assert restored.json["cancelled"] is False and restored.json["version"] == 3


def test_writes_to_another_patients_appointment_answer_404_and_change_nothing(
    client, signed_in, db
):
    theirs = make_appointment(make_patient(), with_whom="Dr Secret")
    put = client.put(f"{API}/{theirs.uuid}", json={"version": 1, "with_whom": "Hacked"})
    delete = client.delete(f"{API}/{theirs.uuid}")
    assert (put.status_code, delete.status_code) == (404, 404)
    assert put.is_json and delete.is_json
    db.session.refresh(theirs)
    assert (theirs.with_whom, theirs.version, theirs.cancelled_at) == ("Dr Secret", 1, None)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date": None}, "date"),
        ({"date": "2030-13-01"}, "date"),
        ({"date": 20300304}, "date"),
        ({"time": "25:61"}, "time"),
        ({"time": None}, "time"),
        ({"time": 1430}, "time"),
        ({"kind": "dentist"}, "kind"),
        ({"kind": None}, "kind"),
        ({"phone": "call Mary"}, "phone"),
        ({"notes": "x" * 2001}, "notes"),
        ({"with_whom": 5}, "with_whom"),
        ({"location": ["a"]}, "location"),
        ({"questions": [1, 2]}, "questions"),
        ({"questions": {"a": "b"}}, "questions"),
        ({"questions": ["q"] * 31}, "questions"),
        ({"id": "not-a-uuid"}, "id"),
        ({"id": 12}, "id"),
    ],
)
def test_invalid_fields_answer_422_with_a_message_per_field(
    client, signed_in, db, overrides, field
):
    response = client.post(API, json=body(**overrides))
    assert response.status_code == 422, response.json
    assert response.json["error"] == "validation"
    assert response.json["fields"][field][0]
    assert rows(db) == 0


def test_all_field_errors_come_back_together(client, signed_in):
    response = client.post(API, json={"id": str(uuid.uuid4()), "phone": "abc", "notes": 3})
    assert set(response.json["fields"]) == {"date", "time", "kind", "phone", "notes"}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("{not json", "application/json"),
        ("", "application/json"),
        ("[1, 2]", "application/json"),
        ("date=2030-03-04", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_answer_400_json_never_html(client, signed_in, db, data, content_type):
    mine = make_appointment(signed_in)
    for response in (
        client.post(API, data=data, content_type=content_type),
        client.put(f"{API}/{mine.uuid}", data=data, content_type=content_type),
    ):
        assert response.status_code == 400 and response.is_json
        assert response.json["error"] == "bad_request"
    assert rows(db) == 1


def test_openapi_fragments_describe_every_appointment_route(app, client):
    registered = {
        (rule.rule.replace("<id>", "{id}"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(path, method) for path, item in OPENAPI_PATHS.items() for method in item}
    assert registered == described
    document = client.get("/api/v1/openapi.json").json
    for path, item in OPENAPI_PATHS.items():
        for method, operation in item.items():
            published = document["paths"][path][method]
            # As written here, plus the answers every route can give (413, 422, 503).
            assert {**published, "responses": operation["responses"]} == operation
            assert operation["responses"].items() <= published["responses"].items()
    for name in OPENAPI_SCHEMAS:
        Draft202012Validator.check_schema(OPENAPI_SCHEMAS[name])
        assert name in document["components"]["schemas"]


class TestWithCsrf:
    @pytest.fixture
    def app(self, csrf_app):
        return csrf_app

    def test_writes_without_the_header_are_refused_in_json(self, client, app, db):
        patient = make_patient()
        sign_in_with_csrf(client, patient.email)
        mine = make_appointment(patient)
        responses = [
            client.post(API, json=body()),
            client.put(f"{API}/{mine.uuid}", json={"version": 1, "with_whom": "X"}),
            client.delete(f"{API}/{mine.uuid}"),
        ]
        assert [r.status_code for r in responses] == [400] * 3
        assert all(r.is_json and r.json["error"] == "csrf" for r in responses)
        db.session.refresh(mine)
        assert rows(db) == 1 and mine.version == 1 and not mine.cancelled
        assert client.get(API).status_code == 200  # reading needs no token

    def test_a_token_from_the_csrf_route_lets_writes_through(self, client, app, db):
        patient = make_patient()
        sign_in_with_csrf(client, patient.email)
        headers = {"X-CSRFToken": client.get("/api/v1/csrf").json["csrf_token"]}
        created = client.post(API, json=body(), headers=headers)
        assert created.status_code == 201
        path = f"{API}/{created.json['id']}"
        updated = client.put(path, json={"version": 1, "with_whom": "Dr Chen"}, headers=headers)
        assert updated.status_code == 200 and updated.json["version"] == 2
        assert client.delete(path, headers=headers).json["cancelled"] is True
