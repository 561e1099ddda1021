"""Issue 12 in real Chromium at 390 px: typing a known bone medicine's name fills in its usual
schedule and shows its note, the patient can still change it, and the page stays axe-clean."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import Reminder, User
from pwa.reminders.schedules import wall_to_utc
from pwa.reminders.services import ensure_defaults, save_medicine

from .conftest import axe_violations

pytestmark = pytest.mark.browser


def test_typing_prolia_prefills_every_6_months_and_shows_its_note(patient_page, live_server):
    page = patient_page
    assert page.viewport_size["width"] == 390
    page.goto(live_server.url + "/reminders/medicines/new")
    note = page.locator("#drug-note")
    assert not note.is_visible()
    assert not page.get_by_label("Every how many months? (for “every few months”)").is_visible()
    page.get_by_label("Name of the medicine").press_sequentially("Prolia")
    page.get_by_text("Never late, and never stopped without a follow-on medicine").wait_for()
    assert page.get_by_role("radio", name="Every few months").is_checked()
    months = page.get_by_label("Every how many months? (for “every few months”)")
    assert months.is_visible() and months.input_value() == "6"
    ahead = page.get_by_label("Remind me to book the next dose, this many weeks before it")
    assert ahead.is_visible() and ahead.input_value() == "4"
    assert axe_violations(page) == []
    # The known names are offered as the patient types.
    options = page.locator("datalist#known-medicines option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert "Prolia" in options and "Reclast" in options

    # Changing to another known drug fills in its own schedule; the patient can still change it.
    name = page.get_by_label("Name of the medicine")
    name.fill("Reclast")
    assert page.get_by_role("radio", name="Once a year").is_checked()
    assert page.get_by_text("A drip (infusion) once a year.").is_visible()
    name.fill("Prolia 60 mg")
    assert page.get_by_role("radio", name="Every few months").is_checked()
    months.fill("3")
    ahead.fill("6")
    page.get_by_label("At what time?").fill("09:00")
    page.get_by_role("button", name="Save the reminder").click()
    page.get_by_text("The reminder for Prolia 60 mg is saved.").wait_for()
    assert page.get_by_text("A reminder to book each dose comes 6 weeks before it").is_visible()
    assert axe_violations(page) == []
    with live_server.app.app_context():
        medicine = db.session.scalar(select(Reminder).where(Reminder.kind == "medicine"))
        assert (medicine.frequency, medicine.interval_months, medicine.drug) == (
            "every_n_months",
            3,
            "denosumab",
        )
        assert medicine.book_ahead_weeks == 6
        db.session.remove()


def test_a_name_the_table_does_not_know_stays_free_text(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/reminders/medicines/new")
    page.get_by_label("Name of the medicine").fill("Vitamin D3")
    assert not page.locator("#drug-note").is_visible()
    assert not page.get_by_role("radio", name="Every few months").is_checked()
    assert not page.get_by_label(
        "Remind me to book the next dose, this many weeks before it"
    ).is_visible()


def test_a_late_denosumab_dose_shows_on_home_axe_clean_until_answered(patient_page, live_server):
    page = patient_page
    with live_server.app.app_context():
        patient = db.session.get(User, page.patient.id)
        start = patient.today() - timedelta(days=183 + 42)  # its 6-month dose ~6 weeks ago
        added = wall_to_utc(start, time(8), patient.zone)
        values = {"name": "Prolia", "dose": None, "frequency": "every_n_months",
                  "times": [time(9)], "weekdays": [], "interval_months": 6,
                  "start_date": start, "end_date": None}  # fmt: skip
        settings = ensure_defaults(db.session, patient, added)
        medicine = save_medicine(db.session, patient, None, values, settings, added)
        medicine.created_at = added
        db.session.commit()
        db.session.remove()
    page.goto(live_server.url + "/")
    heading = page.get_by_role("heading", name="A bone medicine dose is overdue: Prolia")
    assert heading.is_visible()
    assert page.get_by_text(
        "A late denosumab dose can lead to several spine fractures"
    ).is_visible()
    assert axe_violations(page) == []
    page.get_by_role("radio", name="Called my doctor").check()
    page.get_by_role("button", name="Save what I did about Prolia").click()
    page.get_by_text("Saved: called my doctor.").wait_for()
    assert not heading.is_visible()
