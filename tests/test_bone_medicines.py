"""Issue 12, long-interval medicines: the name table and the form's pre-fill, "book your next
dose" and "plan the next medicine" through the real engine and a real SMTP server, and the
urgent `medicine_late` sign (denosumab 4 weeks, zoledronic acid 8, others 4)."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from pwa.bone.drugs import DRUGS, find, known_names, late_margin
from pwa.bone.late import late_doses, raise_late
from pwa.extensions import db as _db
from pwa.models import (
    Caregiver,
    LateDose,
    MedicineDose,
    Reminder,
    ReminderDelivery,
    WarningEvent,
)
from pwa.reminders.engine import send_due
from pwa.reminders.medicines import remove_medicine, save_medicine
from pwa.reminders.scheduler import senders_for
from pwa.reminders.schedules import Schedule, wall_to_utc
from pwa.reminders.services import turn_off

from .conftest import app_sending_mail, make_patient
from .test_reminders_engine import reminders_of, settings_of

NY = ZoneInfo("America/New_York")
START = date(2031, 3, 4)  # a Tuesday; every 6 months: Thursday 4 September 2031
DUE = date(2031, 9, 4)
PROLIA_FORM = {
    "name": "Prolia",
    "dose": "60 mg",
    "time_1": "09:00",
    "start_date": START.isoformat(),
}


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return wall_to_utc(day, time(hour, minute, second), NY)


@pytest.fixture
def app(tmp_path, mail):
    yield from app_sending_mail(tmp_path, mail, PUBLIC_URL="http://upright.example")


def quiet_patient(**overrides):
    """A patient whose only reminders are the medicines the test adds."""
    patient = make_patient(**overrides)
    for reminder in reminders_of(patient):
        reminder.enabled = False
        reminder.next_occurrence_at = reminder.next_due_at = None
    _db.session.commit()
    return patient


def add(patient, name: str, frequency: str, *, added: datetime | None = None, **values):
    """A medicine saved as the form saves it, put on the list at `added`."""
    fields = {
        "name": name,
        "dose": None,
        "frequency": frequency,
        "times": [time(9, 0)],
        "weekdays": [],
        "interval_months": None,
        "start_date": START,
        "end_date": None,
        **values,
    }
    added = added or local(START, 10)  # after its first dose, the day it starts
    medicine = save_medicine(_db.session, patient, None, fields, settings_of(patient), added)
    medicine.created_at = added
    _db.session.commit()
    return medicine


def children(medicine, kind=None, live=True) -> list[Reminder]:
    query = select(Reminder).where(Reminder.parent_id == medicine.id).order_by(Reminder.id)
    if kind:
        query = query.where(Reminder.kind == kind)
    if live:
        query = query.where(Reminder.deleted_at.is_(None))
    return list(_db.session.scalars(query))


def tick(app, now: datetime):
    result = send_due(
        _db.session,
        now,
        senders_for(app),
        secret_key=app.config["SECRET_KEY"],
        base_url="http://upright.example",
    )
    assert not result.errors, result.summary()
    return result


def late_events(patient) -> list[WarningEvent]:
    return list(
        _db.session.scalars(
            select(WarningEvent).where(
                WarningEvent.user_id == patient.id, WarningEvent.sign == "medicine_late"
            )
        )
    )


# --- The name table ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Prolia", "denosumab"),
        ("prolia 60 mg injection", "denosumab"),
        ("Denosumab", "denosumab"),
        ("Reclast", "zoledronic_acid"),
        ("Aclasta infusion", "zoledronic_acid"),
        ("Boniva", "ibandronate"),
        ("Boniva injection", "ibandronate_injection"),
        ("Forteo pen", "teriparatide"),
        ("Tymlos", "abaloparatide"),
        ("EVENITY", "romosozumab"),
        ("Fosamax 70 mg", "alendronate"),
        ("Vitamin D", None),
        ("", None),
    ],
)
def test_the_table_knows_generic_and_brand_names(typed, code):
    drug = find(typed)
    assert (drug.code if drug else None) == code


def test_the_table_follows_clinical_section_6():
    assert (DRUGS["denosumab"].frequency, DRUGS["denosumab"].interval_months) == (
        "every_n_months",
        6,
    )
    assert DRUGS["zoledronic_acid"].frequency == "yearly"
    assert late_margin("every_n_months", DRUGS["denosumab"]) == (4, True)
    assert late_margin("yearly", DRUGS["zoledronic_acid"]) == (8, True)
    assert late_margin("every_n_months", DRUGS["ibandronate_injection"]) == (4, True)
    assert late_margin("monthly", DRUGS["romosozumab"]) == (2, True)
    assert late_margin("every_n_months", None) == (4, False)  # unknown: 4 weeks, said so
    assert late_margin("weekly", DRUGS["alendronate"]) is None
    assert late_margin("daily", DRUGS["denosumab"]) is None  # a schedule the patient chose
    assert {"Prolia", "Reclast", "denosumab", "zoledronic acid"} <= set(known_names())
    assert "stopping can bring several spine fractures" in DRUGS["denosumab"].note


# --- The form: pre-fill without JavaScript, the note, book-ahead weeks -------------------------


def test_a_known_name_with_no_schedule_chosen_gets_its_usual_schedule_on_save(client, signed_in):
    response = client.post("/reminders/medicines/new", data=PROLIA_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    (medicine,) = reminders_of(signed_in, "medicine")
    assert (medicine.frequency, medicine.interval_months) == ("every_n_months", 6)
    assert (medicine.drug, medicine.book_ahead_weeks) == ("denosumab", 4)
    (book,) = children(medicine, "book_ahead")  # the first dose is ahead: booked 4 weeks before
    assert book.next_occurrence_at == local(START - timedelta(weeks=4), 9)


def test_the_patient_can_still_choose_another_schedule(client, signed_in):
    form = {**PROLIA_FORM, "frequency": "every_n_months", "interval_months": "3"}
    client.post("/reminders/medicines/new", data=form)
    (medicine,) = reminders_of(signed_in, "medicine")
    assert (medicine.frequency, medicine.interval_months, medicine.drug) == (
        "every_n_months",
        3,
        "denosumab",
    )


@pytest.mark.parametrize(
    ("name", "frequency", "drug"),
    [("Reclast", "yearly", "zoledronic_acid"), ("Vitamin D", "daily", None)],
)
def test_other_names_yearly_or_free_text(client, signed_in, name, frequency, drug):
    client.post("/reminders/medicines/new", data={**PROLIA_FORM, "name": name})
    (medicine,) = reminders_of(signed_in, "medicine")
    assert (medicine.name, medicine.frequency, medicine.drug) == (name, frequency, drug)


def test_the_form_offers_the_known_names_and_shows_the_drugs_note(client, signed_in):
    page = client.get("/reminders/medicines/new").get_data(as_text=True)
    assert '<datalist id="known-medicines">' in page and '<option value="Prolia">' in page
    assert 'list="known-medicines"' in page and "data-drugs=" in page
    assert 'name="frequency" type="radio" value="daily" checked' not in page  # none chosen
    client.post("/reminders/medicines/new", data=PROLIA_FORM)
    (medicine,) = reminders_of(signed_in, "medicine")
    edit = client.get(f"/reminders/medicines/{medicine.id}").get_data(as_text=True)
    assert "never stopped without a follow-on medicine" in edit
    assert "A reminder to book each dose comes 4 weeks before it" in edit
    assert "Tuesday 4 March 2031" in edit
    assert "If a dose is not marked as taken 4 weeks after its date" in edit
    listed = client.get("/reminders").get_data(as_text=True)
    assert "A reminder to book each dose comes 4 weeks before it" in listed
    assert "own margin" not in listed
    form = {**PROLIA_FORM, "name": "Bone drip", "frequency": "every_n_months"}
    client.post("/reminders/medicines/new", data={**form, "interval_months": "3"})
    listed = client.get("/reminders").get_data(as_text=True)
    assert "own margin, so it uses 4 weeks" in listed


@pytest.mark.parametrize("typed", ["13", "-1", "four"])
def test_book_ahead_weeks_out_of_bounds_says_so_and_keeps_the_rest(client, signed_in, typed):
    response = client.post(
        "/reminders/medicines/new", data={**PROLIA_FORM, "book_ahead_weeks": typed}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please enter a number of weeks from 0 to 12, as a whole number." in page
    assert 'value="Prolia"' in page and 'value="60 mg"' in page
    assert reminders_of(signed_in, "medicine") == []


def test_zero_weeks_turns_booking_ahead_off_and_six_moves_it(client, signed_in):
    client.post("/reminders/medicines/new", data={**PROLIA_FORM, "book_ahead_weeks": "0"})
    (medicine,) = reminders_of(signed_in, "medicine")
    assert children(medicine) == []
    form = {**PROLIA_FORM, "frequency": "every_n_months", "interval_months": "6"}
    client.post(f"/reminders/medicines/{medicine.id}", data={**form, "book_ahead_weeks": "6"})
    (book,) = children(medicine, "book_ahead")
    assert book.next_occurrence_at == local(START - timedelta(weeks=6), 9)


# --- Book your next dose, through the engine ---------------------------------------------------


def test_book_ahead_goes_out_once_four_weeks_before_the_dose(app, mail):
    patient = quiet_patient(name="Ann Lee", email="ann@example.com")
    add(patient, "Prolia", "every_n_months", interval_months=6)
    ahead = DUE - timedelta(weeks=4)  # Thursday 7 August 2031
    assert tick(app, local(ahead, 8, 59)).sent == 0
    assert tick(app, local(ahead, 9, 0, 30)).sent == 1
    for minutes in (1, 5, 59):
        assert tick(app, local(ahead, 9, minutes, 30)).sent == 0
    (message,) = mail.wait_for(1)
    assert message["Subject"] == (
        "Your next Prolia injection is due on Thursday 4 September. Book it now if you have not."
    )
    text = message.get_body(("plain",)).get_content()
    assert "http://upright.example/reminders" in text
    # The due-day reminder is still there, on the day itself.
    assert tick(app, local(DUE, 9, 0, 30)).sent == 1
    subjects = [m["Subject"] for m in mail.wait_for(2)]
    assert subjects[1] == "Time to take Prolia"


def test_book_ahead_waits_for_the_end_of_quiet_hours_and_goes_once(app, mail):
    patient = quiet_patient()
    settings = settings_of(patient)
    settings.quiet_enabled = True
    settings.quiet_start, settings.quiet_end = time(22, 0), time(7, 0)
    _db.session.commit()
    add(patient, "Reclast", "yearly", times=[time(6, 0)])
    ahead = date(2032, 3, 4) - timedelta(weeks=4)
    assert tick(app, local(ahead, 6, 0, 30)).sent == 0
    assert tick(app, local(ahead, 7, 0, 30)).sent == 1
    assert tick(app, local(ahead, 7, 30)).sent == 0
    (message,) = mail.wait_for(1)
    assert message["Subject"].startswith("Your next Reclast infusion is due on Thursday 4 March")


def test_a_dose_nearer_than_the_weeks_ahead_is_booked_right_away_once(app, mail):
    patient = quiet_patient()
    added = local(DUE - timedelta(weeks=2), 12)
    add(patient, "Prolia", "every_n_months", interval_months=6, added=added)
    assert tick(app, added + timedelta(seconds=30)).sent == 1
    assert tick(app, added + timedelta(hours=1)).sent == 0
    assert "due on Thursday 4 September" in mail.wait_for(1)[0]["Subject"]


def test_editing_pausing_and_removing_the_medicine_moves_and_removes_its_reminders(app):
    patient = quiet_patient()
    medicine = add(patient, "Prolia", "every_n_months", interval_months=6)
    (book,) = children(medicine, "book_ahead")
    assert book.next_occurrence_at == local(DUE - timedelta(weeks=4), 9)
    values = {
        "name": "Prolia", "dose": None, "frequency": "every_n_months", "times": [time(10, 0)],
        "weekdays": [], "interval_months": 6, "start_date": START + timedelta(days=7),
        "end_date": None,
    }  # fmt: skip
    save_medicine(_db.session, patient, medicine, values, settings_of(patient), local(START, 9))
    _db.session.commit()
    (moved,) = children(medicine, "book_ahead")
    assert moved.id == book.id
    # Its first dose is now 11 March, nearer than 4 weeks: "book it now", right away.
    assert moved.next_occurrence_at == local(START + timedelta(days=7 - 28), 10)
    assert moved.next_due_at == local(START, 9)
    # Another medicine every few months without a known drug gets booking ahead too.
    other = add(patient, "Bone drip", "every_n_months", interval_months=3)
    assert len(children(other, "book_ahead")) == 1
    turn_off(other)
    from pwa.reminders.services import follow_medicine

    follow_medicine(_db.session, patient, other, local(START, 10))
    _db.session.commit()
    assert children(other) == []
    remove_medicine(_db.session, patient, medicine, local(START, 10))
    _db.session.commit()
    assert children(medicine, "book_ahead") == []
    (retired,) = children(medicine, "book_ahead", live=False)
    assert retired.deleted_at is not None and retired.next_due_at is None


# --- Plan the next medicine --------------------------------------------------------------------


def test_teriparatide_plans_the_next_medicine_8_weeks_before_its_2_years_end(app, mail):
    patient = quiet_patient()
    add(patient, "Forteo", "daily", start_date=date(2031, 1, 10))
    end = date(2033, 1, 10)
    (plan,) = children(reminders_of(patient, "medicine")[0], "course_end")
    assert plan.next_occurrence_at == local(end - timedelta(weeks=8), 9)
    assert tick(app, local(end - timedelta(weeks=8), 9, 0, 30)).sent == 1
    assert tick(app, local(end - timedelta(weeks=8), 10)).sent == 0
    (message,) = mail.wait_for(1)
    assert message["Subject"] == (
        "Plan the next medicine: your Forteo course ends on 10 January 2033."
    )
    text = message.get_body(("plain",)).get_content()
    assert "Talk to your doctor about what comes next." in text


def test_romosozumab_ends_after_12_months_and_an_end_date_moves_the_plan(app):
    patient = quiet_patient()
    medicine = add(patient, "Evenity", "monthly")
    (plan,) = children(medicine, "course_end")
    assert plan.start_date == date(2032, 3, 4) - timedelta(weeks=8)
    values = {
        "name": "Evenity", "dose": None, "frequency": "monthly", "times": [time(9, 0)],
        "weekdays": [], "interval_months": None, "start_date": START,
        "end_date": date(2031, 12, 1),
    }  # fmt: skip
    save_medicine(_db.session, patient, medicine, values, settings_of(patient), local(START, 9))
    _db.session.commit()
    (moved,) = children(medicine, "course_end")
    assert moved.id == plan.id and moved.start_date == date(2031, 12, 1) - timedelta(weeks=8)


def test_a_stopped_denosumab_plans_the_next_medicine_now_and_near_six_months(app, mail):
    patient = quiet_patient()
    medicine = add(patient, "Prolia", "every_n_months", interval_months=6)
    stopped = local(date(2031, 10, 1), 14, 0)
    remove_medicine(_db.session, patient, medicine, stopped)
    _db.session.commit()
    plans = children(medicine, "course_end")
    assert [p.dose for p in plans] == ["stopped", "six_months"]
    # Last dose 4 September: again 4 weeks before 6 months are up, 4 February 2032.
    assert plans[1].start_date == date(2032, 3, 4) - timedelta(weeks=4)
    assert tick(app, stopped + timedelta(seconds=30)).sent == 1
    assert tick(app, stopped + timedelta(minutes=5)).sent == 0
    (message,) = mail.wait_for(1)
    assert message["Subject"].startswith("Prolia stopped or ending: Talk to your doctor")
    text = message.get_body(("plain",)).get_content()
    assert "several spine fractures at once" in text
    assert tick(app, local(plans[1].start_date, 9, 0, 30)).sent == 1
    assert "About 6 months since your last Prolia" in mail.wait_for(2)[1]["Subject"]


def test_a_denosumab_given_a_last_day_or_paused_plans_the_next_medicine_too(app):
    patient = quiet_patient()
    medicine = add(patient, "Prolia", "every_n_months", interval_months=6, end_date=DUE)
    plans = children(medicine, "course_end")
    assert [p.dose for p in plans] == ["stopped", "six_months"]
    # Its last dose is the one on its last day, 4 September: again on 4 February 2032.
    assert plans[1].start_date == date(2032, 3, 4) - timedelta(weeks=4)
    assert plans[0].next_due_at == local(START, 10)  # right away
    paused = add(patient, "denosumab", "every_n_months", interval_months=6)
    assert children(paused, "course_end") == []
    turn_off(paused)
    from pwa.reminders.services import follow_medicine

    follow_medicine(_db.session, patient, paused, local(START, 12))
    _db.session.commit()
    assert [p.dose for p in children(paused)] == ["stopped", "six_months"]


# --- medicine_late -----------------------------------------------------------------------------


def test_the_pure_rule_counts_doses_not_taken_by_their_date_plus_the_margin():
    schedule = Schedule("every_n_months", (time(9, 0),), start=START, interval_months=6)
    dose = local(DUE, 9)
    margin = timedelta(weeks=4)
    since = local(START, 10)
    assert late_doses(schedule, NY, set(), margin, since, dose + timedelta(weeks=3)) == []
    (late,) = late_doses(schedule, NY, set(), margin, since, dose + timedelta(weeks=5))
    assert (late.occurrence, late.day) == (dose, DUE + timedelta(weeks=4))
    assert late_doses(schedule, NY, {dose}, margin, since, dose + timedelta(weeks=5)) == []


@pytest.mark.parametrize(("weeks_late", "raised"), [(3, 0), (5, 1)])
def test_denosumab_late_by_3_weeks_no_sign_by_5_weeks_one_urgent_sign(app, weeks_late, raised):
    patient = quiet_patient()
    add(patient, "Prolia", "every_n_months", interval_months=6)
    now = local(DUE, 9) + timedelta(weeks=weeks_late)
    tick(app, now)
    tick(app, now)  # the tick run twice
    tick(app, now + timedelta(days=1))  # and the next day
    events = late_events(patient)
    assert len(events) == raised
    if raised:
        (event,) = events
        assert (event.tier, event.computed, event.checkin_id) == ("urgent", True, None)
        assert event.day == DUE + timedelta(weeks=4)  # the day it became late


def test_denosumab_taken_on_time_raises_nothing(app):
    patient = quiet_patient()
    medicine = add(patient, "Prolia", "every_n_months", interval_months=6)
    dose = local(DUE, 9)
    _db.session.add(
        MedicineDose(
            user_id=patient.id, reminder_id=medicine.id, occurrence_at=dose, status="taken",
            source="app", recorded_at=dose, taken_at=dose,
        )
    )  # fmt: skip
    _db.session.commit()
    tick(app, dose + timedelta(weeks=5))
    assert late_events(patient) == []


def test_once_per_dose_even_when_two_finders_race_and_taken_late_changes_nothing(app):
    patient = quiet_patient()
    medicine = add(patient, "Prolia", "every_n_months", interval_months=6)
    now = local(DUE, 9) + timedelta(weeks=5)
    assert len(raise_late(_db.session, now)) == 1
    assert raise_late(_db.session, now) == []  # the unique LateDose row: nothing twice
    _db.session.commit()
    dose = local(DUE, 9)
    late_taken = now + timedelta(days=2)
    _db.session.add(
        MedicineDose(
            user_id=patient.id, reminder_id=medicine.id, occurrence_at=dose, status="taken",
            source="app", recorded_at=late_taken, taken_at=late_taken,
        )
    )  # fmt: skip
    _db.session.commit()
    tick(app, late_taken + timedelta(hours=1))
    (event,) = late_events(patient)
    assert event.action is None  # still open: taking it late closes nothing
    assert _db.session.scalar(select(func.count()).select_from(LateDose)) == 1


def test_two_schedulers_ticking_at_once_raise_each_late_dose_once(app):
    patients = [quiet_patient() for _ in range(12)]
    for patient in patients:
        add(patient, "Prolia", "every_n_months", interval_months=6)
    ids = sorted(patient.id for patient in patients)
    _db.session.remove()
    start = threading.Barrier(2)
    now = local(DUE, 9) + timedelta(weeks=5)
    errors: list = []

    def run():
        with app.app_context():
            start.wait()
            try:
                tick(app, now)
                raise_late(_db.session, now)  # the step itself once more, past the cursor
                _db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    events = _db.session.scalars(select(WarningEvent).where(WarningEvent.sign == "medicine_late"))
    assert sorted(e.user_id for e in events) == ids


@pytest.mark.parametrize(("weeks_late", "raised"), [(7, 0), (9, 1)])
def test_zoledronic_acid_is_late_after_8_weeks(app, weeks_late, raised):
    patient = quiet_patient()
    add(patient, "Reclast", "yearly")
    tick(app, local(date(2032, 3, 4), 9) + timedelta(weeks=weeks_late))
    assert len(late_events(patient)) == raised


def test_an_unknown_every_few_months_medicine_uses_4_weeks_and_a_daily_one_never(app):
    patient = quiet_patient()
    add(patient, "Bone drip", "every_n_months", interval_months=3)
    add(patient, "Calcium", "daily")
    due = date(2031, 6, 4)
    tick(app, local(due, 9) + timedelta(weeks=3))
    assert late_events(patient) == []
    tick(app, local(due, 9) + timedelta(weeks=5))
    assert len(late_events(patient)) == 1


def test_doses_before_the_medicine_was_on_the_list_are_not_called_late(app):
    patient = quiet_patient()
    add(patient, "Prolia", "every_n_months", interval_months=6, start_date=date(2029, 3, 4))
    tick(app, local(START, 12))  # 2029-09, 2030-03, 2030-09, 2031-03 all came before
    assert late_events(patient) == []


def test_a_caregiver_who_asked_for_warnings_is_emailed(app, mail):
    patient = quiet_patient(name="Ann Lee")
    carer = make_patient(name="Bo Lee", email="bo@example.com", profile=None)
    _db.session.add(
        Caregiver(
            patient_id=patient.id, caregiver_id=carer.id, email=carer.email,
            notify_warnings=True, accepted_at=local(START, 8),
        )
    )  # fmt: skip
    _db.session.commit()
    add(patient, "Prolia", "every_n_months", interval_months=6)
    tick(app, local(DUE, 9) + timedelta(weeks=5))
    for thread in app.extensions.get("caregiver_alert_threads", []):
        thread.join(10)
    messages = [m for m in mail.wait_for(1) if m["To"] and "bo@example.com" in m["To"]]
    assert messages and messages[0]["Subject"] == "Ann Lee recorded an urgent sign"
    assert "A bone medicine dose is overdue" in messages[0].get_body(("plain",)).get_content()


def test_home_raises_and_shows_a_late_dose_until_the_patient_says_what_they_did(client, signed_in):
    today = signed_in.today()
    start = today - timedelta(days=183 + 42)  # its 6-month dose about 6 weeks ago
    added = wall_to_utc(start, time(8, 0), signed_in.zone)
    add(signed_in, "Prolia", "every_n_months", interval_months=6, start_date=start, added=added)
    page = client.get("/").get_data(as_text=True)
    assert "A bone medicine dose is overdue: Prolia" in page
    assert "Call your doctor this week" in page
    assert "A late denosumab dose can lead to several spine fractures at once." in page
    (event,) = late_events(signed_in)
    client.get("/")
    assert len(late_events(signed_in)) == 1
    refused = client.post(f"/reminders/late/{event.id}/action", data={"action": "nope"})
    assert refused.status_code == 302 and late_events(signed_in)[0].action is None
    client.post(f"/reminders/late/{event.id}/action", data={"action": "called_doctor"})
    _db.session.expire_all()
    assert late_events(signed_in)[0].action == "called_doctor"
    assert "A bone medicine dose is overdue" not in client.get("/").get_data(as_text=True)


def test_another_patients_late_sign_cannot_be_answered(client, signed_in):
    other = quiet_patient()
    add(other, "Prolia", "every_n_months", interval_months=6)
    (event,) = raise_late(_db.session, local(DUE, 9) + timedelta(weeks=5))
    _db.session.commit()
    response = client.post(f"/reminders/late/{event.id}/action", data={"action": "saw_doctor"})
    assert response.status_code == 404


def test_deliveries_of_follow_ups_are_keyed_once_per_occurrence(app):
    patient = quiet_patient()
    add(patient, "Prolia", "every_n_months", interval_months=6)
    ahead = local(DUE - timedelta(weeks=4), 9, 0, 30)
    tick(app, ahead)
    tick(app, ahead)
    rows = _db.session.scalars(select(ReminderDelivery)).all()
    assert len(rows) == 1 and rows[0].status == "sent"
