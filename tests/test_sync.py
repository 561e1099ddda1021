"""POST /api/v1/sync: the outbox's batch, each record answered and saved as its own route does."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from pwa import sync
from pwa.models import Appointment, CheckIn, MedicineDose, WarningEvent

from .conftest import make_checkin, make_patient, sign_in_with_csrf

API = "/api/v1/sync"
MEDICINE = {
    "name": "Alendronate",
    "dose": "70 mg",
    "frequency": "weekly",
    "times": ["08:00"],
    "weekdays": [0],
    "start_date": "2026-11-02",
}


def new_id() -> str:
    return str(uuid.uuid4())


def entry(patient, **overrides) -> dict:
    return {"kind": "entry", "id": new_id(), "date": patient.today().isoformat(), "pain": 4,
            **overrides}  # fmt: skip


def appointment(**overrides) -> dict:
    return {"kind": "appointment", "id": new_id(), "date": "2030-03-04", "time": "10:30",
            "appointment_kind": "spine", "with_whom": "Dr Alvarez", **overrides}  # fmt: skip


def dose(medicine_id: str, **overrides) -> dict:
    return {"kind": "dose", "id": new_id(), "medicine_id": medicine_id,
            "due": "2026-11-09T08:00", "status": "taken", **overrides}  # fmt: skip


def count(db, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def statuses(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [result["status"] for result in response.json["results"]]


@pytest.fixture
def medicine_id(client, signed_in) -> str:
    body = {"id": new_id(), **MEDICINE}
    assert client.post("/api/v1/medicines", json=body).status_code == 201
    return body["id"]


def test_a_mixed_batch_saves_each_kind_and_answers_in_order(client, signed_in, db, medicine_id):
    records = [
        entry(signed_in, pain=3, warning_signs=["fever"]),
        appointment(),
        dose(medicine_id),
        entry(signed_in, pain=6, date=(signed_in.today() - timedelta(days=1)).isoformat()),
    ]

    response = client.post(API, json={"records": records})

    assert statuses(response) == [201, 201, 201, 201]
    assert [r["id"] for r in response.json["results"]] == [r["id"] for r in records]
    assert "errors" not in response.json["results"][0]
    assert count(db, CheckIn) == 2 and count(db, Appointment) == 1 and count(db, MedicineDose) == 1
    stored = db.session.scalar(select(Appointment))
    assert (stored.kind, stored.with_whom, stored.uuid) == ("spine", "Dr Alvarez", records[1]["id"])
    # Saved by the single route's own service: the ticked sign is raised as there.
    assert db.session.scalar(select(WarningEvent.sign)) == "fever"
    # And readable through the single routes.
    assert client.get(f"/api/v1/entries/{records[0]['id']}").json["pain"] == 3


def test_the_same_batch_again_answers_200_and_adds_no_rows(client, signed_in, db, medicine_id):
    records = [entry(signed_in), appointment(), dose(medicine_id)]
    assert statuses(client.post(API, json={"records": records})) == [201, 201, 201]

    # The answer was lost on the way: the phone sends the whole batch again.
    assert statuses(client.post(API, json={"records": records})) == [200, 200, 200]

    assert count(db, CheckIn) == 1 and count(db, Appointment) == 1 and count(db, MedicineDose) == 1


def test_records_saved_by_the_single_routes_are_recognised(client, signed_in, db):
    single = {"id": new_id(), "date": signed_in.today().isoformat(), "pain": 2}
    assert client.post("/api/v1/entries", json=single).status_code == 201

    response = client.post(API, json={"records": [{"kind": "entry", **single}]})

    assert statuses(response) == [200]
    assert count(db, CheckIn) == 1


def test_an_id_twice_in_one_batch_is_one_row(client, signed_in, db):
    record = entry(signed_in)

    response = client.post(API, json={"records": [record, record]})

    assert statuses(response) == [201, 200]
    assert count(db, CheckIn) == 1


def test_a_bad_record_fails_alone_with_its_own_errors(client, signed_in, db, medicine_id):
    records = [
        entry(signed_in),
        entry(signed_in, pain=11),
        appointment(appointment_kind="dentist"),
        dose(medicine_id, due="2026-11-10T08:00"),  # a Tuesday: not a scheduled dose
        entry(signed_in, id="not-a-uuid"),
        appointment(),
    ]

    response = client.post(API, json={"records": records})

    assert statuses(response) == [201, 422, 422, 422, 422, 201]
    results = response.json["results"]
    assert results[1]["errors"] == {"pain": ["Please choose a number from 0 to 10."]}
    assert list(results[2]["errors"]) == ["appointment_kind"]
    assert results[3]["errors"] == {"due": ["No dose of this medicine is due at that time."]}
    assert results[4]["id"] == "not-a-uuid" and list(results[4]["errors"]) == ["id"]
    assert count(db, CheckIn) == 1 and count(db, Appointment) == 1 and count(db, MedicineDose) == 0


def test_a_record_can_be_sent_again_once_corrected(client, signed_in, db):
    record = entry(signed_in, pain=11)
    assert statuses(client.post(API, json={"records": [record]})) == [422]

    assert statuses(client.post(API, json={"records": [{**record, "pain": 5}]})) == [201]
    assert count(db, CheckIn) == 1


def test_an_appointment_change_with_a_stale_version_is_409_with_the_current_one(client, signed_in):
    record = appointment()
    client.post(API, json={"records": [record]})
    change = {"kind": "appointment", "id": record["id"], "version": 1, "time": "11:00"}

    first = client.post(API, json={"records": [change]})
    other_device = client.post(
        API, json={"records": [{**change, "time": "12:00", "location": "Riverside"}]}
    )

    assert statuses(first) == [200]
    assert statuses(other_device) == [409]
    result = other_device.json["results"][0]
    assert result["current"]["version"] == 2 and result["current"]["time"] == "11:00"
    assert "version" in result["errors"]
    # The change itself sent again (its answer was lost) is recognised, not a conflict.
    assert statuses(client.post(API, json={"records": [change]})) == [200]


def test_an_appointment_made_and_changed_offline_goes_in_one_batch(client, signed_in, db):
    record = appointment()
    cancel = {"kind": "appointment", "id": record["id"], "version": 1, "cancelled": True}

    response = client.post(API, json={"records": [record, cancel]})

    assert statuses(response) == [201, 200]
    stored = db.session.scalar(select(Appointment))
    assert stored.cancelled and stored.version == 2
    unknown = {**cancel, "id": new_id()}
    assert statuses(client.post(API, json={"records": [unknown]})) == [422]


def test_another_patients_ids_neither_reveal_nor_change_their_records(client, signed_in, db):
    alice = make_patient(email="alice-sync@example.com")
    secret = make_checkin(alice, notes="Alice's secret")
    theirs = Appointment(user_id=alice.id, starts_at=secret.created_at + timedelta(days=9),
                         kind="spine", with_whom="Dr Secret")  # fmt: skip
    db.session.add(theirs)
    db.session.commit()
    records = [
        entry(signed_in, id=secret.uuid, pain=1),
        appointment(id=theirs.uuid),
        {"kind": "appointment", "id": theirs.uuid, "version": 1, "cancelled": True},
    ]

    response = client.post(API, json={"records": [records[2], records[0], records[1]]})

    assert statuses(response) == [422, 201, 201]  # unknown to Bob; then Bob's own new rows
    assert "Secret" not in response.get_data(as_text=True)
    assert count(db, CheckIn, user_id=alice.id) == 1 and count(db, CheckIn) == 2
    assert db.session.get(Appointment, theirs.id).cancelled_at is None
    assert count(db, Appointment, user_id=signed_in.id) == 1


def test_a_dose_for_another_patients_medicine_is_refused(client, signed_in, db):
    alice = make_patient(email="alice-dose@example.com")
    client.post("/logout")
    client.post("/login", data={"email": alice.email, "password": "correct horse battery"})
    alice_medicine = {"id": new_id(), **MEDICINE}
    client.post("/api/v1/medicines", json=alice_medicine)
    client.post("/logout")
    client.post("/login", data={"email": signed_in.email, "password": "correct horse battery"})

    response = client.post(API, json={"records": [dose(alice_medicine["id"])]})

    assert statuses(response) == [422]
    assert "medicine_id" in response.json["results"][0]["errors"]
    assert count(db, MedicineDose) == 0


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"records": "all of them"}, 422, "validation"),
        ({}, 422, "validation"),
        ({"records": [{"id": "x"}]}, 422, "validation"),
        ({"records": [{"kind": "diary", "id": "x"}]}, 422, "validation"),
        ({"records": [7]}, 422, "validation"),
    ],
)
def test_a_batch_without_records_or_kinds_is_refused_whole(client, signed_in, db, body, status,
                                                           error):  # fmt: skip
    response = client.post(API, json=body)

    assert response.status_code == status and response.is_json
    assert response.json["error"] == error and response.json["message"]
    assert count(db, CheckIn) == 0


def test_a_kindless_record_is_named_by_its_place(client, signed_in, db):
    records = [entry(signed_in), {"id": new_id(), "pain": 3}]

    response = client.post(API, json={"records": records})

    assert response.status_code == 422
    assert list(response.json["fields"]) == ["records[1].kind"]
    assert count(db, CheckIn) == 0  # refused whole: the phone keeps them all


def test_at_most_200_records_per_batch(client, signed_in, db):
    first_day = signed_in.today() - timedelta(days=200)
    records = [entry(signed_in, date=(first_day + timedelta(days=n)).isoformat())
               for n in range(201)]  # fmt: skip

    too_many = client.post(API, json={"records": records})
    enough = client.post(API, json={"records": records[:200]})

    assert too_many.status_code == 413 and too_many.json["error"] == "too_many_records"
    assert "200" in too_many.json["message"]
    assert statuses(enough) == [201] * 200
    assert count(db, CheckIn) == 200


def test_not_json_is_a_json_400(client, signed_in):
    for kwargs in ({"data": "records=1"}, {"data": "{", "content_type": "application/json"}):
        response = client.post(API, **kwargs)
        assert response.status_code == 400 and response.json["error"] == "bad_request"


def test_an_empty_batch_answers_an_empty_list(client, signed_in):
    assert client.post(API, json={"records": []}).json == {"results": []}


def test_signed_out_is_401_and_a_write_needs_the_csrf_header(csrf_app, db):
    client = csrf_app.test_client()
    patient = make_patient()
    body = {"records": [entry(patient)]}
    assert client.post(API, json=body).status_code == 401
    sign_in_with_csrf(client, patient.email)

    refused = client.post(API, json=body)
    token = client.get("/api/v1/csrf").json["csrf_token"]
    accepted = client.post(API, json=body, headers={"X-CSRFToken": token})

    assert refused.status_code == 400 and refused.json["error"] == "csrf"
    assert statuses(accepted) == [201]
    assert count(db, CheckIn) == 1


def test_a_record_a_concurrent_request_saved_meanwhile_loses_nothing_else(
    client, signed_in, db, monkeypatch
):
    """The same id committed by another request between the look-up and the insert: the save
    rolls back the session, and with it this batch's earlier records, so the batch is saved
    again record by record. Every record answered 201 or 200 is stored."""
    raced = entry(signed_in, pain=8)
    client.post("/api/v1/entries", json={k: v for k, v in raced.items() if k != "kind"})
    looked_up = sync._stored_ids
    calls = []

    def missing_the_race(session, patient, records):
        calls.append(1)
        return set() if len(calls) == 1 else looked_up(session, patient, records)

    monkeypatch.setattr(sync, "_stored_ids", missing_the_race)
    earlier = entry(signed_in, date=(signed_in.today() - timedelta(days=1)).isoformat())
    records = [earlier, appointment(), raced, entry(signed_in, pain=1)]

    response = client.post(API, json={"records": records})

    assert statuses(response) == [201, 201, 200, 201]
    assert len(calls) == 2
    assert count(db, CheckIn) == 3 and count(db, Appointment) == 1


def test_the_openapi_document_describes_the_batch(client, signed_in, medicine_id):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/sync"]["post"]
    assert operation["parameters"] == [{"$ref": "#/components/parameters/CSRF"}]
    schemas = document["components"]["schemas"]
    batch = {"records": [entry(signed_in), appointment(), dose(medicine_id)]}
    request_schema = {**operation["requestBody"]["content"]["application/json"]["schema"],
                      "components": document["components"]}  # fmt: skip
    assert not list(Draft202012Validator(request_schema).iter_errors(batch))
    assert schemas["SyncBatch"]["properties"]["records"]["maxItems"] == 200
    answer = client.post(API, json={"records": [*batch["records"], entry(signed_in, pain=99)]})
    response_schema = {**operation["responses"]["200"]["content"]["application/json"]["schema"],
                       "components": document["components"]}  # fmt: skip
    assert not list(Draft202012Validator(response_schema).iter_errors(answer.json))


def diary(patient, start) -> list[dict]:
    """Three weeks of check-ins that raise every computed sign: pain jumps, falls of each
    kind, days in bed, opioids without a bowel movement; some days twice, some ticked signs."""
    days = []
    for n in range(21):
        day = (start + timedelta(days=n)).isoformat()
        answers = {"date": day, "pain": [2, 9, 2, 7, 3, 9, 2][n % 7]}
        if n % 5 == 1:
            answers.update(fell=True, fall_injured=n % 2 == 0, fall_hit_head=n % 3 == 0,
                           fall_cannot_stand=n % 4 == 1)  # fmt: skip
        if 8 <= n <= 11:
            answers.update(bed_rest=True, walking_aid="bed")
        if 12 <= n <= 16:
            answers.update(opioid_doses=2, bowel_movement=False)
        if n % 6 == 0:
            answers["warning_signs"] = ["fever"]
        days.append({"id": new_id(), **answers})
        if n % 4 == 0:  # a second check-in that day: the latest counts
            days.append({"id": new_id(), **answers, "pain": 1})
    return days


def signs_of(db, patient) -> list[tuple]:
    checkins = db.session.scalars(
        select(CheckIn).where(CheckIn.user_id == patient.id).order_by(CheckIn.id)
    ).all()
    return [
        (c.date, c.pain_avg, sorted((e.sign, e.tier, e.computed, e.day) for e in c.warning_events))
        for c in checkins
    ]


def acted_on_event(client, db, start) -> WarningEvent:
    """A pain jump the day before `start` the patient called the doctor about."""
    for n, pain in ((4, 2), (3, 2), (2, 2), (1, 9)):
        day = (start - timedelta(days=n)).isoformat()
        client.post("/api/v1/entries", json={"id": new_id(), "date": day, "pain": pain})
    event = db.session.scalar(select(WarningEvent).order_by(WarningEvent.id.desc()))
    assert event.sign == "pain_jump"
    event.action = "called_doctor"
    db.session.commit()
    return event


def test_a_batch_raises_exactly_the_warning_signs_the_single_route_raises(client, db):
    """The batch saves check-ins with the diary read once; the signs must not drift from
    save_checkin's, one check-in at a time."""
    fracture = date.today() - timedelta(days=60)  # the diary spans weeks 4 to 8 after it
    profile = {"blood_thinner": True, "fracture_date": fracture}
    one, batch = (make_patient(profile=profile) for _ in range(2))
    start = one.today() - timedelta(days=30)
    records = diary(one, start)
    client.post("/login", data={"email": one.email, "password": "correct horse battery"})
    one_event = acted_on_event(client, db, start)
    for record in records:
        assert client.post("/api/v1/entries", json=record).status_code == 201
    client.post("/logout")
    client.post("/login", data={"email": batch.email, "password": "correct horse battery"})
    batch_event = acted_on_event(client, db, start)

    response = client.post(API, json={"records": [{"kind": "entry", **r} for r in records]})

    assert statuses(response) == [201] * len(records)
    expected = signs_of(db, one)
    assert signs_of(db, batch) == expected
    raised = {sign for _, _, events in expected for sign, *_ in events}
    assert {"pain_jump", "fall_injured", "fall_no_injury", "fall_cannot_stand",
            "fall_head_blood_thinner", "bed_rest_days", "opioid_constipation",
            "fever", "pain_not_improving"} <= raised  # fmt: skip
    db.session.refresh(one_event)
    db.session.refresh(batch_event)
    assert batch_event.also_on == one_event.also_on != []


SINGLE_ROUTES = {"entry": "/api/v1/entries", "appointment": "/api/v1/appointments",
                 "dose": "/api/v1/doses"}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("entry", {"pain": 11}),
        ("entry", {"pain": "seven", "date": "2026-02-30"}),
        ("entry", {"date": "2999-01-01"}),
        ("entry", {"notes": "x" * 2001, "warning_signs": ["not_a_sign"]}),
        ("entry", {"fell": "maybe", "minutes_walked": 1441}),
        ("appointment", {"date": "", "time": "25:00"}),
        ("appointment", {"kind": "dentist"}),
        ("appointment", {"phone": "call me", "notes": "\x07"}),
        ("dose", {"status": "forgot"}),
        ("dose", {"due": "2026-11-10T08:00"}),
        ("dose", {"medicine_id": None, "due": None}),
        ("dose", {"medicine_id": "00000000-0000-4000-8000-000000000000"}),
    ],
)
def test_a_record_is_refused_in_a_batch_with_the_single_routes_messages(
    client, signed_in, db, medicine_id, kind, fields
):
    base = {"entry": entry(signed_in), "appointment": {**appointment(), "kind": "spine"},
            "dose": dose(medicine_id)}[kind]  # fmt: skip
    single = {**base, **fields}
    del single["appointment_kind" if kind == "appointment" else "kind"]
    record = {**base, **fields, "kind": kind}
    if kind == "appointment" and "kind" in fields:
        record["appointment_kind"] = fields["kind"]

    alone = client.post(SINGLE_ROUTES[kind], json=single)
    batched = client.post(API, json={"records": [record]}).json["results"][0]

    assert alone.status_code == batched["status"] == 422
    renamed = {("appointment_kind" if kind == "appointment" and k == "kind" else k): v
               for k, v in alone.json["fields"].items()}  # fmt: skip
    assert batched["errors"] == renamed
