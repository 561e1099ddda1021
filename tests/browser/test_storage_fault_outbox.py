"""A form posted into a storage fault (the server answers 503) is kept on the phone and sent
once the server can save again: nothing the patient typed is lost.

The fault is real: another connection holds SQLite's write lock past the busy timeout, so the
server's commit fails and it answers 503 with Retry-After.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from sqlalchemy import event, func

from pwa.extensions import db
from pwa.models import Appointment, CheckIn
from pwa.storage import sqlite_path

from .test_offline import wait_for_worker

pytestmark = [
    pytest.mark.browser,
    # The 503 is provoked with a SQLite write lock held past the busy timeout.
    pytest.mark.sqlite_only(reason="the fault is a SQLite write lock held past its busy timeout"),
]

KEPT = "Saved on this phone, will send later (1 waiting)"


@contextmanager
def database_locked(live_server):
    """Another process's write lock, held until the block ends."""
    with live_server.app.app_context():
        path = sqlite_path(live_server.app.config["SQLALCHEMY_DATABASE_URI"])

        # Wait 300 ms for the lock rather than 5 s, so each refused write is quick.
        @event.listens_for(db.engine, "connect")
        def _short_wait(connection, _record) -> None:
            connection.execute("PRAGMA busy_timeout=300")

        db.engine.dispose()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def count(live_server, model, patient_id: int) -> int:
    with live_server.app.app_context():
        query = db.select(func.count()).select_from(model).where(model.user_id == patient_id)
        return db.session.scalar(query)


def test_forms_posted_into_a_503_are_kept_in_the_outbox_and_sent_later(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    page.goto(live_server.url + "/checkin")  # online: the server's own form
    page.locator("input[name=pain][value='6']").dispatch_event("click")
    page.locator("input[name=worried][value=no]").dispatch_event("click")  # the screening gate

    with database_locked(live_server):
        page.click("form[data-offline-form] button[type=submit]")
        page.wait_for_url("**/offline/saved")
        expect(page.locator("[data-outbox-message]")).to_have_text(KEPT)
        assert count(live_server, CheckIn, page.patient.id) == 0

        page.goto(live_server.url + "/appointments/new")
        page.get_by_label("Date").fill("2030-03-04")
        page.get_by_label("Time").fill("14:30")
        page.get_by_text("Spine specialist").click()
        page.get_by_role("button", name="Save the appointment").click()
        page.wait_for_url("**/offline/saved")
        expect(page.locator("[data-outbox-message]")).to_contain_text("will send later (2 waiting)")
        assert count(live_server, Appointment, page.patient.id) == 0

    result = page.evaluate("UprightSync.flush()")  # the storage is back
    assert result["sent"] == 2 and result["waiting"] == 0
    assert count(live_server, CheckIn, page.patient.id) == 1
    assert count(live_server, Appointment, page.patient.id) == 1
    with live_server.app.app_context():
        pain = db.session.scalar(
            db.select(CheckIn.pain_avg).where(CheckIn.user_id == page.patient.id)
        )
    assert pain == 6
