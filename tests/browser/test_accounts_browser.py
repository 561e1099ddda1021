"""Accounts in real Chromium (issue 14): a shared phone keeps each account's unsent entries and
offline appointments to itself; "Forgot your password?" end to end through a real SMTP server.
Every page checked with axe-core at 390 px."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func

from pwa import create_app
from pwa.extensions import db
from pwa.models import Appointment, CheckIn, utcnow

from ..conftest import config_for
from ..test_reminders_support import MailServer
from .conftest import axe_violations, guard_loopback, sign_in
from .test_offline import until, wait_for_worker
from .test_sync import save_offline_checkin

pytestmark = pytest.mark.browser

QUESTION = "These were saved by another account on this phone"


@pytest.fixture
def mail():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def live_app(tmp_path, mail):
    """The live server's app, sending its e-mail to the loopback SMTP server."""
    app = create_app(
        config_for(tmp_path, WTF_CSRF_ENABLED=True, SMTP_HOST="127.0.0.1", SMTP_PORT=mail.port)
    )
    with app.app_context():
        db.create_all()
    return app


def count(live_server, model, user_id: int) -> int:
    with live_server.app.app_context():
        query = db.select(func.count()).select_from(model).where(model.user_id == user_id)
        return db.session.scalar(query)


def add_appointment(live_server, user_id: int, with_whom: str) -> None:
    with live_server.app.app_context():
        db.session.add(
            Appointment(
                user_id=user_id, starts_at=utcnow() + timedelta(days=3), kind="spine",
                with_whom=with_whom,
            )
        )  # fmt: skip
        db.session.commit()


def save_offline_appointment(page, url: str) -> None:
    page.goto(url + "/appointments/new")
    page.fill("input[name=date]", (utcnow() + timedelta(days=30)).date().isoformat())
    page.fill("input[name=time]", "09:30")
    page.locator("input[name=kind][value=bone_density]").dispatch_event("click")
    page.click("form[data-offline-form] button[type=submit]")
    page.wait_for_url("**/offline/saved")


def anna_leaves_two_entries_on_the_phone(page, context, live_server):
    """Anna keeps her appointments on the phone, saves a check-in and an appointment offline,
    and her session ends before they are sent (the phone is passed on)."""
    add_appointment(live_server, page.patient.id, "Dr Alvarez")
    page.goto(live_server.url + "/appointments")
    wait_for_worker(page)
    until(page, "UprightSync.readAppointments().then(a => a.length === 1)")
    context.set_offline(True)
    save_offline_checkin(page, live_server.url, pain=6)
    save_offline_appointment(page, live_server.url)
    page.goto(live_server.url + "/appointments")  # the worker shows the phone's copy
    copy = page.locator("[data-appointments-copy]")
    expect(copy).to_contain_text("Dr Alvarez")
    expect(copy).to_contain_text("Saved on this phone, not sent yet")
    context.clear_cookies()
    context.set_offline(False)


def test_a_shared_phone_shows_no_one_anothers_entries_and_asks_what_to_do(
    patient_page, live_server, context
):
    page = patient_page
    anna = page.patient
    anna_leaves_two_entries_on_the_phone(page, context, live_server)

    # A signed-out visitor sees nothing of Anna's on the offline appointments page.
    page.goto(live_server.url + "/login")  # the sign-in page: no one is signed in here now
    until(page, "UprightSync.getMeta('account').then(account => !account)")
    page.goto(live_server.url + "/offline/appointments")
    copy = page.locator("[data-appointments-copy]")
    expect(copy).to_contain_text("No copy of your appointments")
    expect(copy).not_to_contain_text("Dr Alvarez")
    expect(copy).not_to_contain_text("not sent yet")

    # Ben signs in on the same phone: asked, shown nothing, sent nothing.
    ben = live_server.create_patient()
    sign_in(page, live_server.url, ben.email)
    question = page.locator("#shared-phone")
    expect(question).to_contain_text(QUESTION)
    expect(question).to_contain_text("2 entries")
    assert axe_violations(page) == []
    assert page.evaluate("UprightSync.status().then(s => s.waiting)") == 0
    page.goto(live_server.url + "/offline/appointments")
    expect(copy).not_to_contain_text("Dr Alvarez")
    expect(copy).not_to_contain_text("not sent yet")
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Keep them for that account").click()
    expect(question).to_contain_text("Kept. They will be sent when that account signs in")
    page.reload()
    page.wait_for_load_state()
    page.wait_for_timeout(300)
    expect(page.locator("#shared-phone")).to_have_count(0)  # asked once
    page.evaluate("UprightSync.flush()")
    assert count(live_server, CheckIn, ben.id) == 0 and count(live_server, Appointment, ben.id) == 0
    assert page.evaluate("UprightSync.outboxEntries().then(e => e.length)") == 2

    # Anna signs in again: no question, and her entries reach her account.
    page.goto(live_server.url + "/logout")
    page.click("form[data-logout] button[type=submit]")
    page.wait_for_url("**/login**")
    sign_in(page, live_server.url, anna.email)
    until(page, "UprightSync.outboxEntries().then(e => e.length === 0)")
    expect(page.locator("#shared-phone")).to_have_count(0)
    assert count(live_server, CheckIn, anna.id) == 1
    assert count(live_server, Appointment, anna.id) == 2


def test_the_next_account_may_delete_anothers_unsent_entries(patient_page, live_server, context):
    page = patient_page
    anna = page.patient
    anna_leaves_two_entries_on_the_phone(page, context, live_server)
    ben = live_server.create_patient()
    sign_in(page, live_server.url, ben.email)
    page.get_by_role("button", name="Delete them").click()
    expect(page.locator("#shared-phone")).to_contain_text("Deleted from this phone.")
    assert page.evaluate("UprightSync.outboxEntries().then(e => e.length)") == 0
    context.clear_cookies()
    sign_in(page, live_server.url, anna.email)
    page.evaluate("UprightSync.flush()")
    assert count(live_server, CheckIn, anna.id) == 0
    assert count(live_server, Appointment, anna.id) == 1  # the one made online stays


def test_forgot_password_in_the_browser_the_link_works_once(page, live_server, mail):
    patient = live_server.create_patient(name="Anna Berg")
    page.goto(live_server.url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url("**/forgot-password")
    assert axe_violations(page) == []
    page.fill("input[name=email]", patient.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("main")).to_contain_text("Please look in your e-mail")
    assert axe_violations(page) == []

    (message,) = mail.wait_for(1)
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"(/reset-password\?token=\S+)", text)[1]
    page.goto(live_server.url + link)
    expect(page.locator("h1")).to_have_text("Choose a new password")
    assert axe_violations(page) == []
    page.fill("input[name=new]", "password")
    page.fill("input[name=confirm]", "password")
    page.get_by_role("button", name="Save my new password").click()
    expect(page.locator("#new-error")).to_contain_text("most common")
    assert axe_violations(page) == []
    page.fill("input[name=new]", "my back is mending")
    page.fill("input[name=confirm]", "my back is mending")
    page.get_by_role("button", name="Save my new password").click()
    page.wait_for_url("**/login")
    expect(page.locator("main")).to_contain_text("Your new password is saved")

    sign_in(page, live_server.url, patient.email, "my back is mending")
    assert page.evaluate("document.body.dataset.signedIn") == "1"
    page.goto(live_server.url + link)
    expect(page.locator("h1")).to_have_text("This link no longer works")
    assert axe_violations(page) == []


def test_the_account_page_lists_devices_and_an_unconfirmed_address_accessibly(
    browser, page, live_server, mail
):
    patient = live_server.create_patient(email_verified_at=None)
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
    laptop = browser.new_context(user_agent=firefox)
    outside: list[str] = []
    guard_loopback(laptop, outside)
    other = laptop.new_page()
    sign_in(other, live_server.url, patient.email)
    sign_in(page, live_server.url, patient.email)
    page.goto(live_server.url + "/account")
    main = page.locator("main")
    expect(main).to_contain_text("is not confirmed yet")
    expect(main).to_contain_text("(this device)")
    expect(main).to_contain_text("Firefox on Windows")
    assert axe_violations(page) == []
    for button in page.locator("main button:visible").all():
        assert button.bounding_box()["height"] >= 48

    page.get_by_role("button", name="Send the link again").click()
    (message,) = mail.wait_for(1)
    link = re.search(r"(/verify-email\?token=\S+)", message.get_body(("plain",)).get_content())[1]
    page.goto(live_server.url + link)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Confirm my e-mail address").click()
    expect(main).to_contain_text("Your e-mail address is confirmed")
    page.goto(live_server.url + "/account")
    expect(main).to_contain_text(f"{patient.email} is confirmed")

    page.get_by_role("button", name="Sign out that device").click()
    expect(main).to_contain_text("That device is signed out")
    other.goto(live_server.url + "/checkin")
    assert "/login" in other.url
    laptop.close()
    assert outside == []
