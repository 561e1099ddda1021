"""A patient with one or more of every kind of record (no tests here, only the builder)."""

from __future__ import annotations

from datetime import date, datetime

from pwa.checkin.services import new_warning_event
from pwa.extensions import db
from pwa.models import (
    Appointment,
    MedicineDose,
    PushSubscription,
    Reminder,
    ReminderDelivery,
    User,
)

from .conftest import make_checkin, make_patient

NOW = datetime(2026, 11, 20, 15, 0)


def full_patient(**overrides) -> User:
    profile = {
        "fracture_levels": "T12, L1",
        "fracture_date": date(2026, 10, 1),
        "fracture_cause": "fall",
        "treatment": "kyphoplasty",
        "procedure_date": date(2026, 10, 8),
        "procedure_levels": "T12",
        "date_of_birth": date(1948, 3, 2),
        "doctor_name": "Dr Ruiz",
        "brace_prescribed": True,
    }
    patient = make_patient(name="Anna Lindqvist", profile=profile, **overrides)
    first = make_checkin(
        patient, date=date(2026, 11, 18), pain_avg=6, pain_worst=8, pain_activity=7,
        locations=["upper_back", "legs"], limited_activity=True, bed_rest=False,
        walking_aid="cane", minutes_walked=20, brace_hours=6, opioid_doses=2, fell=True,
        fall_injured=False, notes="Stiff in the morning, \"better\" later; ünïcode",
        created_at=datetime(2026, 11, 18, 23, 0),
    )  # fmt: skip
    make_checkin(patient, date=date(2026, 11, 19), pain_avg=4, weekly_change="little_better",
                 created_at=datetime(2026, 11, 19, 23, 0))  # fmt: skip
    make_checkin(patient, date=date(2026, 11, 19), pain_avg=3,
                 created_at=datetime(2026, 11, 20, 1, 0))  # fmt: skip
    event = new_warning_event(patient, "fever", datetime(2026, 11, 18, 23, 0))
    event.checkin_id = first.id
    event.action, event.action_at = "called_doctor", datetime(2026, 11, 18, 23, 5)
    db.session.add(event)
    db.session.add_all([
        Appointment(user_id=patient.id, starts_at=datetime(2026, 12, 2, 15), kind="spine",
                    with_whom="Dr Ruiz", location="Clinic B", questions=["Can I drive?"],
                    created_at=datetime(2026, 11, 10, 9), updated_at=datetime(2026, 11, 10, 9)),
        Appointment(user_id=patient.id, starts_at=datetime(2026, 11, 1, 14), kind="imaging",
                    cancelled_at=datetime(2026, 10, 30, 8), created_at=datetime(2026, 10, 20, 9),
                    updated_at=datetime(2026, 10, 30, 8)),
    ])  # fmt: skip
    medicine = Reminder(
        user_id=patient.id, kind="medicine", name="Alendronate", dose="70 mg",
        frequency="weekly", weekdays=[0], times=["08:00"], start_date=date(2026, 10, 5),
        created_at=datetime(2026, 10, 5, 9),
    )  # fmt: skip
    db.session.add(medicine)
    db.session.flush()
    db.session.add_all([
        MedicineDose(user_id=patient.id, reminder_id=medicine.id,
                     occurrence_at=datetime(2026, 11, 16, 13), status="taken", source="app",
                     recorded_at=datetime(2026, 11, 16, 13, 30)),
        MedicineDose(user_id=patient.id, reminder_id=medicine.id,
                     occurrence_at=datetime(2026, 11, 9, 13), status="skipped", source="email",
                     recorded_at=datetime(2026, 11, 9, 14)),
        ReminderDelivery(reminder_id=medicine.id, occurrence_at=datetime(2026, 11, 16, 13),
                         channel="email", status="sent", due_at=datetime(2026, 11, 16, 13)),
        PushSubscription(user_id=patient.id, endpoint=f"https://push.invalid/{patient.id}",
                         p256dh="key", auth="auth"),
    ])  # fmt: skip
    db.session.commit()
    return patient
