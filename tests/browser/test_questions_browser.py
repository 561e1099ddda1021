"""Issue 12: the suggested questions and the saved ticks in real Chromium at 390 px, with and
without JavaScript, online and with the connection dropped; axe-clean; 200% text fits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pwa.extensions import db
from pwa.models import Appointment, utcnow

from .conftest import axe_violations, sign_in
from .test_large_text import OVERFLOW, text_size

pytestmark = pytest.mark.browser

DEXA = "It is 9 weeks since my fracture and I have not had a bone density scan. Should I have one?"
MEDICINE = "Should I start a medicine for osteoporosis, and which one would suit me?"
BLOODS = "Should I have blood tests for vitamin D, calcium and kidney function?"
OWN = "Which bone medicine is best for me, and for how long?"


def seed(live_server) -> tuple[str, str]:
    patient = live_server.create_patient(
        profile={"fracture_date": date.today() - timedelta(weeks=9)}
    )
    with live_server.app.app_context():
        visit = Appointment(
            user_id=patient.id,
            starts_at=utcnow().replace(microsecond=0) + timedelta(days=5),
            kind="spine",
            with_whom="Dr Ngata",
            questions=["When can I drive?"],
        )
        db.session.add(visit)
        db.session.commit()
        return patient.email, f"{live_server.url}/appointments/{visit.uuid}"


def said(page, text: str) -> None:
    """Waits until the page's status line (announced to screen readers) says `text`."""
    page.wait_for_function(
        "text => document.querySelector('[data-questions-status]').textContent.includes(text)",
        arg=text,
    )


def card(page, text: str):
    return page.locator("li.suggestion", has_text=text)


def test_add_edit_remove_and_tick_then_reload_keeps_everything(page, live_server):
    email, url = seed(live_server)
    sign_in(page, live_server.url, email)
    page.goto(url)
    assert page.locator("#suggested-title").inner_text() == "Suggested questions"
    assert page.locator("li.suggestion").count() == 5
    assert axe_violations(page) == [], "suggestions"
    sizes = page.locator(".suggestion-actions > .button, .suggestion-edit > summary").evaluate_all(
        "buttons => buttons.map(b => b.getBoundingClientRect().height)"
    )
    assert len(sizes) == 15 and min(sizes) >= 48  # Add, Edit, Remove on each, big

    page.evaluate("window.stayedOnThePage = true")
    card(page, DEXA).get_by_role("button", name="Add").click()
    said(page, "The question is added")
    assert page.get_by_label(DEXA).count() == 1  # in the question list now

    card(page, MEDICINE).locator("summary", has_text="Edit").click()
    box = card(page, MEDICINE).get_by_label("Your question, in your own words")
    assert box.input_value() == MEDICINE  # pre-filled
    assert axe_violations(page) == [], "editing a suggestion"
    box.fill("")
    card(page, MEDICINE).get_by_role("button", name="Add my wording").click()
    said(page, "Please write the question, or press Remove")
    box = card(page, MEDICINE).get_by_label("Your question, in your own words")
    assert box.evaluate("box => box === document.activeElement")  # back in the box
    assert axe_violations(page) == [], "own wording refused"
    box.fill(OWN)
    card(page, MEDICINE).get_by_role("button", name="Add my wording").click()
    page.wait_for_selector(f"label:has-text('{OWN}')")

    card(page, BLOODS).get_by_role("button", name="Remove").click()
    said(page, "The suggestion is removed")
    assert card(page, BLOODS).count() == 0
    assert page.evaluate("window.stayedOnThePage") is True  # no reload: the place is kept

    tick = page.get_by_label("When can I drive?")
    tick.check()
    page.wait_for_selector("[data-ticks-status]:text('Saved.')")
    assert not page.get_by_role("button", name="Save the ticks").is_visible()

    page.reload()
    questions = page.locator(".question-checklist label").all_inner_texts()
    assert [q.strip() for q in questions] == ["When can I drive?", DEXA, OWN]
    assert page.get_by_label("When can I drive?").is_checked()
    assert not page.get_by_label(DEXA).is_checked()
    suggested = page.locator("#suggested").inner_text()
    assert BLOODS not in suggested and MEDICINE not in suggested and DEXA not in suggested
    assert axe_violations(page) == [], "after the changes"

    # The connection drops at the clinic: the tick is kept on the phone and said to be unsaved,
    # then saved when the phone is back online.
    page.context.set_offline(True)
    page.get_by_label(OWN).check()
    page.wait_for_selector("[data-ticks-status]:text('Not saved yet: there is no connection')")
    assert axe_violations(page) == [], "tick not saved"
    page.context.set_offline(False)
    page.wait_for_selector("[data-ticks-status]:text('Saved.')")
    page.reload()
    assert (
        page.get_by_label(OWN).is_checked() and page.get_by_label("When can I drive?").is_checked()
    )


def test_ticks_are_saved_with_the_button_without_javascript(browser, live_server):
    email, url = seed(live_server)
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url, email)
    page.goto(url)
    page.get_by_label("When can I drive?").check()
    page.get_by_role("button", name="Save the ticks").click()
    page.wait_for_selector("text=Your ticks are saved.")
    assert page.get_by_label("When can I drive?").is_checked()
    card(page, DEXA).locator("summary", has_text="Edit").click()
    card(page, DEXA).get_by_label("Your question, in your own words").fill("")
    card(page, DEXA).get_by_role("button", name="Add my wording").click()
    assert "Please write the question, or press Remove" in card(page, DEXA).inner_text()
    context.close()


def test_the_question_page_fits_at_200_percent_text(browser, live_server):
    email, url = seed(live_server)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    text_size(context, page, 200)
    sign_in(page, live_server.url, email)
    page.goto(url)
    card(page, MEDICINE).locator("summary", has_text="Edit").click()
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"], found
    assert axe_violations(page) == []
    context.close()
