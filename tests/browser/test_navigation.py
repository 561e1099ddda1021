"""Finding the way (issue 17): the bottom bar and Back, in standalone display mode and offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, axe_violations, guard_loopback, sign_in
from .test_offline import wait_for_worker

pytestmark = pytest.mark.browser

BAR = ("Home", "Check-in", "History", "Visits", "More")


@pytest.fixture
def app_window(playwright_instance, live_server, tmp_path):
    """A signed-in patient in an app window: `display-mode: standalone`, no browser Back.

    (Chromium's media emulation does not cover display-mode; an `--app` window is the real
    thing, and it stays standalone as the patient moves from page to page.)
    """
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, f"--app={live_server.url}/login"],
        viewport=PHONE,
    )
    context.set_default_timeout(10_000)
    outside: list[str] = []
    guard_loopback(context, outside)
    page = context.pages[0]
    patient = live_server.create_patient()
    sign_in(page, live_server.url, patient.email)
    assert page.evaluate("matchMedia('(display-mode: standalone)').matches")
    yield page
    context.close()
    assert outside == []


def bar(page):
    return page.get_by_role("navigation", name="Main")


def current(page) -> list[str]:
    return [t.strip() for t in bar(page).locator("[aria-current=page]").all_inner_texts()]


def test_the_bar_is_on_every_patient_page_marks_where_you_are_and_stays_on_screen(
    app_window, live_server
):
    page = app_window
    page.goto(live_server.url + "/")
    assert [t.strip() for t in bar(page).get_by_role("link").all_inner_texts()] == list(BAR)
    assert current(page) == ["Home"]
    viewport = page.viewport_size
    box = bar(page).bounding_box()
    assert abs(box["y"] + box["height"] - viewport["height"]) < 1  # fixed at the bottom
    for link in bar(page).get_by_role("link").all():
        size = link.bounding_box()
        assert size["height"] >= 48 and size["width"] >= 48, link.inner_text()
    # The page's end is not hidden under the bar.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    footer = page.locator(".site-footer").bounding_box()
    assert footer["y"] + footer["height"] <= bar(page).bounding_box()["y"] + 1

    for name, path, marked in [
        ("History", "/history", "History"),
        ("Visits", "/appointments", "Visits"),
        ("Check-in", "/checkin", "Check-in"),
        ("More", "/more", "More"),
    ]:
        bar(page).get_by_role("link", name=name).click()
        page.wait_for_url(live_server.url + path)
        assert current(page) == [marked], path
        assert page.locator(".back-link").count() == 0  # the bar's own pages need no Back
    assert axe_violations(page) == []

    page.get_by_role("link", name="Reminders").first.click()
    page.wait_for_url(live_server.url + "/reminders")
    assert current(page) == ["More"]
    page.get_by_role("link", name="Back to More").click()
    page.wait_for_url(live_server.url + "/more")


def test_inner_pages_have_a_visible_back_to_where_they_belong(app_window, live_server):
    page = app_window
    for path, back, lands in [
        ("/appointments/new", "Back to Appointments", "/appointments"),
        ("/report", "Back to More", "/more"),
        ("/profile", "Back to More", "/more"),
        ("/account/password", "Back to Settings", "/account"),
    ]:
        page.goto(live_server.url + path)
        link = page.get_by_role("link", name=back)
        expect(link).to_be_visible()
        assert link.bounding_box()["height"] >= 48
        assert link.bounding_box()["y"] < 200  # at the top, before the page's own heading
        link.click()
        page.wait_for_url(live_server.url + lands)


def test_signed_out_visitors_get_no_bar(page, live_server):
    for path in ("/", "/login", "/learn/"):
        page.goto(live_server.url + path)
        expect(bar(page)).to_have_count(0)


def test_offline_pages_show_the_bar_and_no_sign_in_to_a_signed_in_patient(app_window, live_server):
    page = app_window
    context = page.context
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    context.set_offline(True)
    page.goto(live_server.url + "/history")
    expect(page.locator("h1")).to_have_text("You are offline")
    expect(bar(page)).to_be_visible()
    assert current(page) == ["History"]
    footer = page.locator(".site-footer")
    expect(footer.get_by_role("link", name="Sign in")).to_have_count(0)
    expect(footer.get_by_role("link", name="Sign out")).to_be_visible()
    assert axe_violations(page) == []

    page.goto(live_server.url + "/checkin")  # the offline shell of the form
    expect(page.locator("input[name=pain]")).to_have_count(11)
    assert current(page) == ["Check-in"]


def test_offline_pages_for_a_signed_out_phone_keep_sign_in(page, live_server, context):
    page.goto(live_server.url + "/learn/")
    wait_for_worker(page)
    context.set_offline(True)
    page.goto(live_server.url + "/history")
    expect(page.locator("h1")).to_have_text("You are offline")
    expect(bar(page)).to_be_hidden()
    expect(page.locator(".site-footer").get_by_role("link", name="Sign in")).to_be_visible()
