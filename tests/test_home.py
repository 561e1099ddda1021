"""The home screen (issue 17): a first-name greeting, recovery context, today's medicines."""

from __future__ import annotations

from datetime import date, time

from pwa.main.services import home_summary, next_milestone, recovery_day
from pwa.models import MedicineDose, Profile, Reminder
from pwa.timezones import local_to_utc

from .conftest import make_patient

TODAY = date(2026, 11, 29)
NOW = local_to_utc(TODAY, time(12, 0), "America/New_York")


def test_home_greets_by_first_name_and_says_the_day_of_recovery(client, auth, db):
    patient = make_patient(
        name="Ada Mary Lovelace",
        profile={"treatment": "kyphoplasty", "procedure_date": date(2026, 11, 19)},
    )
    summary = home_summary(db.session, patient, NOW)
    assert summary.first_name == "Ada"
    assert summary.recovery.text == "Day 10 after your kyphoplasty"
    auth.login(patient.email)
    html = client.get("/").get_data(as_text=True)
    assert "<h1>Hello, Ada</h1>" in html


def test_recovery_is_counted_from_the_procedure_else_the_fracture():
    assert recovery_day(None, TODAY) is None
    fracture = Profile(fracture_date=date(2026, 11, 1))
    assert recovery_day(fracture, TODAY).text == "Day 28 after your fracture"
    ahead = Profile(
        fracture_date=date(2026, 11, 1), treatment="vertebroplasty", procedure_date=TODAY
    )
    assert recovery_day(ahead, TODAY).text == "Your vertebroplasty is today"
    ahead.procedure_date = date(2026, 12, 2)
    assert recovery_day(ahead, TODAY).text == "Your vertebroplasty is in 3 days"


def test_the_next_usual_follow_up_comes_from_the_clinical_timetable():
    kypho = Profile(treatment="kyphoplasty", procedure_date=date(2026, 11, 19))
    milestone = next_milestone(kypho, TODAY)  # day 10
    assert milestone.day == date(2026, 11, 29)
    assert milestone.text.startswith("Wound and pain check")
    assert milestone.text.endswith("after your kyphoplasty")
    later = next_milestone(kypho, date(2026, 12, 5))  # day 16: the 6-week review is next
    assert later.day == date(2026, 12, 31) and "6 weeks" in later.text
    fracture_only = Profile(fracture_date=date(2026, 11, 19))
    assert "Wound" not in next_milestone(fracture_only, TODAY).text


def test_todays_doses_are_listed_with_what_was_answered(app, db):
    patient = make_patient()
    medicine = Reminder(
        user_id=patient.id,
        kind="medicine",
        name="Alendronate",
        dose="70 mg",
        frequency="daily",
        times=["08:00", "20:00"],
        start_date=date(2026, 11, 1),
    )
    other_patient = make_patient()
    db.session.add_all(
        [
            medicine,
            Reminder(user_id=other_patient.id, kind="medicine", name="Not mine", times=["09:00"]),
        ]
    )
    db.session.flush()
    morning = local_to_utc(TODAY, time(8), patient.timezone)
    db.session.add(
        MedicineDose(
            user_id=patient.id,
            reminder_id=medicine.id,
            occurrence_at=morning,
            status="taken",
            source="app",
        )
    )
    db.session.commit()
    doses = home_summary(db.session, patient, NOW).doses_today
    assert [(d.time, d.name, d.dose, d.status) for d in doses] == [
        ("8:00 am", "Alendronate", "70 mg", "taken"),
        ("8:00 pm", "Alendronate", "70 mg", "later"),
    ]
    evening = local_to_utc(TODAY, time(21), patient.timezone)
    assert [d.status for d in home_summary(db.session, patient, evening).doses_today] == [
        "taken",
        "due",
    ]


def test_home_data_comes_from_main_services_not_a_template_global(app):
    assert "home_reminders" not in app.jinja_env.globals


def test_home_without_dates_asks_for_them(client, auth):
    patient = make_patient(profile={"fracture_date": None})
    auth.login(patient.email)
    html = client.get("/").get_data(as_text=True)
    assert "Add the date of your fracture or procedure" in html
