"""Adherence from the schedule: every due dose taken is 100% whatever the interval."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from pwa.models import MedicineDose, Reminder
from pwa.reminders.schedules import occurrences_between
from pwa.reminders.scheduling import schedule_of
from pwa.report.adherence import medicine_adherence
from pwa.report.services import build_report
from pwa.timezones import local_to_utc

from .conftest import make_patient

START, END = date(2025, 1, 1), date(2026, 11, 28)
NOW = datetime(2026, 11, 29, 15, 0)

SCHEDULES = {
    "daily": {"frequency": "daily"},
    "weekly": {"frequency": "weekly", "weekdays": [0]},
    "monthly": {"frequency": "monthly"},
    "6-monthly": {"frequency": "every_n_months", "interval_months": 6},
    "yearly": {"frequency": "yearly"},
}


def add_medicine(db, patient, start: date = START, **schedule) -> Reminder:
    medicine = Reminder(
        user_id=patient.id,
        kind="medicine",
        name="Bone medicine",
        times=["08:00"],
        start_date=start,
        **schedule,
    )
    db.session.add(medicine)
    db.session.commit()
    return medicine


def due_moments(patient, medicine, first: date, last: date) -> list[datetime]:
    since = local_to_utc(first, time(0), patient.timezone) - timedelta(seconds=1)
    until = local_to_utc(last + timedelta(days=1), time(0), patient.timezone)
    return occurrences_between(schedule_of(medicine), patient.zone, since, until, 2000)


def take(db, patient, medicine, moments, late_by=timedelta(0), skip=()) -> None:
    for i, moment in enumerate(moments):
        status = "skipped" if i in skip else "taken"
        db.session.add(
            MedicineDose(
                user_id=patient.id,
                reminder_id=medicine.id,
                occurrence_at=moment,
                status=status,
                source="app",
                taken_at=moment + late_by if status == "taken" else None,
            )
        )
    db.session.commit()


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_every_due_dose_taken_is_100_percent(db, name):
    patient = make_patient()
    medicine = add_medicine(db, patient, **SCHEDULES[name])
    moments = due_moments(patient, medicine, START, END)
    take(db, patient, medicine, moments, late_by=timedelta(hours=2))

    [line] = medicine_adherence(db.session, patient, START, END, NOW)

    assert line.due == len(moments) > 0
    assert (line.taken_on_time, line.late, line.missed) == (len(moments), 0, 0)
    assert line.taken_percent == 100
    assert line.next_due is not None and line.last_dose is not None


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_one_missed_dose_is_counted_once(db, name):
    patient = make_patient()
    medicine = add_medicine(db, patient, **SCHEDULES[name])
    moments = due_moments(patient, medicine, START, END)
    take(db, patient, medicine, moments[1:])  # the first dose never answered

    [line] = medicine_adherence(db.session, patient, START, END, NOW)

    assert (line.due, line.missed, line.taken_on_time) == (len(moments), 1, len(moments) - 1)


@pytest.mark.parametrize(
    ("name", "late_by", "on_time"),
    [
        ("weekly", timedelta(hours=20), True),
        ("weekly", timedelta(days=2), False),
        ("monthly", timedelta(days=6), True),
        ("monthly", timedelta(days=9), False),
        ("6-monthly", timedelta(days=25), True),
        ("6-monthly", timedelta(days=40), False),
    ],
)
def test_the_on_time_window_fits_the_interval(db, name, late_by, on_time):
    patient = make_patient()
    medicine = add_medicine(db, patient, **SCHEDULES[name])
    moments = due_moments(patient, medicine, date(2025, 6, 1), date(2026, 6, 30))
    take(db, patient, medicine, moments, late_by=late_by)

    [line] = medicine_adherence(db.session, patient, date(2025, 6, 1), date(2026, 6, 30), NOW)

    assert line.taken_on_time == (line.due if on_time else 0)
    assert line.late == (0 if on_time else line.due)
    assert line.taken_percent == 100


def test_a_missed_six_monthly_injection_is_an_alert_in_the_report(db):
    patient = make_patient()
    medicine = add_medicine(db, patient, start=date(2026, 4, 1), **SCHEDULES["6-monthly"])
    medicine.name = "Denosumab"
    db.session.commit()

    report = build_report(patient, date(2026, 9, 1), END, now=NOW, session=db.session)

    [line] = report.adherence
    assert (line.due, line.missed) == (1, 1)
    assert [a.code for a in report.alerts] == ["medicine_late"]
    assert "Denosumab" in report.alerts[0].label and "1 Oct 2026" in report.alerts[0].label


def test_a_dose_not_yet_past_its_window_is_neither_taken_nor_missed(db):
    patient = make_patient()
    add_medicine(db, patient, start=date(2026, 11, 27), frequency="monthly")

    [line] = medicine_adherence(db.session, patient, date(2026, 11, 1), END, NOW)

    assert (line.due, line.missed) == (0, 0)
    assert line.taken_percent is None
