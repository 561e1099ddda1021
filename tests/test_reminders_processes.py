"""Two `flask reminders run` processes over one SQLite database deliver each occurrence once,
to a real SMTP server and a real (loopback) push service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pwa import create_app
from pwa.config import ROOT
from pwa.extensions import db as _db
from pwa.models import PushSubscription, Reminder, ReminderDelivery, ReminderSettings, utcnow
from pwa.reminders.schedules import format_clock

from .conftest import config_for, database_url, make_patient
from .test_reminders_support import MailServer, PushService

pytestmark = pytest.mark.database

EMAIL_PATIENTS = 12
PUSH_PATIENTS = 8


def _arrange(app, push: PushService) -> None:
    """Every patient's check-in is due now; each also has a medicine falling due over the
    seconds after both processes started, so they race on new work tick after tick."""
    now = utcnow()
    with app.app_context():
        _db.create_all()
        for n in range(EMAIL_PATIENTS + PUSH_PATIENTS):
            patient = make_patient(email=f"patient{n}@example.com")
            medicine = Reminder(
                user_id=patient.id,
                kind="medicine",
                name=f"Medicine {n}",
                times=[format_clock(now.time())],
                start_date=now.date(),
            )
            _db.session.add(medicine)
            _db.session.flush()
            _db.session.execute(
                update(Reminder)
                .where(Reminder.user_id == patient.id, Reminder.kind == "checkin")
                .values(next_occurrence_at=now - timedelta(seconds=5), next_due_at=now)
            )
            later = now + timedelta(seconds=3 + n * 0.17)
            medicine.next_occurrence_at = medicine.next_due_at = later
            if n >= EMAIL_PATIENTS:
                subscription = push.subscriber(f"phone{n}").subscription(push.base_url)
                _db.session.add(
                    PushSubscription(
                        user_id=patient.id,
                        endpoint=subscription["endpoint"],
                        **subscription["keys"],
                    )  # fmt: skip
                )
                _db.session.execute(
                    update(ReminderSettings)
                    .where(ReminderSettings.user_id == patient.id)
                    .values(email_enabled=False)
                )
        _db.session.commit()
        _db.engine.dispose()


def _start(tmp_path, mail: MailServer, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(tmp_path),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail.port),
        "VAPID_PRIVATE_KEY_FILE": str(tmp_path / "vapid_private.pem"),
        "SECRET_KEY": "two-processes",
        "PUBLIC_URL": "http://upright.example",
        "SCHEDULER_ENABLED": "0",
    }
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "reminders", "run", "--interval", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def test_two_scheduler_processes_over_one_database_deliver_each_occurrence_once(tmp_path):
    mail, push = MailServer().start(), PushService().start()
    processes = []
    try:
        app = create_app(config_for(tmp_path))
        _arrange(app, push)
        processes = [_start(tmp_path, mail, "first"), _start(tmp_path, mail, "second")]
        expected_mail, expected_push = EMAIL_PATIENTS * 2, PUSH_PATIENTS * 2
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and (
            len(mail.messages) < expected_mail or len(push.received) < expected_push
        ):
            time.sleep(0.2)
        time.sleep(2.5)  # a few more ticks of both: a double send would show up now
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        mail.stop()
        push.stop()
    logs = "\n".join((tmp_path / f"{n}.log").read_text() for n in ("first", "second"))
    assert push.rejected == []

    mails = sorted((m["To"], m["Subject"]) for m in mail.messages)
    assert len(mails) == expected_mail, logs
    assert len(set(mails)) == expected_mail  # each occurrence once
    pushes = sorted((r.name, r.payload["title"]) for r in push.received)
    assert len(pushes) == expected_push and len(set(pushes)) == expected_push, logs

    with app.app_context():
        rows = _db.session.execute(select(ReminderDelivery.status)).scalars().all()
        assert rows.count("sent") == expected_mail + expected_push and len(rows) == len(rows)
        _db.engine.dispose()
    assert "Reminders: checking every 1 s" in logs
