"""Each patient sees only their own data, on every route, HTML and API.

The route list comes from the app's URL map, so a route added later is covered too: any rule
taking a record's id is requested by another patient, with every method, and must answer 404.
"""

import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from pwa.models import (
    Appointment,
    BoneCheckItem,
    Caregiver,
    CheckIn,
    DeviceSession,
    HeightMeasurement,  # issue 12
    Reminder,
    ShareLink,
)

from .conftest import PASSWORD, make_checkin, make_patient

SECRET = "Alice's private note 7f3a"
# Which record a URL parameter names, by blueprint and path.
RECORD_OF = {
    "checkin": "checkin",
    "api./api/v1/entries": "checkin",
    "appointments": "appointment",
    "api./api/v1/appointments": "appointment",
    "api./api/v1/medicines": "medicine_uuid",  # issue 11
    "reminders": "medicine",  # also its token links, which answer 404 to a wrong token
    "auth": "device",  # signing out one of the patient's devices (issue 14)
    "sharing": "share_link",  # issue 16; its public /s/<token> links answer 404 to a wrong token
    "caregivers": "caregiver_row",  # issue 16: the patient's side
    "care": "care_patient",  # issue 16: a caregiver's pages of a patient, and invitation tokens
    "height": "height",  # issue 12: a measured height
}
PUBLIC_PARAMETER_ROUTES = {"static", "learn.article"}
# Issue 12: the parameter names a checklist step, not a record; the page is always the signed-in
# patient's own answer (test_bone_checklist_answers_are_each_patients_own below).
OWN_ANSWER_ROUTES = {"bone.item"}


def record_kind(rule) -> str | None:
    blueprint = rule.endpoint.split(".")[0]
    for key, kind in RECORD_OF.items():
        if (
            key == blueprint
            or rule.endpoint.startswith("api.")
            and key.startswith("api.")
            and (rule.rule.startswith(key.split(".", 1)[1]))
        ):
            return kind
    return None


@pytest.fixture
def alice_and_bob(app, client, db):
    alice = make_patient(email="alice@example.com")
    bob = make_patient(email="bob@example.com")
    checkin = make_checkin(alice, notes=SECRET)
    appointment = Appointment(
        user_id=alice.id, starts_at=datetime(2030, 1, 2, 15), kind="spine",
        with_whom="Dr Secret", notes=SECRET, questions=[SECRET],
    )  # fmt: skip
    db.session.add(appointment)
    medicine = Reminder(user_id=alice.id, kind="medicine", name=SECRET, times=["08:00"],
                        start_date=date(2030, 1, 1))  # fmt: skip
    db.session.add(medicine)
    device = DeviceSession(user_id=alice.id, session_hash="a" * 64)
    db.session.add(device)
    share_link = ShareLink(user_id=alice.id, token_hash="0" * 64, period_start=date(2030, 1, 1),
                           period_end=date(2030, 1, 2),
                           expires_at=datetime(2031, 1, 1))  # fmt: skip
    db.session.add(share_link)
    caregiver_row = Caregiver(patient_id=alice.id, email="carol@example.com")
    db.session.add(caregiver_row)
    # Issue 12: a bone-health checklist answer.
    db.session.add(BoneCheckItem(user_id=alice.id, item="dexa", state="done",
                                 on_date=date(2029, 12, 1), t_score=-3.1,
                                 detail=SECRET))  # fmt: skip
    height = HeightMeasurement(user_id=alice.id, measured_on=date(2030, 1, 1), height_mm=1617,
                               place="home", method=SECRET)  # fmt: skip
    db.session.add(height)
    db.session.commit()
    client.post("/login", data={"email": bob.email, "password": PASSWORD})
    return {"checkin": checkin.uuid, "appointment": appointment.uuid, "alice": alice, "bob": bob,
            "medicine": str(medicine.id), "medicine_uuid": medicine.uuid,
            "device": str(device.id), "share_link": str(share_link.id),
            "caregiver_row": str(caregiver_row.id), "care_patient": str(alice.id),
            "height": height.uuid}  # fmt: skip


def test_every_route_with_a_record_id_answers_404_to_another_patient(
    app, client, alice_and_bob, db
):
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint in PUBLIC_PARAMETER_ROUTES | OWN_ANSWER_ROUTES:
            continue
        kind = record_kind(rule)
        assert kind, f"{rule.rule} takes an id but the isolation test does not know its record"
        path = re.sub(r"<[^>]+>", alice_and_bob[kind], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, json={} if "/api/" in path else None)
            assert response.status_code == 404, (method, path, response.status_code)
            assert SECRET not in response.get_data(as_text=True)
            checked.append((method, rule.rule))
    assert len(checked) >= 10
    assert db.session.scalar(select(CheckIn.notes)) == SECRET  # untouched
    assert db.session.scalar(select(Appointment.cancelled_at)) is None
    assert db.session.scalar(select(Reminder.deleted_at)) is None
    assert db.session.scalar(select(HeightMeasurement.height_mm)) == 1617


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/history",
        "/appointments",
        "/api/v1/entries",
        "/api/v1/appointments",
        "/report",
        "/api/v1/medicines",
        "/report.json",
        "/bone-health",  # issue 12
        "/height",  # issue 12
    ],  # fmt: skip
)
def test_lists_and_summaries_never_show_another_patients_records(client, alice_and_bob, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert SECRET not in body and "Dr Secret" not in body


def test_bone_checklist_answers_are_each_patients_own(client, alice_and_bob, db):
    """Issue 12: Bob sees and changes only his own answers, whatever step he opens."""
    alice, bob = alice_and_bob["alice"], alice_and_bob["bob"]
    for path in ("/bone-health", "/bone-health/dexa"):
        body = client.get(path).get_data(as_text=True)
        assert SECRET not in body and "-3.1" not in body
        assert 'value="2029-12-01"' not in body
    response = client.post("/bone-health/dexa", data={"state": "not_for_me", "detail": "Bob's"})
    assert response.status_code == 302
    rows = {r.user_id: r for r in db.session.scalars(select(BoneCheckItem))}
    assert (rows[alice.id].state, rows[alice.id].detail) == ("done", SECRET)
    assert (rows[bob.id].state, rows[bob.id].detail) == ("not_for_me", "Bob's")


def test_the_report_pdf_of_another_patient_cannot_be_had(client, alice_and_bob):
    response = client.get("/report.pdf")
    assert SECRET.encode() not in response.data


def test_a_uuid_used_by_one_patient_neither_overwrites_nor_reveals_it_for_another(
    client, alice_and_bob, db
):
    bob = alice_and_bob["bob"]
    body = {"id": alice_and_bob["checkin"], "date": bob.today().isoformat(), "pain": 2}
    response = client.post("/api/v1/entries", json=body)
    assert response.status_code == 201  # Bob's own new record
    assert SECRET not in response.get_data(as_text=True) and response.json["pain"] == 2
    rows = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
    assert [(r.user_id, r.pain_avg, r.notes) for r in rows] == [
        (alice_and_bob["alice"].id, 5, SECRET),
        (bob.id, 2, None),
    ]
    appointment = {"id": alice_and_bob["appointment"], "date": "2031-03-04", "time": "10:00",
                   "kind": "other"}  # fmt: skip
    response = client.post("/api/v1/appointments", json=appointment)
    assert response.status_code == 201 and "Dr Secret" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 2


def test_html_form_reusing_another_patients_uuid_creates_a_separate_checkin(
    client, alice_and_bob, db
):
    bob = alice_and_bob["bob"]
    form = {
        "id": alice_and_bob["checkin"],
        "date": bob.today().isoformat(),
        "pain": "1",
        "worried": "no",
    }
    response = client.post("/checkin", data=form)
    done = client.get(response.location).get_data(as_text=True)
    assert SECRET not in done
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 2


# Issue 18: the outbox's batch takes ids in its body, not its path.
def test_a_sync_batch_with_another_patients_ids_neither_reveals_nor_changes_them(
    client, alice_and_bob, db
):
    bob = alice_and_bob["bob"]
    records = [
        {"kind": "entry", "id": alice_and_bob["checkin"], "date": bob.today().isoformat(),
         "pain": 2},
        {"kind": "appointment", "id": alice_and_bob["appointment"], "version": 1,
         "cancelled": True, "notes": "Bob was here"},
        {"kind": "appointment", "id": alice_and_bob["appointment"], "date": "2031-03-04",
         "time": "10:00", "appointment_kind": "other"},
        {"kind": "dose", "id": alice_and_bob["checkin"], "medicine_id":
         alice_and_bob["medicine_uuid"], "due": "2030-01-01T08:00", "status": "taken"},
    ]  # fmt: skip
    response = client.post("/api/v1/sync", json={"records": records})
    assert [r["status"] for r in response.json["results"]] == [201, 422, 201, 422]
    assert SECRET not in response.get_data(as_text=True)
    assert "Dr Secret" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 2
    alice_id = alice_and_bob["alice"].id
    alices = db.session.scalar(select(Appointment).where(Appointment.user_id == alice_id))
    assert alices.cancelled_at is None and alices.notes == SECRET
