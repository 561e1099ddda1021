"""A patient fills the daily check-in in real Chromium; every screen passes axe-core."""

import pytest
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import CheckIn, WarningEvent

from .conftest import axe_violations

pytestmark = pytest.mark.browser


def test_patient_fills_a_checkin_and_answers_the_warning_screen(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/checkin")
    assert axe_violations(page) == []

    page.locator("#pain-4").click()  # the big "4" button of average pain
    page.locator("label[for=worried-yes]").click()  # "Anything new or worrying today?"
    page.get_by_label("Fever of 38.0 °C (100.4 °F) or more, or chills").check()
    page.locator("summary", has_text="Pain details").click()
    page.get_by_label("Middle back").check()
    page.locator("summary", has_text="Moving about").click()
    page.get_by_label("Walker").check()
    page.get_by_label("About how many minutes did you walk today?").fill("20")
    page.get_by_label("Anything else to note? (optional)").fill("Hard night.")
    page.get_by_role("button", name="Save my check-in").click()

    page.get_by_role("heading", name="Call your doctor today", level=1).wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Called my doctor").check()
    page.get_by_role("button", name="Save what I did").click()
    page.get_by_text("What you did is saved").wait_for()

    with live_server.app.app_context():
        checkin = db.session.scalar(select(CheckIn))
        event = db.session.scalar(select(WarningEvent))
        assert (checkin.pain_avg, checkin.locations, checkin.walking_aid) == (
            4, ["middle_back"], "walker",
        )  # fmt: skip
        assert (checkin.minutes_walked, checkin.notes) == (20, "Hard night.")
        assert (event.sign, event.tier, event.action) == ("fever", "urgent", "called_doctor")

    for path in ["/history", f"/checkin/{checkin.uuid}/edit", f"/checkin/{checkin.uuid}/delete"]:
        page.goto(live_server.url + path)
        assert axe_violations(page) == [], path


def test_errors_are_announced_next_to_fields_and_pass_axe(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/checkin")
    page.locator("summary", has_text="Moving about").click()
    page.get_by_label("About how many minutes did you walk today?").fill("5000")
    page.get_by_role("button", name="Save my check-in").click()
    page.locator("#pain-error").wait_for()
    assert page.locator("#worried-error").is_visible()
    assert page.locator("#minutes_walked-error").is_visible()
    assert page.get_by_label("About how many minutes did you walk today?").input_value() == "5000"
    assert axe_violations(page) == []


def test_big_targets_and_large_text(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/checkin")
    base = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert base >= 18
    small = page.evaluate(
        """() => [...document.querySelectorAll(
                 'main button, main .pain-button span, main .choice, main input[type=text], '
                 + 'main input[type=number], main input[type=date], main textarea')]
            .filter(el => el.offsetParent !== null)
            .map(el => el.getBoundingClientRect())
            .filter(r => r.height < 48 || r.width < 48).length"""
    )
    assert small == 0


@pytest.mark.parametrize("path", ["/", "/checkin", "/history", "/profile", "/login"])
def test_no_sideways_scrolling_at_360px_with_text_at_200_percent(patient_page, live_server, path):
    page = patient_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + path)
    page.add_style_tag(content="html { font-size: 200% !important; }")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"


def test_ticking_a_sign_shows_that_tiers_advice_next_to_it(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/checkin")
    assert not page.get_by_label("Pain or swelling in a calf").is_visible()  # behind "Yes"
    page.locator("label[for=worried-yes]").click()
    calf = page.locator(".sign", has=page.locator("#warning_signs-calf"))
    chest = page.locator(".sign", has=page.locator("#warning_signs-chest_breath"))
    assert not calf.locator(".sign-advice").is_visible()
    page.get_by_label("Pain or swelling in a calf").check()
    assert calf.locator(".sign-advice").is_visible()
    assert "Call your doctor or surgeon today" in calf.locator(".sign-advice").inner_text()
    page.get_by_label("New chest pain, or sudden shortness of breath").check()
    advice = chest.locator(".sign-advice")
    assert advice.get_by_role("link", name="Call 911").get_attribute("href") == "tel:911"
    assert axe_violations(page) == []


def test_a_patient_in_a_hurry_saves_after_the_first_question(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/checkin")
    page.locator("#pain-3").click()
    page.locator("label[for=worried-no]").click()
    page.get_by_role("button", name="Save now").click()
    page.get_by_role("heading", name="Check-in saved", level=1).wait_for()
    with live_server.app.app_context():
        assert db.session.scalar(select(CheckIn.pain_avg)) == 3
