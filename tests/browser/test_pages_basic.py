"""The pages every patient meets first, in real Chromium, checked by axe-core."""

import pytest

from .conftest import axe_violations, guard_loopback

pytestmark = pytest.mark.browser


def test_welcome_and_sign_in_pages_have_no_axe_violations(page, live_server):
    for path in ["/", "/login", "/register"]:
        page.goto(live_server.url + path)
        assert axe_violations(page) == [], path


def test_signed_in_pages_have_no_axe_violations(patient_page, live_server):
    for path in ["/", "/profile", "/account", "/account/password", "/logout"]:
        patient_page.goto(live_server.url + path)
        assert axe_violations(patient_page) == [], path


def test_registration_takes_the_time_zone_from_the_browser(browser, live_server):
    context = browser.new_context(
        timezone_id="Europe/Berlin", viewport={"width": 390, "height": 844}
    )
    outside: list[str] = []
    guard_loopback(context, outside)
    page = context.new_page()
    page.goto(live_server.url + "/register")
    assert page.get_by_label("Your time zone").input_value() == "Europe/Berlin"
    page.get_by_label("Your name").fill("Greta")
    page.get_by_label("E-mail address").fill("greta@example.com")
    page.get_by_label("Choose a password").fill("a long password")
    page.get_by_label("Type the password again").fill("a long password")
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", name="My recovery details").wait_for()
    assert axe_violations(page) == []
    context.close()
    assert outside == []
