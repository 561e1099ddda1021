"""Reminders in real Chromium: the settings and medicine pages (axe-clean, usable by label),
and a push message delivered to the real service worker, whose "Taken" button records the
dose and whose tap opens the right page."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import MedicineDose, PushSubscription, Reminder, ReminderDelivery, User, utcnow
from pwa.reminders.channels import SinkSender
from pwa.reminders.engine import send_due
from pwa.reminders.services import ensure_defaults, save_medicine

from .conftest import axe_violations

pytestmark = pytest.mark.browser


def test_settings_and_a_medicine_reminder_by_label_with_no_axe_violations(
    patient_page, live_server
):
    page = patient_page
    page.goto(live_server.url + "/reminders")
    assert page.get_by_label("Time of the check-in reminder").input_value() == "19:00"
    page.get_by_text("Notifications are off for this phone.").wait_for()  # push.js ran
    assert page.get_by_role("button", name="Turn on notifications").is_visible()
    assert not page.get_by_role("button", name="Turn off notifications on this phone").is_visible()
    assert axe_violations(page) == []
    page.get_by_label("Time of the check-in reminder").fill("20:15")
    page.get_by_role("button", name="Save reminder settings").click()
    page.get_by_text("Your reminder settings are saved.").wait_for()
    assert page.get_by_label("Time of the check-in reminder").input_value() == "20:15"

    page.get_by_role("link", name="Add a medicine reminder").click()
    page.get_by_role("button", name="Save the reminder").click()  # empty: errors in place
    page.get_by_text("Please enter the name of the medicine.").wait_for()
    assert axe_violations(page) == []
    assert not page.get_by_label("Monday").is_visible()  # only the questions that apply
    page.get_by_label("Name of the medicine").fill("Alendronate")
    page.get_by_label("How much, in your own words (optional)").fill("1 tablet")
    # Issue 12: a bone medicine the list knows brings its usual schedule (weekly).
    assert page.get_by_label("On chosen days of the week").is_checked()
    assert page.get_by_label("Monday").is_visible()
    page.get_by_label("At what time?").fill("07:30")
    page.get_by_label("Monday").check()
    page.get_by_role("button", name="Save the reminder").click()
    page.get_by_text("The reminder for Alendronate is saved.").wait_for()
    assert page.get_by_text("Every Monday at 7:30 am").is_visible()
    assert axe_violations(page) == []


def _due_medicine_push(app, patient_id: int) -> dict:
    """Runs the engine for a medicine due now and returns the push payload it would send."""
    with app.app_context():
        patient = db.session.get(User, patient_id)
        settings = ensure_defaults(db.session, patient, utcnow())
        settings.email_enabled = False
        values = {"name": "Alendronate", "dose": "1 tablet", "frequency": "daily",
                  "times": [time(8)], "weekdays": [], "interval_months": None,
                  "start_date": patient.today(), "end_date": None}  # fmt: skip
        medicine = save_medicine(db.session, patient, None, values, settings, utcnow())
        db.session.add(PushSubscription(user_id=patient.id, endpoint="https://push.example/p",
                                        p256dh="x", auth="y"))  # fmt: skip
        db.session.flush()
        now = utcnow()
        medicine.next_occurrence_at = medicine.next_due_at = now - timedelta(seconds=5)
        db.session.commit()
        sink = SinkSender()
        send_due(db.session, now, {"push": sink}, secret_key=app.config["SECRET_KEY"],
                 base_url=live_url(app))  # fmt: skip
        db.session.remove()
        (message,) = sink.received
        return json.loads(message.push_payload())


def wait_for_notifications(page, count: int) -> None:
    for _ in range(100):
        shown = page.evaluate(
            "async () => (await (await navigator.serviceWorker.ready).getNotifications()).length"
        )
        if shown == count:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{shown} notifications shown, not {count}")


def live_url(app) -> str:
    return app.config.get("PUBLIC_URL", "")


def test_a_push_message_shows_a_notification_whose_buttons_work(patient_page, live_server):
    page, context = patient_page, patient_page.context
    context.grant_permissions(["notifications"], origin=live_server.url)
    page.goto(live_server.url + "/reminders")
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    payload = _due_medicine_push(live_server.app, page.patient.id)
    assert payload["title"] == "Time to take Alendronate"

    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(
        e["registrations"]))  # fmt: skip
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(200)
    (registration,) = [r for r in registrations if r["scopeURL"] == live_server.url + "/"]
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload),
        },
    )
    wait_for_notifications(page, 1)
    shown = page.evaluate(
        """async () => {
          const [n] = await (await navigator.serviceWorker.ready).getNotifications();
          return { title: n.title, actions: n.actions.map((a) => a.title), data: n.data };
        }"""
    )
    assert shown["title"] == "Time to take Alendronate"
    assert shown["actions"] == ["Taken", "Snooze 1 hour"]
    assert shown["data"]["url"] == payload["url"]

    # "Taken", as the worker handles the button: a cookie-less POST to the signed URL.
    (worker,) = [w for w in context.service_workers if w.url.endswith("/sw.js")]
    worker.evaluate(
        """async () => {
          const [n] = await self.registration.getNotifications();
          await handleNotificationClick(n, 'taken');
        }"""
    )
    with live_server.app.app_context():
        (dose,) = db.session.scalars(select(MedicineDose)).all()
        assert (dose.status, dose.source) == ("taken", "push")
        assert db.session.scalar(select(ReminderDelivery.status)) == "sent"
        assert db.session.scalar(select(Reminder.name).where(Reminder.id == dose.reminder_id)) == (
            "Alendronate"
        )
    assert (
        page.evaluate(
            "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(n => n.length)"
        )
        == 0
    )

    # A tap on the notification itself opens its page in the app's window.
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload),
        },
    )
    wait_for_notifications(page, 1)
    worker.evaluate(
        """async () => {
          const [n] = await self.registration.getNotifications();
          await handleNotificationClick(n, '');
        }"""
    )
    page.wait_for_url(live_server.url + payload["url"])
    page.get_by_role("heading", name="Time to take Alendronate").wait_for()
    assert page.get_by_text("Marked as taken. Thank you.").is_visible()
    assert axe_violations(page) == []
