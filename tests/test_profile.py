"""The recovery profile and account settings."""

from datetime import date

from .conftest import make_patient


def test_profile_saves_every_field(client, app, auth, db):
    patient = make_patient(profile=None)
    auth.login(patient.email)
    response = client.post(
        "/profile",
        data={
            "fracture_levels": "t12 l1", "fracture_date": "2026-09-01",
            "fracture_cause": "cough_sneeze",
            "treatment": "kyphoplasty", "procedure_date": "2026-09-10", "procedure_levels": "T12",
            "brace_prescribed": "yes", "osteoporosis_diagnosed": "",
            "osteoporosis_medicine": "Alendronate",
            "osteoporosis_medicine_start": "2026-09-20", "last_dexa_date": "2025-05-01",
            "doctor_name": "Dr Rivera", "clinic_phone": "+1 (555) 010-2000",
            "emergency_contact_name": "Maria", "emergency_contact_phone": "555 010 3000",
            "date_of_birth": "1950-03-02",
        },
    )  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(patient)
    profile = patient.profile
    assert profile.fracture_levels == "T12, L1" and profile.procedure_levels == "T12"
    assert profile.brace_prescribed is True and profile.osteoporosis_diagnosed is None
    assert profile.start_date == date(2026, 9, 10)
    assert profile.clinic_phone == "+1 (555) 010-2000"


def test_profile_errors_sit_next_to_the_field_and_keep_the_rest(client, signed_in):
    html = client.post(
        "/profile",
        data={"fracture_levels": "T13", "fracture_date": "2026-09-05",
              "procedure_date": "2026-09-01",
              "clinic_phone": "call me", "doctor_name": "Dr Rivera"},
    ).get_data(as_text=True)  # fmt: skip
    assert 'id="fracture_levels-error"' in html and "T13 is not a spine level" in html
    assert 'id="procedure_date-error"' in html and 'id="clinic_phone-error"' in html
    assert 'value="Dr Rivera"' in html


def test_new_patients_are_sent_to_the_profile_from_home(client, app, auth):
    patient = make_patient(profile=None)
    auth.login(patient.email)
    assert "/profile" in client.get("/").location


def test_account_settings_change_zone_emergency_number_and_paper(client, signed_in, db):
    response = client.post(
        "/account",
        data={
            "name": "Ann",
            "timezone": "Europe/London",
            "emergency_number": "999",
            "paper_size": "a4",
        },
    )
    assert response.status_code == 302
    db.session.refresh(signed_in)
    assert (signed_in.timezone, signed_in.emergency_number, signed_in.paper_size) == (
        "Europe/London",
        "999",
        "a4",
    )
    bad = client.post(
        "/account", data={"name": "Ann", "timezone": "Nowhere", "emergency_number": "9x"}
    )
    html = bad.get_data(as_text=True)
    assert 'id="timezone-error"' in html and 'id="emergency_number-error"' in html


def test_home_shows_checkin_state(client, signed_in):
    html = client.get("/").get_data(as_text=True)
    assert "Daily check-in" in html and "You have checked in today" not in html
