"""Caregivers: invited by e-mail, accepted with their own account, read-only, removable at once.

Isolation: a caregiver of A sees nothing of B on any caregiver route, and nothing of A once A
removes them; the route list comes from the URL map, so a caregiver route added later is covered.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from pwa.caregivers.notify import send_alerts  # noqa: F401  (the listener is registered)
from pwa.extensions import db
from pwa.models import AccessLogEntry, Appointment, Caregiver, CheckIn, CheckInAuthor

from .conftest import (
    PASSWORD,
    app_sending_mail,
    make_checkin,
    make_patient,
)

SECRET_A = "Ann private note 41"
SECRET_B = "Ben private note 77"


@pytest.fixture
def app(tmp_path, mail):
    yield from app_sending_mail(tmp_path, mail, PUBLIC_URL="http://upright.test")


def login(client, email):
    client.post("/logout")
    client.post("/login", data={"email": email, "password": PASSWORD})


def invite_and_accept(app, mail, patient, carer, can_check_in=False, sent_before=0) -> Caregiver:
    client = app.test_client()
    login(client, patient.email)
    data = {"email": carer.email, **({"can_check_in": "y"} if can_check_in else {})}
    assert client.post("/caregivers", data=data).status_code == 302
    message = mail.wait_for(sent_before + 1)[sent_before]
    url = re.search(r"http://\S+/care/accept/\S+", message.get_content()).group(0)
    path = url.split("upright.test", 1)[1] if "upright.test" in url else url.split("localhost")[1]
    other = app.test_client()
    login(other, carer.email)
    assert f"Accept as {carer.name}" in other.get(path).get_data(as_text=True)
    assert other.post(path).status_code == 302
    return db.session.scalar(
        select(Caregiver).where(
            Caregiver.patient_id == patient.id, Caregiver.caregiver_id == carer.id
        )
    )


@pytest.fixture
def people(app, mail):
    ann = make_patient(name="Ann", email="ann@example.com")
    ben = make_patient(name="Ben", email="ben@example.com")
    carol = make_patient(name="Carol", email="carol@example.com", profile=None)
    make_checkin(ann, notes=SECRET_A)
    make_checkin(ben, notes=SECRET_B)
    db.session.add(Appointment(user_id=ben.id, starts_at=datetime(2030, 1, 2, 15), kind="spine",
                               with_whom=SECRET_B))  # fmt: skip
    db.session.commit()
    invite_and_accept(app, mail, ann, carol, can_check_in=True)
    return ann, ben, carol


def care_routes(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("care.") and
            "patient_id" in r.arguments]  # fmt: skip


def test_a_caregiver_reads_the_patients_pages_and_each_look_is_logged(app, people):
    ann, _ben, carol = people
    client = app.test_client()
    login(client, carol.email)
    for path in ("", "/history", "/appointments", "/report"):
        response = client.get(f"/care/{ann.id}{path}")
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store"
    assert SECRET_A in client.get(f"/care/{ann.id}/history").get_data(as_text=True)
    pdf = client.get(f"/care/{ann.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert "<form" not in client.get(f"/care/{ann.id}/history").get_data(as_text=True).split(
        "<main", 1)[1].split("</main>")[0]  # fmt: skip
    views = db.session.scalars(
        select(AccessLogEntry.detail).where(
            AccessLogEntry.user_id == ann.id, AccessLogEntry.kind == "caregiver_view"
        )
    ).all()
    assert "Carol: history" in views and "Carol: report (PDF)" in views
    assert "Ann" in client.get("/care").get_data(as_text=True)


def test_a_caregiver_of_one_patient_sees_nothing_of_another_on_any_route(app, people):
    ann, ben, carol = people
    client = app.test_client()
    login(client, carol.email)
    checked = 0
    for rule in care_routes(app):
        path = re.sub(r"<[^>]+>", str(ben.id), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={"pain": "3", "date": "2030-01-01"})
            assert response.status_code == 404, (method, path)
            assert SECRET_B not in response.get_data(as_text=True)
            checked += 1
    assert checked >= 7
    assert db.session.scalar(select(CheckIn.pain_avg).where(CheckIn.user_id == ben.id)) == 5


def test_removal_takes_effect_at_once(app, people):
    ann, _ben, carol = people
    carer = app.test_client()
    login(carer, carol.email)
    assert carer.get(f"/care/{ann.id}/history").status_code == 200
    patient = app.test_client()
    login(patient, ann.email)
    row = db.session.scalar(select(Caregiver).where(Caregiver.patient_id == ann.id))
    assert "Carol" in patient.get("/caregivers").get_data(as_text=True)
    assert patient.post(f"/caregivers/{row.id}/remove").status_code == 302
    for rule in care_routes(app):
        path = re.sub(r"<[^>]+>", str(ann.id), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = carer.open(path, method=method)
            assert response.status_code == 404, (method, path)
            assert SECRET_A not in response.get_data(as_text=True)
    assert "Ann" not in carer.get("/care").get_data(as_text=True).split("<main", 1)[1]


def test_a_check_in_on_the_patients_behalf_is_marked_entered_by(app, people):
    ann, _ben, carol = people
    carer = app.test_client()
    login(carer, carol.email)
    form = carer.get(f"/care/{ann.id}/checkin").get_data(as_text=True)
    assert "data-offline-form" not in form  # the outbox on this phone is Carol's own
    uuid = re.search(r'<input[^>]*name="id"[^>]*value="([^"]+)"', form).group(1)
    response = carer.post(
        f"/care/{ann.id}/checkin",
        data={
            "id": uuid,
            "date": ann.today().isoformat(),
            "pain": "2",
            "worried": "no",
            "notes": "by Carol",
        },  # fmt: skip
    )
    assert response.status_code == 302
    saved = db.session.scalar(select(CheckIn).where(CheckIn.notes == "by Carol"))
    assert saved.user_id == ann.id
    assert db.session.get(CheckInAuthor, saved.id).name == "Carol"
    assert db.session.scalar(select(CheckIn).where(CheckIn.user_id == carol.id)) is None
    patient = app.test_client()
    login(patient, ann.email)
    assert "entered by Carol" in patient.get("/history").get_data(as_text=True)
    assert "Entered by Carol" in patient.get("/report").get_data(as_text=True)
    assert "entered by Carol" in carer.get(f"/care/{ann.id}/history").get_data(as_text=True)


def test_a_caregiver_not_allowed_to_check_in_cannot(app, mail, people):
    ann, ben, carol = people
    invite_and_accept(app, mail, ben, carol, can_check_in=False, sent_before=1)
    carer = app.test_client()
    login(carer, carol.email)
    assert carer.get(f"/care/{ben.id}").status_code == 200
    assert carer.get(f"/care/{ben.id}/checkin").status_code == 404
    assert carer.post(f"/care/{ben.id}/checkin", data={"pain": "1"}).status_code == 404


def test_the_caregiver_can_choose_an_email_on_urgent_signs(app, mail, people):
    ann, _ben, carol = people
    carer = app.test_client()
    login(carer, carol.email)
    carer.post(f"/care/{ann.id}/notifications", data={"notify_warnings": "y"})
    patient = app.test_client()
    login(patient, ann.email)
    patient.post("/checkin", data={"date": ann.today().isoformat(), "pain": "6", "worried": "yes",
                                   "warning_signs": ["fever"]})  # fmt: skip
    for thread in app.extensions.get("caregiver_alert_threads", []):
        thread.join(timeout=10)
    messages = mail.wait_for(2)
    alert = messages[-1]
    assert alert["To"].endswith("<carol@example.com>")
    assert alert["Subject"] == "Ann recorded an urgent sign"
    assert "call their doctor today" in alert.get_content()
    # A routine sign sends nothing more.
    patient.post("/checkin", data={"date": ann.today().isoformat(), "pain": "3", "worried": "yes",
                                   "warning_signs": ["near_fall"]})  # fmt: skip
    for thread in app.extensions.get("caregiver_alert_threads", []):
        thread.join(timeout=10)
    assert len(mail.wait_for(3, timeout=1)) == 2


def test_invitations_that_make_no_sense_are_refused_next_to_the_field(app, people):
    ann, _ben, carol = people
    client = app.test_client()
    login(client, ann.email)
    own = client.post("/caregivers", data={"email": "ANN@example.com"})
    assert own.status_code == 400 and "your own address" in own.get_data(as_text=True)
    again = client.post("/caregivers", data={"email": carol.email})
    assert "already invited or already has access" in again.get_data(as_text=True)
    bad = client.post("/caregivers", data={"email": "not an address"})
    assert "does not look like an e-mail address" in bad.get_data(as_text=True)


def test_an_invitation_link_works_once_and_asks_strangers_to_sign_in(app, mail, people):
    ann, ben, _carol = people
    client = app.test_client()
    login(client, ann.email)
    client.post("/caregivers", data={"email": "dan@example.com"})
    url = re.search(r"/care/accept/\S+", mail.wait_for(2)[1].get_content()).group(0)
    stranger = app.test_client()
    page = stranger.get(url).get_data(as_text=True)
    assert "First sign in" in page and SECRET_A not in page
    assert stranger.post(url).status_code in (200, 400)  # no account: nothing accepted
    login(stranger, ben.email)
    assert stranger.post(url).status_code == 302
    assert stranger.get(url).status_code == 404  # used


def test_the_patient_can_take_back_and_give_the_check_in_permission(app, people):
    ann, _ben, carol = people
    row = db.session.scalar(select(Caregiver).where(Caregiver.patient_id == ann.id))
    patient = app.test_client()
    login(patient, ann.email)
    assert "Stop them entering check-ins" in patient.get("/caregivers").get_data(as_text=True)
    patient.post(f"/caregivers/{row.id}/permission", data={"can_check_in": ""})
    carer = app.test_client()
    login(carer, carol.email)
    assert carer.get(f"/care/{ann.id}/checkin").status_code == 404
    patient.post(f"/caregivers/{row.id}/permission", data={"can_check_in": "y"})
    assert carer.get(f"/care/{ann.id}/checkin").status_code == 200
