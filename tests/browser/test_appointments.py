"""A patient keeps an appointment in real Chromium; axe-core checks every appointment page."""

import pytest

from .conftest import axe_violations

pytestmark = pytest.mark.browser


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_patient_adds_changes_and_cancels_an_appointment_on_accessible_pages(
    patient_page, live_server
):
    page = patient_page
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(f"{live_server.url}/appointments")
    assert page.locator("h1").inner_text() == "Appointments"
    assert axe_violations(page) == [], "empty list"

    page.get_by_role("link", name="Add an appointment").click()
    page.wait_for_url("**/appointments/new")
    assert axe_violations(page) == [], "new form"
    assert fits_the_screen(page)
    heights = page.locator("label.choice").evaluate_all(
        "labels => labels.map(l => l.getBoundingClientRect().height)"
    )
    assert len(heights) == 6 and min(heights) >= 48  # big targets for the kind

    # Saving with nothing filled in: messages next to the fields, what was typed kept.
    page.get_by_label("With whom? (optional)").fill("Dr Okafor")
    page.get_by_role("button", name="Save the appointment").click()
    page.wait_for_selector("#date-error")
    assert "Please enter the date" in page.locator("#date-error").inner_text()
    assert page.get_by_label("With whom? (optional)").input_value() == "Dr Okafor"
    assert axe_violations(page) == [], "form with errors"

    page.get_by_label("Date").fill("2030-03-04")
    page.get_by_label("Time").fill("14:30")
    page.get_by_text("Spine specialist").click()
    page.get_by_label("Where? (optional)").fill("City Spine Clinic")
    page.get_by_label("Phone number (optional)").fill("555 010 2000")
    page.get_by_label("Questions to ask (optional)").fill(
        "When can I drive again?\nCan I lift my grandson?"
    )
    page.get_by_role("button", name="Save the appointment").click()
    page.wait_for_selector("text=Your appointment is saved.")
    assert "Mon 4 Mar 2030, 2:30 pm" in page.locator("main").inner_text()  # the one format
    assert axe_violations(page) == [], "detail page"
    question = page.get_by_label("Can I lift my grandson?")
    question.check()  # the checklist works by tapping the question
    assert question.is_checked()

    page.get_by_role("link", name="Change").click()
    page.get_by_label("Time").fill("15:00")
    page.get_by_role("button", name="Save the appointment").click()
    page.wait_for_selector("text=Your changes are saved.")
    assert "3:00 pm" in page.locator("main").inner_text()

    page.get_by_role("link", name="Cancel this appointment").click()
    assert axe_violations(page) == [], "cancel confirmation"
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_selector("text=This appointment is cancelled.")
    assert axe_violations(page) == [], "cancelled detail"

    page.goto(f"{live_server.url}/appointments")
    assert page.locator(".appointment-tile").count() == 1
    assert "Cancelled" in page.locator(".appointment-tile").inner_text()
    assert axe_violations(page) == [], "list with an appointment"
    assert fits_the_screen(page)
