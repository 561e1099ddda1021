"""The small frictions of issue 17, each checked in real Chromium."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from pwa.extensions import db
from pwa.models import User

from ..conftest import make_checkin
from .conftest import PHONE, axe_violations, guard_loopback, sign_in
from .test_sync import go_offline_with_worker, save_offline_checkin

pytestmark = pytest.mark.browser


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


def test_were_you_hurt_is_asked_only_after_yes(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/checkin")
    page.locator("label[for=worried-yes]").click()  # the fall questions follow the gate (issue 10)
    hurt = page.get_by_role("group", name="If you fell, were you hurt?")
    fell = page.get_by_role("group", name="Did you fall today?")
    expect(hurt).to_be_hidden()
    fell.get_by_label("No").check()
    expect(hurt).to_be_hidden()
    fell.get_by_label("Yes").check()
    expect(hurt).to_be_visible()
    assert axe_violations(page) == []


def test_were_you_hurt_follows_yes_without_javascript_too(browser, live_server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    outside: list[str] = []
    guard_loopback(context, outside)
    page = context.new_page()
    sign_in(page, live_server.url, live_server.create_patient().email)
    page.goto(live_server.url + "/checkin")
    hurt = page.get_by_role("group", name="If you fell, were you hurt?")
    expect(hurt).to_be_hidden()
    page.get_by_role("group", name="Did you fall today?").get_by_label("Yes").check()
    expect(hurt).to_be_visible()
    context.close()
    assert outside == []


@pytest.mark.parametrize("width", [320, 360, 390, 800])
def test_the_anchor_words_sit_under_0_and_10_on_every_width(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    sign_in(page, live_server.url, live_server.create_patient().email)
    page.goto(live_server.url + "/checkin")
    scale = page.locator("#pain")
    for value, word in [("0", "none"), ("10", "worst")]:
        button = box(scale.locator(f"label.pain-{value} span"))
        number = page.evaluate(
            """(v) => { const r = document.createRange();
                 const span = document.querySelector(`#pain label.pain-${v} span`);
                 r.selectNodeContents(span.firstChild);
                 return r.getBoundingClientRect().bottom; }""",
            value,
        )
        anchor = box(scale.locator(f"label.pain-{value} .pain-word"))
        assert scale.locator(f"label.pain-{value} .pain-word").inner_text() == word
        assert anchor["y"] + anchor["height"] / 2 > number  # under the number
        assert button["x"] <= anchor["x"] and anchor["x"] + anchor["width"] <= button["x"] + (
            button["width"] + 0.5
        ), (width, value, anchor, button)
    context.close()


def test_the_emergency_number_in_the_footer_is_a_48_px_target(patient_page, live_server):
    page = patient_page
    for path in ("/", "/history", "/learn/"):
        page.goto(live_server.url + path)
        link = page.locator(".site-footer a[href^='tel:']")
        size = box(link)
        assert size["height"] >= 48 and size["width"] >= 48, path


def test_the_report_preview_charts_open_at_the_latest_dates_on_a_phone(browser, live_server):
    patient = live_server.create_patient()
    with live_server.app.app_context():
        user = db.session.get(User, patient.id)
        for n in range(60):
            make_checkin(user, date=user.today() - timedelta(days=n), pain_avg=n % 10)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    sign_in(page, live_server.url, patient.email)
    page.goto(live_server.url + "/report")
    scroller = page.locator(".chart-scroll").first
    assert page.evaluate("(el) => el.scrollWidth > el.clientWidth", scroller.element_handle())
    chart = box(scroller.locator("svg"))
    view = box(scroller)
    # The chart's right end (the latest days) is in view; its start is off to the left.
    assert abs((chart["x"] + chart["width"]) - (view["x"] + view["width"])) < 2
    assert chart["x"] < view["x"]
    context.close()


def test_the_calendar_link_has_a_copy_button(patient_page, live_server, context):
    page = patient_page
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + "/reminders")
    page.get_by_role("button", name="Make my private calendar link").click()
    field = page.get_by_label("Private calendar link")
    expect(field).to_be_visible()
    assert box(field)["height"] >= 48
    page.get_by_role("button", name="Copy the link").click()
    expect(page.get_by_text("Copied. Paste it into your calendar app.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == field.input_value()
    assert axe_violations(page) == []


def test_the_sync_confirmation_is_shown_as_a_success(patient_page, live_server, context):
    page = patient_page
    go_offline_with_worker(page, context, live_server.url)
    save_offline_checkin(page, live_server.url, pain=3)
    status = page.locator("#app-status")
    expect(status).not_to_have_class("app-status app-status-success")
    context.set_offline(False)
    expect(status).to_contain_text("Sent: 1 saved entry", timeout=15_000)
    expect(status).to_have_class("app-status app-status-success")
    colour = page.evaluate("getComputedStyle(document.getElementById('app-status')).color")
    assert colour == "rgb(29, 94, 43)"  # --ok


def test_home_shows_the_days_since_the_procedure(browser, live_server):
    patient = live_server.create_patient(
        name="Ada Lovelace",
        profile={"treatment": "kyphoplasty", "procedure_date": date.today() - timedelta(days=3)},
    )
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, patient.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada")
    expect(page.get_by_role("heading", name="after your kyphoplasty")).to_be_visible()
    assert axe_violations(page) == []
    context.close()


def test_the_time_zone_list_narrows_as_you_type_a_city(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/account")
    zone = page.get_by_label("Your time zone")
    page.get_by_label("Find your city").fill("buenos")
    assert zone.input_value() == "America/Argentina/Buenos_Aires"
    shown = page.evaluate("[...document.querySelectorAll('#timezone option')].length")
    assert shown <= 3  # the match, and the zone saved so far
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Buenos Aires (Argentina, Americas)")).to_be_attached()


def test_push_set_up_gives_up_after_a_timeout_with_a_plain_message(
    patient_page, live_server, context
):
    page = patient_page
    context.grant_permissions(["notifications"], origin=live_server.url)
    # The phone's push service never answers (as with no connection to it).
    page.add_init_script("PushManager.prototype.subscribe = () => new Promise(() => {});")
    page.goto(live_server.url + "/reminders")
    page.get_by_text("Notifications are off for this phone.").wait_for()
    page.evaluate("document.querySelector('[data-push]').dataset.pushTimeout = '1500'")
    page.get_by_role("button", name="Turn on notifications").click()
    expect(page.locator("[data-push-status]")).to_contain_text(
        "this phone did not answer in time", timeout=10_000
    )
    expect(page.get_by_role("button", name="Turn on notifications")).to_be_enabled()


def test_library_search_forgives_a_typo_and_quotes_the_passage_offline_too(
    page, live_server, context
):
    from .test_offline import wait_for_worker

    page.goto(live_server.url + "/learn/")
    wait_for_worker(page)
    for offline in (False, True):
        context.set_offline(offline)
        page.goto(live_server.url + "/learn/")
        page.fill("input[name=q]", "kyphplasty")
        results = page.locator("[data-search-list]")
        hit = results.locator("li", has=page.get_by_role("link", name="Balloon kyphoplasty"))
        expect(hit.first).to_be_visible()
        quote = hit.first.locator(".search-passage")
        expect(quote).to_contain_text("yphoplasty")
    assert axe_violations(page) == []
