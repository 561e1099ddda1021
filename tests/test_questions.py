"""Issue 12 point 4: questions for the visit suggested from the diary and the open checklist
items; adding, editing and removing them; ticks saved; what the doctor said, after the visit;
and all of it in the report."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from pwa.appointments.services import carry_ticks
from pwa.bone.questions import MAX_SUGGESTIONS, suggested_questions
from pwa.data.importer import import_export, read_export
from pwa.extensions import db as _db
from pwa.models import (
    Appointment,
    BoneCheckItem,
    CheckIn,
    HeightMeasurement,
    Reminder,
    WarningEvent,
    utcnow,
)

from .conftest import make_patient

NOW = datetime(2026, 11, 16, 15, 0)  # 10:00 in New York, Monday 16 Nov 2026
FRACTURE = date(2026, 9, 14)  # 9 weeks before NOW

NEW_PAIN = "On 12 Nov I had sudden new pain in my lower back. Could it be a new fracture?"
LATE = (
    "My Prolia 60 mg dose is overdue (the app noted it on 10 Nov). How soon can I have it, "
    "and is a late dose a risk for my spine?"
)
FALLS = (
    "I fell on 25 Oct and 8 Nov. Could you check why I fall, and what would help me not fall again?"
)
PAIN = (
    "It is 9 weeks since my fracture and my pain has not got much better: it is still about 6 "
    "out of 10 (it was 7 at the start). What else can we try, and should my back be checked?"
)
HEIGHT = (
    "My height went from 165 cm on 1 Oct to 162.5 cm on 5 Nov. Do I need a spine x-ray or a "
    "vertebral fracture assessment?"
)
DEXA = "It is 9 weeks since my fracture and I have not had a bone density scan. Should I have one?"
MEDICINE = "Should I start a medicine for osteoporosis, and which one would suit me?"


def add(*rows):
    _db.session.add_all(rows)
    _db.session.commit()
    return rows


def checkin(patient, day: date, pain: int, **fields) -> CheckIn:
    (row,) = add(CheckIn(user_id=patient.id, date=day, pain_avg=pain, **fields))
    return row


def event(patient, sign: str, day: date, tier: str = "urgent", checkin_id=None, computed=False):
    return add(
        WarningEvent(
            user_id=patient.id,
            sign=sign,
            tier=tier,
            day=day,
            checkin_id=checkin_id,
            computed=computed,
            occurred_at=datetime.combine(day, datetime.min.time()) + timedelta(hours=20),
        )
    )[0]


def appointment(patient, starts_at: datetime, **fields) -> Appointment:
    return add(Appointment(user_id=patient.id, starts_at=starts_at, kind="spine", **fields))[0]


@pytest.fixture
def diary(app):
    """A scripted diary: a visit on 20 Oct, then two falls, a new pain with a sudden-pain sign,
    a late Prolia dose, lost height, pain still 6 of 10 at 9 weeks, blood tests done."""
    patient = make_patient(profile={"fracture_date": FRACTURE})
    appointment(patient, datetime(2026, 10, 20, 14), with_whom="Dr Last")  # the last visit
    for day in (date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)):
        checkin(patient, day, 7, locations=["middle_back"])
    checkin(patient, date(2026, 10, 15), 6, fell=True, fall_injured=False)  # before the visit
    checkin(patient, date(2026, 10, 25), 6, fell=True, fall_injured=False)
    checkin(patient, date(2026, 11, 8), 6, fell=True, fall_injured=False)
    for n in range(10, 17):
        day = date(2026, 11, n)
        if day == date(2026, 11, 12):
            sudden = checkin(patient, day, 6, locations=["middle_back", "lower_back"])
            event(patient, "sudden_pain", day, checkin_id=sudden.id)
        else:
            checkin(patient, day, 6, locations=["middle_back"])
    event(patient, "medicine_late", date(2026, 11, 10), computed=True)
    event(patient, "height_loss", date(2026, 11, 5), tier="routine", computed=True)
    add(
        Reminder(
            user_id=patient.id,
            kind="medicine",
            name="Prolia 60 mg",
            frequency="every_n_months",
            interval_months=6,
            times=["09:00"],
            start_date=date(2026, 5, 1),
        ),
        HeightMeasurement(
            user_id=patient.id, measured_on=date(2026, 10, 1), height_mm=1650, place="clinic"
        ),
        HeightMeasurement(
            user_id=patient.id, measured_on=date(2026, 11, 5), height_mm=1625, place="clinic"
        ),
        BoneCheckItem(user_id=patient.id, item="bloods", state="done"),
    )
    visit = appointment(patient, datetime(2026, 11, 20, 14), with_whom="Dr Next")
    return patient, visit


def texts(patient, visit, now=NOW) -> list[str]:
    return [s.text for s in suggested_questions(_db.session, patient, visit, now)]


def test_suggestions_from_a_scripted_diary_most_important_first_at_most_five(diary):
    patient, visit = diary
    found = suggested_questions(_db.session, patient, visit, NOW)
    assert len(found) == MAX_SUGGESTIONS
    assert [s.text for s in found] == [NEW_PAIN, LATE, FALLS, PAIN, HEIGHT]
    assert [s.key for s in found] == [
        "new_pain:2026-11-12",
        "medicine_late:2026-11-10",
        "falls:2026-11-08",
        "pain_not_improving",
        "height_loss",
    ]


def test_removed_and_added_suggestions_do_not_come_back_and_the_next_ones_move_up(diary):
    patient, visit = diary
    visit.suggestions_dismissed = ["new_pain:2026-11-12"]  # removed
    visit.questions = [LATE]  # added as it was
    _db.session.commit()
    assert texts(patient, visit) == [FALLS, PAIN, HEIGHT, DEXA, MEDICINE]
    # Added in the patient's own words: its key is remembered, so the wording may differ.
    visit.questions = [LATE, "Are my falls a worry?"]
    visit.suggestions_dismissed = [*visit.suggestions_dismissed, "falls:2026-11-08"]
    _db.session.commit()
    assert FALLS not in texts(patient, visit)


def test_a_new_fact_is_a_new_suggestion_even_after_an_older_one_was_removed(diary):
    patient, visit = diary
    visit.suggestions_dismissed = ["falls:2026-11-08"]
    _db.session.commit()
    assert FALLS not in texts(patient, visit)
    checkin(patient, date(2026, 11, 17), 6, fell=True, fall_injured=True)
    later = NOW + timedelta(days=1)
    found = suggested_questions(_db.session, patient, visit, later)
    fall = next(s for s in found if s.key.startswith("falls:"))
    assert fall.key == "falls:2026-11-17"
    assert fall.text.startswith("I fell on 25 Oct, 8 Nov and 17 Nov and was hurt.")
    assert found[0].key == "new_pain:2026-11-12" and fall.tier == 0  # injured: urgent


def test_no_suggestions_once_the_visit_has_started_or_when_it_is_cancelled(diary):
    patient, visit = diary
    assert texts(patient, visit, now=visit.starts_at) == []
    visit.cancelled_at = NOW
    _db.session.commit()
    assert texts(patient, visit) == []


def test_a_scan_since_the_fracture_or_a_settled_item_is_not_suggested(app):
    patient = make_patient(profile={"fracture_date": FRACTURE})
    visit = appointment(patient, datetime(2026, 11, 20, 14))
    assert texts(patient, visit) == [
        DEXA,
        "Should I have blood tests for vitamin D, calcium and kidney function?",
        MEDICINE,
        "Could I have a falls review, to find out what makes me likely to fall?",
        "Could you refer me to physiotherapy or an exercise programme for my back, strength and "
        "balance?",
    ]
    add(
        BoneCheckItem(user_id=patient.id, item="dexa", state="done", on_date=date(2026, 10, 2)),
        BoneCheckItem(user_id=patient.id, item="medicine", state="not_for_me"),
        BoneCheckItem(user_id=patient.id, item="bloods", state="booked"),
    )
    assert texts(patient, visit) == [
        "Could I have a falls review, to find out what makes me likely to fall?",
        "Could you refer me to physiotherapy or an exercise programme for my back, strength and "
        "balance?",
        "Is there a fracture liaison service or bone health clinic you could refer me to?",
    ]


def test_pain_not_improving_is_read_from_the_diary_only_between_6_and_12_weeks(app):
    patient = make_patient(profile={"fracture_date": FRACTURE})
    visit = appointment(patient, datetime(2027, 1, 20, 14))
    for day in (date(2026, 9, 15), date(2026, 9, 16), date(2026, 9, 17)):
        checkin(patient, day, 8)
    for n in range(10, 17):
        checkin(patient, date(2026, 11, n), 3)  # 3 of 10, and 62% better than 8: improving
    assert not any("pain" in t for t in texts(patient, visit))
    for n in range(17, 24):
        checkin(patient, date(2026, 11, n), 6)  # 6 of 10 at 10 weeks
    later = datetime(2026, 11, 23, 15)
    assert any(
        t.startswith("It is 10 weeks since my fracture") for t in texts(patient, visit, later)
    )
    much_later = datetime(2026, 12, 20, 15)  # 13 weeks, and no diary this week: nothing to say
    assert not any("since my fracture and my pain" in t for t in texts(patient, visit, much_later))


def test_a_new_pain_location_without_a_sign_is_suggested_with_its_date(app):
    patient = make_patient(profile={"fracture_date": FRACTURE})
    visit = appointment(patient, datetime(2026, 11, 20, 14))
    checkin(patient, date(2026, 11, 1), 5, locations=["middle_back"])
    checkin(patient, date(2026, 11, 9), 5, locations=["middle_back", "legs"])
    assert texts(patient, visit)[0] == (
        "On 9 Nov I had new pain spreading to my legs, where I had not had it before. "
        "Could it be a new fracture?"
    )


def test_editing_a_question_keeps_its_tick_when_it_is_the_same_question():
    old = ["When can I drive?", "Can I lift my grandson?", "Do I need a brace?"]
    asked = ["When can I drive?", "Can I lift my grandson?", "Do I need a brace?"]
    new = ["When can I drive again?", "What about swimming?", "Do I need a brace?"]
    assert carry_ticks(old, new, asked) == ["When can I drive again?", "Do I need a brace?"]
    assert carry_ticks(old, ["Do I need a brace?"], asked) == ["Do I need a brace?"]


# --------------------------------------------------------------------------- the pages


def upcoming(patient, **fields) -> Appointment:
    return appointment(
        patient, utcnow().replace(microsecond=0) + timedelta(days=5), with_whom="Dr Ngata", **fields
    )


@pytest.fixture
def fresh_fracture(client, auth):
    """A signed-in patient 9 weeks after the fracture, nothing on the checklist yet."""
    patient = make_patient(profile={"fracture_date": date.today() - timedelta(weeks=9)})
    auth.login(patient.email)
    return patient


def test_the_page_adds_edits_and_removes_suggestions_and_keeps_the_old_questions(
    client, fresh_fracture
):
    visit = upcoming(fresh_fracture, questions=["When can I drive?"])
    url = f"/appointments/{visit.uuid}"
    page = client.get(url).get_data(as_text=True)
    assert "Suggested questions" in page and DEXA in page
    assert "The ticks are not saved" not in page
    response = client.post(f"{url}/suggestions", data={"key": "checklist:dexa", "action": "add"})
    assert response.status_code == 302
    response = client.post(
        f"{url}/suggestions",
        data={"key": "checklist:medicine", "action": "edit", "text": "  Which bone medicine?  "},
    )
    assert response.status_code == 302
    client.post(f"{url}/suggestions", data={"key": "checklist:bloods", "action": "remove"})
    _db.session.refresh(visit)
    assert visit.questions == ["When can I drive?", DEXA, "Which bone medicine?"]
    assert visit.version == 3  # two questions added, each a change of the record
    assert visit.suggestions_dismissed == [
        "checklist:dexa",
        "checklist:medicine",
        "checklist:bloods",
    ]
    page = client.get(url).get_data(as_text=True)
    assert "Should I have blood tests" not in page and "fracture liaison service" in page
    questions, suggested = page.split('id="suggested"')
    assert DEXA in questions and DEXA not in suggested  # in the questions, not suggested again


def test_an_empty_or_too_long_own_wording_is_refused_next_to_the_field(client, fresh_fracture):
    visit = upcoming(fresh_fracture)
    url = f"/appointments/{visit.uuid}/suggestions"
    response = client.post(url, data={"key": "checklist:dexa", "action": "edit", "text": " "})
    assert response.status_code == 400
    assert "Please write the question, or press Remove" in response.get_data(as_text=True)
    long = "Is it safe " * 40
    response = client.post(url, data={"key": "checklist:dexa", "action": "edit", "text": long})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This question is long. Please keep each question to 300 characters" in page
    assert long.strip() in page  # kept to shorten
    _db.session.refresh(visit)
    assert visit.questions == [] and visit.suggestions_dismissed == []


def test_a_suggestion_no_longer_on_the_list_changes_nothing(client, fresh_fracture):
    visit = upcoming(fresh_fracture)
    response = client.post(
        f"/appointments/{visit.uuid}/suggestions",
        data={"key": "falls:2020-01-01", "action": "add"},
        follow_redirects=True,
    )
    assert "no longer on the list" in response.get_data(as_text=True)
    _db.session.refresh(visit)
    assert visit.questions == [] and visit.version == 1


def test_ticks_are_saved_and_shown_again_without_changing_the_version(client, fresh_fracture):
    questions = ["When can I drive?", "Can I lift my grandson?", "Do I need a brace?"]
    visit = upcoming(fresh_fracture, questions=questions, questions_asked=["Do I need a brace?"])
    url = f"/appointments/{visit.uuid}"
    client.post(
        f"{url}/asked",
        data={"shown": questions[:2], "asked": ["Can I lift my grandson?"]},
    )
    _db.session.refresh(visit)
    # The brace question was not on that page (added elsewhere meanwhile): its tick stays.
    assert visit.questions_asked == ["Can I lift my grandson?", "Do I need a brace?"]
    assert visit.version == 1
    page = client.get(url).get_data(as_text=True)
    assert 'value="Can I lift my grandson?" id="question-2" checked' in page
    assert 'value="When can I drive?" id="question-1">' in page
    answer = client.post(
        f"{url}/asked",
        data={"shown": questions, "asked": []},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.json == {"asked": []}


def test_editing_the_questions_on_the_form_keeps_the_tick_of_a_corrected_one(
    client, fresh_fracture
):
    visit = upcoming(fresh_fracture, questions=["When can I dirve?"], questions_asked=[])
    visit.questions_asked = ["When can I dirve?"]
    _db.session.commit()
    local = visit.starts_at - timedelta(hours=5)
    response = client.post(
        f"/appointments/{visit.uuid}/edit",
        data={
            "version": "1",
            "date": local.date().isoformat(),
            "time": "09:00",
            "kind": "spine",
            "questions": "When can I drive?\nCan I swim?",
        },
    )
    assert response.status_code == 302
    _db.session.refresh(visit)
    assert visit.questions == ["When can I drive?", "Can I swim?"]
    assert visit.questions_asked == ["When can I drive?"]


def test_what_the_doctor_said_is_offered_only_after_the_visit(client, fresh_fracture):
    coming = upcoming(fresh_fracture)
    page = client.get(f"/appointments/{coming.uuid}").get_data(as_text=True)
    assert "What did the doctor say?" not in page
    response = client.post(
        f"/appointments/{coming.uuid}/visit-notes", data={"visit_notes": "Too early"}
    )
    assert response.status_code == 302
    _db.session.refresh(coming)
    assert coming.visit_notes is None

    past = appointment(fresh_fracture, utcnow() - timedelta(hours=2), with_whom="Dr Ngata")
    url = f"/appointments/{past.uuid}"
    assert "What did the doctor say?" in client.get(url).get_data(as_text=True)
    too_long = "The scan showed osteoporosis. " * 150
    response = client.post(f"{url}/visit-notes", data={"visit_notes": too_long})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please keep the notes to 4,000 characters or fewer: this text has 4,499" in page
    assert "The scan showed osteoporosis. The scan" in page  # the text is kept
    said = "T-score -2.9. Start denosumab.\nSee me in 6 months."
    client.post(f"{url}/visit-notes", data={"visit_notes": said})
    _db.session.refresh(past)
    assert past.visit_notes == said
    assert "T-score -2.9. Start denosumab." in client.get(url).get_data(as_text=True)


def test_the_report_prints_added_questions_and_what_the_doctor_said(client, fresh_fracture):
    visit = upcoming(fresh_fracture)
    client.post(
        f"/appointments/{visit.uuid}/suggestions", data={"key": "checklist:dexa", "action": "add"}
    )
    past = appointment(fresh_fracture, utcnow() - timedelta(days=2), with_whom="Dr Ngata")
    client.post(f"/appointments/{past.uuid}/visit-notes", data={"visit_notes": "Start Prolia."})
    report = client.get("/report").get_data(as_text=True)
    assert DEXA in report
    assert "What the doctor said: Start Prolia." in report
    data = client.get("/report.json").json
    assert DEXA in data["questions"][0]["questions"]


def test_the_caregiver_sees_the_ticks_and_what_the_doctor_said(client, fresh_fracture, app):
    from pwa.models import Caregiver

    carer = make_patient(email="carer@example.com", profile=None)
    add(
        Caregiver(
            patient_id=fresh_fracture.id,
            email=carer.email,
            caregiver_id=carer.id,
            accepted_at=utcnow(),
        )
    )
    upcoming(fresh_fracture, questions=["When can I drive?"], questions_asked=["When can I drive?"])
    appointment(fresh_fracture, utcnow() - timedelta(days=2), visit_notes="Start Prolia.")
    client.post("/logout")
    client.post("/login", data={"email": carer.email, "password": "correct horse battery"})
    page = client.get(f"/care/{fresh_fracture.id}/appointments").get_data(as_text=True)
    assert "When can I drive? (asked)" in page
    assert "What the doctor said: Start Prolia." in page


def test_the_new_fields_are_in_the_data_export(client, fresh_fracture):
    upcoming(
        fresh_fracture,
        questions=["When can I drive?"],
        questions_asked=["When can I drive?"],
        suggestions_dismissed=["checklist:dexa"],
        visit_notes="Start Prolia.",
    )
    exported = json.loads(client.get("/account/data/export.json").data)
    (row,) = exported["appointments"]
    assert row["questions_asked"] == ["When can I drive?"]
    assert row["suggestions_dismissed"] == ["checklist:dexa"]
    assert row["visit_notes"] == "Start Prolia."
    # ...and they come back with the file into another account.
    other = make_patient(profile=None, email="copy@example.com")
    import_export(_db.session, other, read_export(json.dumps(exported).encode()), utcnow())
    _db.session.commit()
    copied = _db.session.scalar(select(Appointment).where(Appointment.user_id == other.id))
    assert copied.questions_asked == ["When can I drive?"]
    assert copied.suggestions_dismissed == ["checklist:dexa"]
    assert copied.visit_notes == "Start Prolia."


def test_a_patient_without_a_recovery_profile_still_gets_the_checklist_questions(app):
    patient = make_patient(profile=None)
    visit = appointment(patient, datetime(2026, 11, 20, 14))
    found = texts(patient, visit)
    assert found[0] == ("I have not had a bone density scan since my fracture. Should I have one?")
    assert len(found) == MAX_SUGGESTIONS


def test_another_patients_appointment_cannot_be_ticked_or_noted(client, fresh_fracture):
    other = make_patient(email="other@example.com")
    theirs = appointment(other, utcnow() - timedelta(days=1), questions=["Secret?"])
    for path, data in (
        ("asked", {"shown": ["Secret?"], "asked": ["Secret?"]}),
        ("visit-notes", {"visit_notes": "mine now"}),
        ("suggestions", {"key": "checklist:dexa", "action": "add"}),
    ):
        response = client.post(f"/appointments/{theirs.uuid}/{path}", data=data)
        assert response.status_code == 404
    row = _db.session.scalar(select(Appointment).where(Appointment.id == theirs.id))
    assert row.questions_asked == [] and row.visit_notes is None


def test_an_api_change_of_the_questions_keeps_or_drops_ticks_the_same_way(client, fresh_fracture):
    visit = upcoming(fresh_fracture, questions=["When can I dirve?", "Can I swim?"])
    visit.questions_asked = ["When can I dirve?", "Can I swim?"]
    _db.session.commit()
    response = client.put(
        f"/api/v1/appointments/{visit.uuid}",
        json={"version": 1, "questions": ["When can I drive?", "Do I need a brace?"]},
    )
    assert response.status_code == 200, response.json
    assert "questions_asked" not in response.json  # the API's fields stay as DESIGN.md has them
    _db.session.refresh(visit)
    assert visit.questions_asked == ["When can I drive?"]
    client.put(f"/api/v1/appointments/{visit.uuid}", json={"version": 2, "time": "10:00"})
    _db.session.refresh(visit)
    assert visit.questions_asked == ["When can I drive?"]  # other changes keep the ticks
