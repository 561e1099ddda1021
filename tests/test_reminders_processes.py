"""Real `flask reminders run` processes over one database, sending to a real SMTP server and a
real (loopback) push service: two at once deliver each occurrence once; one killed with
SIGKILL mid-batch loses nothing and doubles at most the messages it had in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pwa import create_app
from pwa.config import ROOT
from pwa.extensions import db as _db
from pwa.models import PushSubscription, Reminder, ReminderDelivery, ReminderSettings, utcnow
from pwa.reminders.schedules import format_clock

from .conftest import config_for, make_patient
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
                    )
                )
                _db.session.execute(
                    update(ReminderSettings)
                    .where(ReminderSettings.user_id == patient.id)
                    .values(email_enabled=False)
                )
        _db.session.commit()
        _db.engine.dispose()


def _start(app, tmp_path, mail: MailServer, name: str, **settings: str) -> subprocess.Popen:
    """A `reminders run` process over the test app's own database."""
    env = {
        **os.environ,
        **settings,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail.port),
        "VAPID_PRIVATE_KEY_FILE": str(tmp_path / "vapid_private.pem"),
        "SECRET_KEY": "two-processes",
        "PUBLIC_URL": "http://upright.example",
        "SCHEDULER_ENABLED": "0",
        "PUSH_ALLOW_ANY_HOST": "1",  # the push service here is on loopback (issue 14)
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
        processes = [_start(app, tmp_path, mail, n) for n in ("first", "second")]
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


KILLED_PATIENTS = 300
WORKERS = 8  # REMINDERS_SEND_WORKERS: the stated bound on what a crash can send twice


def _arrange_cohort(app, count: int) -> list[str]:
    """`count` patients whose daily check-in is due now, written in bulk."""
    now = utcnow()
    with app.app_context():
        _db.create_all()
        emails = []
        for n in range(count):
            patient = make_patient(email=f"cohort{n}@example.com")
            emails.append(patient.email)
        _db.session.execute(
            update(Reminder)
            .where(Reminder.kind == "checkin")
            .values(next_occurrence_at=now - timedelta(seconds=5), next_due_at=now)
        )
        _db.session.commit()
        _db.engine.dispose()
    return emails


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_scheduler_killed_mid_batch_loses_no_reminder_and_doubles_at_most_its_workers(
    tmp_path,
):
    """300 check-ins due at once, a slow mail server (0.1 s a message), SIGKILL once about a
    third have arrived, a second scheduler started after: every patient gets the reminder (the
    dead process's claims are taken over when their lease ends) and at most WORKERS get it
    twice (those it had sent but not yet recorded)."""
    mail = MailServer(delay=0.1).start()
    settings = {"REMINDERS_LEASE_SECONDS": "4", "REMINDERS_SEND_WORKERS": str(WORKERS)}
    processes = []
    try:
        app = create_app(config_for(tmp_path))
        emails = _arrange_cohort(app, KILLED_PATIENTS)
        first = _start(app, tmp_path, mail, "first", **settings)
        processes.append(first)
        assert _wait(lambda: len(mail.messages) >= KILLED_PATIENTS // 3, 60), "nothing sent"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = len(mail.messages)
        assert at_kill < KILLED_PATIENTS  # killed mid-batch indeed
        second = _start(app, tmp_path, mail, "second", **settings)
        processes.append(second)

        def everyone() -> bool:
            with mail.lock:
                return len({rcpts[0] for _, rcpts in mail.envelopes}) == KILLED_PATIENTS

        _wait(everyone, 60)
        time.sleep(5)  # past another lease and a few ticks: a late double would show up now
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        mail.stop()
    counts = Counter(rcpts[0] for _, rcpts in mail.envelopes)
    doubles = sum(count - 1 for count in counts.values())
    logs = "\n".join((tmp_path / f"{n}.log").read_text() for n in ("first", "second"))
    print(
        f"\nkill test: {KILLED_PATIENTS} patients, {at_kill} messages before SIGKILL, "
        f"{len(counts)} patients reached, {len(mail.envelopes)} messages, {doubles} doubles"
    )
    assert sorted(counts) == sorted(emails), logs  # nobody lost
    assert doubles <= WORKERS, counts.most_common(10)
    with app.app_context():
        statuses = Counter(_db.session.scalars(select(ReminderDelivery.status)))
        _db.engine.dispose()
    assert statuses == {"sent": KILLED_PATIENTS}, statuses
