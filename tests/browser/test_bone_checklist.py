"""Issue 12: the bone-health checklist in Chromium at 390 px: Booked with a date, Done, Not for
me, a refused T-score, the home card; axe-clean; at 200% text nothing scrolls sideways."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from .conftest import axe_violations, sign_in
from .test_large_text import OVERFLOW, text_size

pytestmark = pytest.mark.browser


def open_step(page, label: str) -> None:
    page.get_by_role("link", name=f"Change {label}", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=label)).to_be_visible()


def test_a_patient_sets_steps_booked_done_and_not_for_me(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/")
    card = page.get_by_role("region", name="Bone health after your fracture: 0 of 6 settled")
    expect(card).to_contain_text("Next step: Bone density scan (DEXA).")
    card.get_by_role("link", name="Open the bone health checklist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bone health after your fracture")
    assert axe_violations(page) == []

    # Booked, with the day it is booked for and where.
    booked_for = date.today() + timedelta(days=12)
    open_step(page, "Bone density scan (DEXA)")
    assert axe_violations(page) == []
    for label in ("Done", "Booked", "Not yet", "Not for me"):
        box = page.locator("label.choice", has_text=label).first.bounding_box()
        assert box and box["height"] >= 48, label  # big enough for stiff fingers
    expect(page.get_by_label("Not yet")).to_be_checked()
    page.get_by_label("Booked").check()
    page.get_by_label("Date (optional)").fill(booked_for.isoformat())
    page.get_by_label("Where (optional)").fill("St Mary's Hospital")
    page.get_by_role("button", name="Save").click()
    scan = page.locator("#item-dexa")
    expect(scan).to_contain_text("Booked")
    expect(scan).to_contain_text("St Mary's Hospital")

    # A T-score out of bounds is refused next to its box; the rest stays as typed.
    open_step(page, "Bone density scan (DEXA)")
    page.get_by_label("Done", exact=True).check()
    page.get_by_label("Date (optional)").fill((date.today() - timedelta(days=1)).isoformat())
    page.get_by_label("T-score (optional)").fill("-7")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#t_score-error")).to_contain_text("from -6 to +4")
    expect(page.get_by_label("Where (optional)")).to_have_value("St Mary's Hospital")
    expect(page.get_by_label("Done", exact=True)).to_be_checked()
    assert axe_violations(page) == []
    page.get_by_label("T-score (optional)").fill("-2.6")
    page.get_by_role("button", name="Save").click()
    expect(scan).to_contain_text("Done")
    expect(scan).to_contain_text("T-score -2.6")

    # Done, for the blood tests.
    open_step(page, "Blood tests: vitamin D, calcium, kidney function")
    page.get_by_label("Done", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#item-bloods")).to_contain_text("Done")

    # Not for me, with the reason.
    open_step(page, "Fracture liaison or bone health clinic")
    page.get_by_label("Not for me").check()
    page.get_by_label("Where, or why not (optional)").fill("There is none near me")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#item-fls")).to_contain_text("Not for me")
    expect(page.locator("#settled-count")).to_contain_text("3 of 6 steps settled")
    assert axe_violations(page) == []

    # The medicine step offers the known names as the patient types.
    open_step(page, "Osteoporosis medicine talked about, and which one started")
    names = page.locator("datalist#medicine-names option")
    assert "denosumab" in names.evaluate_all("options => options.map(o => o.value)")

    page.goto(live_server.url + "/")
    expect(
        page.get_by_role("region", name="Bone health after your fracture: 3 of 6 settled")
    ).to_contain_text("Next step: Osteoporosis medicine")


def test_the_checklist_at_200_percent_text_never_scrolls_sideways(browser, live_server):
    patient = live_server.create_patient(profile={"fracture_date": date.today()})
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    text_size(context, page, 200)
    sign_in(page, live_server.url, patient.email)
    problems = {}
    for path in ("/bone-health", "/bone-health/dexa", "/bone-health/medicine", "/"):
        page.goto(live_server.url + path)
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["width"] or found["wide"]:
            problems[path] = found
        if violations := axe_violations(page):
            problems[path + " (axe)"] = violations
    assert float(page.evaluate("getComputedStyle(document.body).fontSize")[:-2]) >= 36
    context.close()
    assert problems == {}
