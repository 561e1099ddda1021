"""Issue 12: the height pages in real Chromium on a 390 px phone: add, see the loss and its
advice, correct and delete, the tallest height; axe-clean, and no sideways scroll at 200% text."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from .conftest import axe_violations, sign_in
from .test_large_text import OVERFLOW, text_size

pytestmark = pytest.mark.browser


def add(page, base_url: str, day: date, height: str, place: str = "clinic", method: str = ""):
    page.goto(f"{base_url}/height")
    page.get_by_role("link", name="Add a measurement").click()
    page.fill("input[name=measured_on]", day.isoformat())
    page.fill("input[name=height]", height)
    page.check(f"input[name=place][value={place}]")
    if method:
        page.fill("input[name=method]", method)
    page.get_by_role("button", name="Save the measurement").click()
    page.wait_for_url(re.compile(r"/saved$"))


def test_recording_heights_shows_the_loss_with_its_advice_and_is_axe_clean(
    patient_page, live_server
):
    page, url = patient_page, live_server.url
    problems: dict[str, list[str]] = {}

    page.goto(f"{url}/more")
    page.get_by_role("link", name="My height").click()
    page.wait_for_url(re.compile(r"/height$"))
    expect(page.get_by_role("heading", name="Why measure your height?")).to_be_visible()
    problems["list, empty"] = axe_violations(page)

    page.get_by_role("link", name="Add a measurement").click()
    page.wait_for_url(re.compile(r"/height/new$"))
    problems["form"] = axe_violations(page)
    # Bad input: kept, with the reason next to each field.
    page.fill("input[name=height]", "5 foot 13")
    page.check("input[name=place][value=home]")
    page.get_by_role("button", name="Save the measurement").click()
    expect(page.locator("#height-error")).to_contain_text("in centimetres")
    assert page.input_value("input[name=height]") == "5 foot 13"
    assert "how you measured it" in page.locator("#method-error").inner_text()
    assert page.is_checked("input[name=place][value=home]")
    problems["form with errors"] = axe_violations(page)

    add(page, url, date.today() - timedelta(days=400), "165")
    expect(page.get_by_role("heading", name="Height saved", exact=True)).to_be_visible()
    add(page, url, date.today() - timedelta(days=1), "5'4\"")
    expect(page.get_by_role("heading", name="Height saved: tell your doctor")).to_be_visible()
    body = page.inner_text("main")
    assert "spine x-ray or a vertebral fracture assessment" in body
    assert "2.4 cm shorter" in body and "fine" not in body.lower()
    problems["saved with the sign"] = axe_violations(page)
    page.check("input[name=action][value=will_mention]")
    page.get_by_role("button", name="Save what I did").click()
    expect(page.locator("main")).to_contain_text("You told us: will mention it at my next visit")

    page.get_by_role("link", name="See my measurements").click()
    rows = page.locator(".height-row")
    expect(rows).to_have_count(2)
    assert "162.6 cm (5 ft 4 in)" in rows.nth(0).inner_text()
    problems["list"] = axe_violations(page)

    # Correct the second one, then delete it.
    rows.nth(0).get_by_role("link", name="Change").click()
    page.wait_for_url(re.compile(r"/edit$"))
    assert page.input_value("input[name=height]") == "162.6"
    problems["edit"] = axe_violations(page)
    page.fill("input[name=height]", "164.8")
    page.get_by_role("button", name="Save the measurement").click()
    expect(page.get_by_role("heading", name="Height saved", exact=True)).to_be_visible()
    page.goto(f"{url}/height")
    page.locator(".height-row").nth(0).get_by_role("link", name="Delete").click()
    page.wait_for_url(re.compile(r"/delete$"))
    problems["delete"] = axe_violations(page)
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.locator(".height-row")).to_have_count(1)

    page.get_by_role("link", name="Add my tallest height").click()
    page.wait_for_url(re.compile(r"/height/tallest$"))
    problems["tallest"] = axe_violations(page)
    page.fill("input[name=tallest]", "5 ft 7 in")
    page.get_by_role("button", name="Save my tallest height").click()
    expect(page.locator("main")).to_contain_text("170.2 cm (5 ft 7 in)")
    expect(page.locator("main")).to_contain_text("5.2 cm shorter")

    assert {name: found for name, found in problems.items() if found} == {}


def test_the_height_pages_do_not_scroll_sideways_at_200_percent_text(browser, live_server):
    patient = live_server.create_patient(profile={"tallest_height_mm": 1702})
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    text_size(context, page, 200)
    sign_in(page, live_server.url, patient.email)
    add(page, live_server.url, date.today() - timedelta(days=400), "165")
    add(page, live_server.url, date.today(), "158.5", "home", "Against the kitchen doorframe")
    saved = page.url
    page.goto(f"{live_server.url}/height")
    edit = (
        page.locator(".height-row").nth(0).get_by_role("link", name="Change").get_attribute("href")
    )
    problems = []
    for path in ("/height", "/height/new", "/height/tallest", edit, saved):
        page.goto(path if path.startswith("http") else live_server.url + path)
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["width"]:
            problems.append(f"{path}: scrolls sideways {found}")
        if found := axe_violations(page):
            problems.append(f"{path}: {found}")
    assert "measured at your next visit" in page.inner_text("main")  # the home reading's note
    context.close()
    assert problems == []
