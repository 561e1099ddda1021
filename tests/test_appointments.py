"""The appointment pages: add, list, see, change, cancel and restore, in the patient's zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from pwa.appointments.services import (
    parse_appointment,
    parse_time,
    split_questions,
    suggested_follow_ups,
)
from pwa.models import Appointment, Profile, new_uuid, utcnow
from pwa.templating import when

from .conftest import make_patient

WORRIED = "If you are worried, call your doctor. Do not wait for the app."


def make_appointment(patient, **overrides) -> Appointment:
    from pwa.extensions import db

    fields = {
        "user_id": patient.id,
        "starts_at": utcnow().replace(microsecond=0) + timedelta(days=7),
        "kind": "spine",
        "with_whom": "Dr Okafor",
        "questions": ["When can I drive?"],
        **overrides,
    }
    appointment = Appointment(**fields)
    db.session.add(appointment)
    db.session.commit()
    return appointment


def form(**overrides) -> dict:
    return {
        "id": new_uuid(),
        "date": "2030-03-04",
        "time": "14:30",
        "kind": "spine",
        "with_whom": "Dr Okafor",
        "location": "City Spine Clinic, 4th floor",
        "phone": "+1 (555) 010-2000",
        "notes": "Bring the MRI disc.",
        "questions": "When can I drive again?\n\n- Can I lift my grandson?\n",
        **overrides,
    }


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment))


def test_appointment_pages_need_sign_in(client):
    response = client.get("/appointments")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/appointments/new").status_code == 302


def test_new_form_carries_the_offline_hook_and_a_fresh_client_id(client, signed_in):
    first = client.get("/appointments/new").get_data(as_text=True)
    second = client.get("/appointments/new").get_data(as_text=True)
    assert 'data-offline-form="appointments"' in first
    ids = [
        re.search(r'name="id" type="hidden" value="([0-9a-f-]{36})"', p)[1] for p in (first, second)
    ]
    assert ids[0] != ids[1]
    assert 'type="date"' in first and 'type="time"' in first
    assert first.count('name="kind" type="radio"') == 6
    assert WORRIED in first


def test_creating_stores_utc_and_shows_local_time_and_a_question_checklist(client, signed_in, db):
    body = form()
    response = client.post("/appointments/new", data=body)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/appointments/{body['id']}")
    saved = db.session.scalar(select(Appointment))
    # 14:30 in New York on 4 March 2030 (standard time, UTC-5) is 19:30 UTC.
    assert saved.starts_at == datetime(2030, 3, 4, 19, 30)
    assert saved.uuid == body["id"] and saved.version == 1 and saved.user_id == signed_in.id
    assert saved.questions == ["When can I drive again?", "Can I lift my grandson?"]
    assert saved.phone == "+1 (555) 010-2000" and saved.location == "City Spine Clinic, 4th floor"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{when(date(2030, 3, 4))}, 2:30 pm" in page  # "Mon 4 Mar 2030, 2:30 pm"
    assert page.count('type="checkbox"') == 2
    assert "Can I lift my grandson?" in page and "Spine specialist" in page
    assert 'href="tel:+1(555)010-2000"' in page
    assert WORRIED in page


def test_summer_time_in_the_patients_own_zone_is_converted(client, auth, db):
    patient = make_patient(timezone="Europe/London")
    auth.login(patient.email)
    client.post("/appointments/new", data=form(date="2030-07-01", time="09:00"))
    assert db.session.scalar(select(Appointment.starts_at)) == datetime(2030, 7, 1, 8, 0)


def test_submitting_the_same_form_twice_saves_one_appointment(client, signed_in, db):
    body = form()
    first = client.post("/appointments/new", data=body)
    second = client.post("/appointments/new", data=body, follow_redirects=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "already saved" in second.get_data(as_text=True)
    assert count(db) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": ""}, "date", "Please enter the date of the appointment."),
        ({"date": "2030-02-30"}, "date", "Please enter a real date"),
        ({"date": "next tuesday"}, "date", "Please enter a real date"),
        ({"time": "25:00"}, "time", "Please enter a time like 14:30"),
        ({"time": ""}, "time", "Please enter the time"),
        ({"phone": "call Mary"}, "phone", "only numbers"),
        ({"notes": "x" * 2001}, "notes", "2,000 characters or fewer (it has 2,001)"),
        ({"kind": ""}, "kind", "Please choose what kind of appointment"),
        ({"kind": "dentist"}, "kind", "Please choose one of the kinds"),
        ({"questions": "why?\n" + "y" * 301}, "questions", "Question 2 is long"),
    ],
)
def test_bad_input_shows_a_message_by_the_field_and_keeps_the_rest(
    client, signed_in, db, overrides, field, message
):
    body = form(**overrides)
    response = client.post("/appointments/new", data=body)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error[1]
    assert page.count('class="field-error"') == 1
    # Everything else the patient typed is still in the form, with the same client id.
    assert f'value="{body["id"]}"' in page
    for name in ("with_whom", "location"):
        assert f'value="{body[name]}"' in page
    if field != "questions":
        assert "Can I lift my grandson?" in page
    assert count(db) == 0


def test_lists_show_upcoming_soonest_first_then_past_latest_first_then_cancelled(client, signed_in):
    now = utcnow()
    make_appointment(signed_in, starts_at=now + timedelta(days=30), with_whom="Later visit")
    make_appointment(signed_in, starts_at=now + timedelta(days=2), with_whom="Soon visit")
    make_appointment(signed_in, starts_at=now - timedelta(days=40), with_whom="Old visit")
    make_appointment(signed_in, starts_at=now - timedelta(days=3), with_whom="Recent visit")
    make_appointment(
        signed_in, starts_at=now + timedelta(days=5), with_whom="Called off", cancelled_at=now
    )
    page = client.get("/appointments").get_data(as_text=True)
    order = [
        page.index(f"with {name}")
        for name in ("Soon visit", "Later visit", "Recent visit", "Old visit", "Called off")
    ]
    assert order == sorted(order)
    assert page.index("Coming up") < order[0] < page.index("<h2>Past</h2>") < order[2]
    assert page.index("<h2>Cancelled</h2>") < order[4]
    # Issue 12: a booked spine visit hides the spine suggestions, not the bone scan's.
    assert "A review of your pain and how you move" not in page
    assert "A bone density (DEXA) scan" in page
    assert WORRIED in page


def test_an_appointment_earlier_today_is_still_upcoming(client, auth):
    patient = make_patient(timezone="UTC")
    auth.login(patient.email)
    now = utcnow()
    start_of_day = datetime.combine(now.date(), time(0, 0))
    make_appointment(patient, starts_at=start_of_day, with_whom="Morning visit")
    page = client.get("/appointments").get_data(as_text=True)
    assert page.index("with Morning visit") < page.index("<h2>Past</h2>")


def test_empty_list_suggests_the_usual_follow_ups_with_a_prefilled_form(client, auth):
    today = utcnow().date()
    patient = make_patient(
        profile={"treatment": "kyphoplasty", "procedure_date": today - timedelta(days=3)},
        timezone="UTC",
    )
    auth.login(patient.email)
    page = client.get("/appointments").get_data(as_text=True)
    assert "No appointments coming up." in page
    assert "A check of the wound and your pain" in page
    assert "10 to 14 days after your balloon kyphoplasty" in page
    wound_day = (today + timedelta(days=7)).isoformat()
    assert f"/appointments/new?kind=spine&amp;date={wound_day}" in page
    prefilled = client.get(f"/appointments/new?kind=spine&date={wound_day}").get_data(as_text=True)
    assert f'value="{wound_day}"' in prefilled
    assert 'checked id="kind-0" name="kind" type="radio" value="spine"' in prefilled


def test_prefill_ignores_unknown_kinds_and_bad_dates(client, signed_in):
    page = client.get("/appointments/new?kind=dentist&date=soon")
    assert page.status_code == 200 and "checked" not in page.get_data(as_text=True)


def test_suggestions_follow_the_treatment_and_dates():
    today = date(2026, 11, 21)
    kypho = Profile(
        treatment="vertebroplasty",
        procedure_date=date(2026, 11, 18),
        fracture_date=date(2026, 11, 1),
        last_dexa_date=date(2025, 1, 1),
    )
    titles = [s.title for s in suggested_follow_ups(kypho, today)]
    assert titles[0] == "A check of the wound and your pain"
    assert any("DEXA" in t for t in titles)
    assert suggested_follow_ups(kypho, today)[1].day == date(2026, 12, 30)  # 6 weeks after

    nonsurgical = Profile(
        treatment="nonsurgical", fracture_date=date(2026, 6, 1), last_dexa_date=date(2026, 7, 1)
    )
    titles = [s.title for s in suggested_follow_ups(nonsurgical, today)]
    assert not any("wound" in t for t in titles)  # no procedure, no wound
    assert not any("DEXA" in t for t in titles)  # scanned since the fracture
    assert not any("6 weeks" in s.when for s in suggested_follow_ups(nonsurgical, today))
    assert suggested_follow_ups(None, today) == []


def test_editing_saves_and_raises_the_version(client, signed_in, db):
    appointment = make_appointment(signed_in)
    page = client.get(f"/appointments/{appointment.uuid}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    assert "When can I drive?" in page and "data-offline-form" not in page
    body = form(version="1", with_whom="Dr Chen", questions="Is the cement settled?")
    response = client.post(f"/appointments/{appointment.uuid}/edit", data=body)
    assert response.status_code == 302
    db.session.refresh(appointment)
    assert appointment.version == 2 and appointment.with_whom == "Dr Chen"
    assert appointment.questions == ["Is the cement settled?"]
    assert appointment.starts_at == datetime(2030, 3, 4, 19, 30)


def test_a_stale_version_says_so_keeps_the_typing_and_changes_nothing(client, signed_in, db):
    appointment = make_appointment(signed_in, version=3, with_whom="Dr Saved")
    body = form(version="2", with_whom="Dr Typed", notes="My own careful notes")
    response = client.post(f"/appointments/{appointment.uuid}/edit", data=body)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed on another device" in page and "What is saved now" in page
    assert 'value="Dr Typed"' in page and "My own careful notes" in page
    assert "Dr Saved" in page  # what is stored, shown beside the form
    assert 'name="version" type="hidden" value="3"' in page  # saving again keeps the typing
    db.session.refresh(appointment)
    assert (appointment.version, appointment.with_whom) == (3, "Dr Saved")

    again = client.post(f"/appointments/{appointment.uuid}/edit", data={**body, "version": "3"})
    assert again.status_code == 302
    db.session.refresh(appointment)
    assert (appointment.version, appointment.with_whom) == (4, "Dr Typed")


def test_a_garbled_version_is_refused_without_saving(client, signed_in, db):
    appointment = make_appointment(signed_in)
    response = client.post(f"/appointments/{appointment.uuid}/edit", data=form(version="x"))
    assert response.status_code == 200 and "out of date" in response.get_data(as_text=True)
    db.session.refresh(appointment)
    assert appointment.version == 1


def test_cancelling_asks_first_then_keeps_the_row_marked_cancelled(client, signed_in, db):
    appointment = make_appointment(signed_in)
    detail = client.get(f"/appointments/{appointment.uuid}").get_data(as_text=True)
    assert f'href="/appointments/{appointment.uuid}/cancel"' in detail
    confirm = client.get(f"/appointments/{appointment.uuid}/cancel").get_data(as_text=True)
    assert "Cancel this appointment?" in confirm and "Yes, cancel it" in confirm
    assert '<form method="post">' in confirm and WORRIED in confirm
    db.session.refresh(appointment)
    assert appointment.cancelled_at is None  # looking at the question changes nothing

    response = client.post(f"/appointments/{appointment.uuid}/cancel", follow_redirects=True)
    assert "This appointment is cancelled." in response.get_data(as_text=True)
    db.session.refresh(appointment)
    assert appointment.cancelled and appointment.version == 2 and count(db) == 1
    listing = client.get("/appointments").get_data(as_text=True)
    assert listing.index("<h2>Cancelled</h2>") < listing.index("with Dr Okafor")

    restored = client.post(f"/appointments/{appointment.uuid}/restore", follow_redirects=True)
    assert "back in your list" in restored.get_data(as_text=True)
    db.session.refresh(appointment)
    assert not appointment.cancelled and appointment.version == 3


def test_another_patients_appointment_answers_404_on_every_page(client, signed_in, db):
    other = make_patient()
    theirs = make_appointment(other, with_whom="Their doctor")
    base = f"/appointments/{theirs.uuid}"
    responses = [
        client.get(base),
        client.get(f"{base}/edit"),
        client.post(f"{base}/edit", data=form(version="1")),
        client.get(f"{base}/cancel"),
        client.post(f"{base}/cancel"),
        client.post(f"{base}/restore"),
    ]
    assert [r.status_code for r in responses] == [404] * 6
    assert "Their doctor" not in client.get("/appointments").get_data(as_text=True)
    # Their UUID reused in my new-appointment form makes my own record, theirs untouched.
    client.post("/appointments/new", data=form(id=theirs.uuid, with_whom="My doctor"))
    db.session.refresh(theirs)
    assert (theirs.with_whom, theirs.version, theirs.user_id) == ("Their doctor", 1, other.id)
    mine = db.session.scalar(select(Appointment).where(Appointment.user_id == signed_in.id))
    assert mine.uuid == theirs.uuid and mine.with_whom == "My doctor"


def test_unknown_ids_answer_404(client, signed_in):
    assert client.get("/appointments/not-a-uuid").status_code == 404
    assert client.get(f"/appointments/{new_uuid()}").status_code == 404


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30", time(14, 30)),
        ("9:05", time(9, 5)),
        ("14.30", time(14, 30)),
        ("14:30:00", time(14, 30)),
        ("2:30 pm", time(14, 30)),
        ("2:30 P.M.", time(14, 30)),
        ("12:15 am", time(0, 15)),
        ("12:00 pm", time(12, 0)),
        ("24:00", None),
        ("13:00 pm", None),
        ("2:30 x", None),
        ("14:30m", None),
        ("noon", None),
    ],
)
def test_times_typed_by_hand_are_understood(text, expected):
    assert parse_time(text) == expected


def test_questions_one_per_line_drop_blanks_and_list_markers():
    assert split_questions("  - First?\n\n* Second?\r\n• Third?\n   \n") == [
        "First?",
        "Second?",
        "Third?",
    ]


def test_parse_refuses_wrong_types_with_messages_per_field():
    values, errors = parse_appointment(
        {"date": 20300304, "time": ["14:30"], "kind": "spine", "questions": [1, 2], "notes": 5},
        "America/New_York",
        date(2026, 11, 21),
    )
    assert set(errors) == {"date", "time", "questions", "notes"}
    assert errors["date"] == ["Please send this as text."]


def test_parse_catches_a_year_typed_wrongly():
    _, errors = parse_appointment(
        {"date": "2206-03-04", "time": "10:00", "kind": "other"}, "UTC", date(2026, 11, 21)
    )
    assert "Please check the year" in errors["date"][0]


def test_a_duplicate_committed_by_another_worker_meanwhile_is_returned_not_doubled(
    app, db, monkeypatch
):
    from pwa.appointments import services

    patient = make_patient()
    existing = make_appointment(patient)
    real_find = services.find_appointment
    calls = []

    def find_missing_first_time(session, who, uuid):
        calls.append(uuid)  # the first look happens before the other worker's commit
        return None if len(calls) == 1 else real_find(session, who, uuid)

    monkeypatch.setattr(services, "find_appointment", find_missing_first_time)
    values = {"starts_at": datetime(2030, 1, 1, 12), "kind": "other"}
    found, created = services.create_appointment(db.session, patient, existing.uuid, values)
    assert (found.id, created) == (existing.id, False) and count(db) == 1


def test_the_version_check_is_in_the_update_itself_so_a_stale_copy_cannot_win(app, db):
    from sqlalchemy import text

    from pwa.appointments.services import StaleVersion, update_appointment

    appointment = make_appointment(make_patient(), with_whom="First")
    # Another worker saves version 2 while this one still holds version 1 in memory.
    db.session.execute(
        text("UPDATE appointments SET version = 2, with_whom = 'Other' WHERE id = :id"),
        {"id": appointment.id},
    )
    assert appointment.version == 1
    with pytest.raises(StaleVersion) as stale:
        update_appointment(db.session, appointment, {"with_whom": "Mine"}, 1, utcnow())
    assert (stale.value.current.version, stale.value.current.with_whom) == (2, "Other")


def test_cancelling_after_an_edit_elsewhere_keeps_that_edit_and_cancels(app, db):
    from sqlalchemy import text

    from pwa.appointments.services import cancel_appointment

    appointment = make_appointment(make_patient(), with_whom="First")
    db.session.execute(
        text("UPDATE appointments SET version = 2, with_whom = 'Edited' WHERE id = :id"),
        {"id": appointment.id},
    )
    cancel_appointment(db.session, appointment, utcnow())
    assert appointment.cancelled and appointment.version == 3
    assert appointment.with_whom == "Edited"
