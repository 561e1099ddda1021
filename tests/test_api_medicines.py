"""/api/v1/medicines and /api/v1/doses: idempotent by client UUID, versioned, JSON errors."""

from __future__ import annotations

import uuid

from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from pwa.models import MedicineDose, Reminder

from .conftest import make_patient, sign_in_with_csrf

API = "/api/v1/medicines"


def medicine(**overrides) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "name": "Alendronate",
        "dose": "70 mg",
        "frequency": "weekly",
        "times": ["08:00"],
        "weekdays": [0],
        "start_date": "2026-11-02",
        **overrides,
    }


def count(db, model) -> int:
    query = select(func.count()).select_from(model)
    if model is Reminder:
        query = query.where(Reminder.kind == "medicine")
    return db.session.scalar(query)


def test_a_medicine_is_created_once_per_client_id_and_listed(client, signed_in, db):
    body = medicine()

    first = client.post(API, json=body)
    again = client.post(API, json=body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json == again.json
    assert first.json["id"] == body["id"] and first.json["version"] == 1
    assert first.json["weekdays"] == [0] and first.json["times"] == ["08:00"]
    assert count(db, Reminder) == 1
    assert [m["name"] for m in client.get(API).json["medicines"]] == ["Alendronate"]


def test_a_bad_medicine_answers_422_with_the_fields_to_fix(client, signed_in):
    response = client.post(API, json=medicine(frequency="weekly", weekdays=[], times=["25:00"]))

    assert response.status_code == 422
    assert set(response.json["fields"]) >= {"times", "weekdays"}
    assert client.post(API, data="x", content_type="application/json").status_code == 400


def test_a_medicine_is_changed_at_its_version_and_a_stale_one_is_409(client, signed_in, db):
    body = medicine()
    client.post(API, json=body)

    changed = client.put(f"{API}/{body['id']}", json={"version": 1, "times": ["09:30"]})
    stale = client.put(f"{API}/{body['id']}", json={"version": 1, "times": ["10:00"]})

    assert changed.status_code == 200 and changed.json["version"] == 2
    assert changed.json["times"] == ["09:30"] and changed.json["name"] == "Alendronate"
    assert stale.status_code == 409 and stale.json["current"]["times"] == ["09:30"]


def test_removing_a_medicine_keeps_its_row_and_answers_200_twice(client, signed_in, db):
    body = medicine()
    client.post(API, json=body)

    assert client.delete(f"{API}/{body['id']}").status_code == 200
    assert client.delete(f"{API}/{body['id']}").status_code == 200
    assert client.get(API).json["medicines"] == []
    assert count(db, Reminder) == 1


def test_a_dose_is_recorded_once_and_only_at_a_scheduled_time(client, signed_in, db):
    body = medicine()
    client.post(API, json=body)
    dose = {"id": str(uuid.uuid4()), "medicine_id": body["id"], "status": "taken"}

    first = client.post("/api/v1/doses", json={**dose, "due": "2026-11-09T08:00"})
    again = client.post("/api/v1/doses", json={**dose, "due": "2026-11-09T08:00"})
    tuesday = client.post(
        "/api/v1/doses", json={**dose, "id": str(uuid.uuid4()), "due": "2026-11-10T08:00"}
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["due"] == "2026-11-09T08:00" and first.json["medicine_id"] == body["id"]
    assert first.json["taken_at"] is not None
    assert tuesday.status_code == 422 and "due" in tuesday.json["fields"]
    assert count(db, MedicineDose) == 1


def test_a_dose_with_its_own_taken_at_keeps_it(client, signed_in, db):
    body = medicine()
    client.post(API, json=body)
    dose = {
        "id": str(uuid.uuid4()),
        "medicine_id": body["id"],
        "due": "2026-11-09T08:00",
        "status": "taken",
        "taken_at": "2026-11-09T10:15",
    }

    assert client.post("/api/v1/doses", json=dose).json["taken_at"] == "2026-11-09T10:15"


def test_a_dose_for_another_patients_medicine_is_refused(client, signed_in, db):
    other = make_patient()
    alien = Reminder(user_id=other.id, kind="medicine", name="x", times=["08:00"])
    db.session.add(alien)
    db.session.commit()
    dose = {"id": str(uuid.uuid4()), "medicine_id": alien.uuid, "due": "2026-11-09T08:00"}

    response = client.post("/api/v1/doses", json={**dose, "status": "taken"})

    assert response.status_code == 422 and "medicine_id" in response.json["fields"]


def test_writes_need_the_csrf_header_and_a_session(csrf_app):
    client = csrf_app.test_client()
    assert client.post(API, json=medicine()).status_code == 401
    patient = make_patient()
    sign_in_with_csrf(client, patient.email)
    assert client.post(API, json=medicine()).status_code == 400
    token = client.get("/api/v1/csrf").json["csrf_token"]
    assert client.post(API, json=medicine(), headers={"X-CSRFToken": token}).status_code == 201


def test_the_openapi_document_describes_medicines_and_doses(client):
    document = client.get("/api/v1/openapi.json").json
    Draft202012Validator.check_schema(document["components"]["schemas"]["Medicine"])
    assert {"/api/v1/medicines", "/api/v1/medicines/{id}", "/api/v1/doses"} <= set(
        document["paths"]
    )
    assert set(document["paths"]["/api/v1/medicines/{id}"]) == {"put", "delete"}
