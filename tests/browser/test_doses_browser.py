"""A dose answered offline on the home screen reaches the server once, in real Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import MedicineDose, Reminder, User

from .conftest import axe_violations
from .test_offline import wait_for_worker

pytestmark = pytest.mark.browser


def test_taken_offline_on_the_home_screen_is_sent_once_when_back_online(
    patient_page, live_server, context
):
    page = patient_page
    with live_server.app.app_context():
        patient = db.session.get(User, page.patient.id)
        db.session.add(
            Reminder(
                user_id=patient.id, kind="medicine", name="Alendronate", frequency="daily",
                times=["00:00"], start_date=patient.today() - timedelta(days=7),
            )
        )  # fmt: skip
        db.session.commit()
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    page.reload()
    expect(page.get_by_role("heading", name="Today's medicines")).to_be_visible()
    assert axe_violations(page) == []

    context.set_offline(True)
    page.locator(".home-doses button", has_text="Taken").first.click()
    page.wait_for_url("**/offline/saved")
    context.set_offline(False)
    page.evaluate("UprightSync.flush()")
    page.evaluate("UprightSync.flush()")  # a second round sends nothing twice

    with live_server.app.app_context():
        doses = db.session.scalars(select(MedicineDose)).all()
        assert [(d.status, d.source) for d in doses] == [("taken", "app")]
        assert doses[0].uuid is not None
