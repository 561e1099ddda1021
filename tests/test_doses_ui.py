"""Doses where the patient is: today's due doses on the home screen, recent ones on the list."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from pwa.models import MedicineDose, Reminder, utcnow


def add_daily(db, patient, times: list[str]) -> Reminder:
    medicine = Reminder(
        user_id=patient.id, kind="medicine", name="Calcium", dose="1 tablet",
        frequency="daily", times=times, start_date=patient.today() - timedelta(days=30),
    )  # fmt: skip
    db.session.add(medicine)
    db.session.commit()
    return medicine


def test_home_lists_todays_doses_with_taken_and_not_taken(client, signed_in, db):
    add_daily(db, signed_in, ["00:00", "23:59"])

    page = client.get("/").get_data(as_text=True)

    section = page[page.index("Today's medicines") :]
    assert section.count('data-offline-form="doses"') == 4  # two doses, two answers each
    assert "Due at 12:00 am" in section and "Due at 11:59 pm" in section
    assert 'value="taken"' in section and 'value="skipped"' in section
    assert page.count('name="occurrence"') == 4  # not repeated by the reminders list


def test_taken_from_home_is_recorded_once_with_the_forms_id_and_shown(client, signed_in, db):
    medicine = add_daily(db, signed_in, ["00:00"])
    page = client.get("/").get_data(as_text=True)
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    dose_id = "0b6a1c2e-4f4d-4b8e-9a51-7f1e2d3c4b5a"

    client.post(
        f"/reminders/medicines/{medicine.id}/dose",
        data={**form, "status": "taken", "id": dose_id},
    )
    again = client.post(
        "/api/v1/doses",
        json={"id": dose_id, "medicine_id": medicine.uuid, "due": form["due"], "status": "taken"},
    )

    [dose] = db.session.scalars(select(MedicineDose)).all()
    assert (dose.status, dose.uuid) == ("taken", dose_id)
    assert again.status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert "<strong>Taken</strong>" in home
    listing = client.get("/reminders").get_data(as_text=True)
    assert "Doses in the last two weeks" in listing and "taken" in listing
    assert dose.taken_at is not None and dose.taken_at <= utcnow()


def test_the_checkin_asks_about_a_medicine_only_on_a_day_a_dose_is_due(client, signed_in, db):
    today = signed_in.today()
    daily = add_daily(db, signed_in, ["00:00"])
    other_day = (today.weekday() + 3) % 7
    db.session.add(
        Reminder(
            user_id=signed_in.id, kind="medicine", name="Alendronate", frequency="weekly",
            weekdays=[other_day], times=["08:00"], start_date=today - timedelta(days=30),
        )
    )  # fmt: skip
    db.session.commit()

    page = client.get("/checkin").get_data(as_text=True)
    [name] = re.findall(r'name="(dose:[^"]+)"', page)[:1]
    client.post(
        "/checkin",
        data={"id": "3d0f1a52-7c59-4f5e-9b7a-3f1c2d8e4a11", "date": today.isoformat(),
              "pain": "3", "worried": "no", name: "taken"},
    )  # fmt: skip

    assert "Did you take Calcium (1 tablet), due at 12:00 am?" in page
    assert "Alendronate" not in page
    assert "osteoporosis medicine today" not in page
    [dose] = db.session.scalars(select(MedicineDose)).all()
    assert (dose.reminder_id, dose.status) == (daily.id, "taken")
