"""200% text and 400% zoom (WCAG 1.4.4 and 1.4.10) over every page a signed-in patient sees.

At 360 CSS px with the browser's text size at 200%, and at 320 CSS px (a 1280 px screen at
400% zoom): nothing may scroll sideways, and no number on the pain scale may split across
lines (a "10" broken into "1" over "0" reads as 1: the one required answer, corrupted).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from pwa.extensions import db
from pwa.models import Appointment, Reminder, User

from ..conftest import make_checkin
from .conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser

# Elements wider than the page, and what they say: the culprits of a sideways scroll.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.right > width + 1 && style.position !== 'fixed'
      && !el.closest('.visually-hidden, .skip-link');
  }).map((el) => `${el.tagName.toLowerCase()}.${el.className}: `
    + (el.textContent || '').trim().slice(0, 40));
  return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5) };
}"""

# Every pain button whose number wraps onto two lines (its text is taller than one line).
SPLIT_NUMBERS = """() => [...document.querySelectorAll('.pain-button span')].filter((span) => {
  const range = document.createRange();
  range.selectNodeContents(span.firstChild);  // the number itself, not the anchor word
  return range.getClientRects().length > 1;
}).map((span) => span.textContent)"""


def seed(live_server) -> tuple[str, dict[str, str]]:
    """A patient with a bit of everything, and the addresses of their own records."""
    patient = live_server.create_patient(
        name="Bartholomew Featherstonehaugh-Montgomery",
        profile={
            "fracture_date": date.today() - timedelta(days=20),
            "treatment": "kyphoplasty",
            "procedure_date": date.today() - timedelta(days=10),
            "doctor_name": "Dr Maximiliana Oppenheimer-Castellanos",
            "clinic_phone": "+1 (555) 010-2030",
        },
    )
    with live_server.app.app_context():
        user = db.session.get(User, patient.id)
        today = user.today()
        checkins = [
            make_checkin(user, date=today - timedelta(days=n), pain_avg=10 - n % 10, fell=n == 3)
            for n in range(14)
        ]
        appointment = Appointment(
            user_id=user.id,
            starts_at=datetime.now() + timedelta(days=3),
            kind="spine",
            with_whom="Dr Maximiliana Oppenheimer-Castellanos",
            location="Orthopaedics and Spine Rehabilitation Centre, Building 12",
            phone="+1 (555) 010-2030",
            notes="Ask about the brace",
            questions=["When can I lift my granddaughter again?"],
        )
        medicine = Reminder(
            user_id=user.id,
            kind="medicine",
            name="Alendronate sodium",
            dose="70 mg with a full glass of water",
            frequency="weekly",
            times=["08:00"],
            weekdays=[6],
            start_date=today,
        )
        db.session.add_all([appointment, medicine])
        db.session.commit()
        records = {
            "checkin": checkins[0].uuid,
            "appointment": appointment.uuid,
            "medicine": str(medicine.id),
        }
    return patient.email, records


def patient_paths(records: dict[str, str]) -> list[str]:
    return [
        "/",
        "/checkin",
        f"/checkin/{records['checkin']}/done",
        f"/checkin/{records['checkin']}/edit",
        f"/checkin/{records['checkin']}/delete",
        "/history",
        "/warning-signs",
        "/history?show=falls",
        "/appointments",
        "/appointments/new",
        f"/appointments/{records['appointment']}",
        f"/appointments/{records['appointment']}/edit",
        f"/appointments/{records['appointment']}/cancel",
        "/reminders",
        "/reminders/medicines/new",
        f"/reminders/medicines/{records['medicine']}",
        f"/reminders/medicines/{records['medicine']}/remove",
        "/report",
        "/profile",
        "/account",
        "/account/password",
        "/more",
        "/logout",
        "/learn/",
        "/learn/kyphoplasty",
        "/learn/glossary",
        "/learn/search?q=cement",
        "/install",
        "/offline",
        "/offline/saved",
        "/offline/appointments",
        "/bone-health",  # issue 12
        "/bone-health/dexa",
        "/bone-health/medicine",
    ]


def text_size(context, page, percent: int) -> None:
    size = 16 * percent // 100
    cdp = context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": size, "fixed": size}})


@pytest.mark.parametrize(
    ("width", "percent", "in_app"),
    [(360, 200, None), (320, 100, None), (360, 100, "larger")],
    ids=["360px-text-200", "320px-zoom-400", "360px-in-app-larger"],
)
def test_no_page_scrolls_sideways_and_no_pain_number_splits(
    browser, live_server, width, percent, in_app
):
    email, records = seed(live_server)
    context = browser.new_context(viewport={"width": width, "height": 640})
    if in_app:  # the app's own text size control, as stored on the phone
        context.add_init_script(f"localStorage.setItem('upright-text-size', '{in_app}')")
    page = context.new_page()
    text_size(context, page, percent)
    sign_in(page, live_server.url, email)
    problems = []
    for path in patient_paths(records):
        response = page.goto(live_server.url + path)
        assert response.ok, path
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["width"]:
            problems.append(f"{path}: scrolls sideways {found}")
        split = page.evaluate(SPLIT_NUMBERS)
        if split:
            problems.append(f"{path}: pain numbers split {split}")
    context.close()
    assert problems == [], "\n".join(problems)


def test_every_page_is_axe_clean_at_200_percent_text(browser, live_server):
    email, records = seed(live_server)
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    text_size(context, page, 200)
    sign_in(page, live_server.url, email)
    problems = {}
    for path in patient_paths(records):
        page.goto(live_server.url + path)
        if found := axe_violations(page):
            problems[path] = found
    context.close()
    assert problems == {}
