"""Several machines over one PostgreSQL database, started from docs/Procfile as deployed.

Two app servers (gunicorn, each with its own `instance/` folder) and two scheduler processes,
given the same secrets and nothing else in common but the database, are driven at once: a
session made on one server works on the other, the same check-ins sent through both are stored
once each, reminders falling due during the run go out once each to a real SMTP server, the
servers answer again right after the database server restarts, and every process exits 0.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select, update

from pwa import create_app
from pwa.config import ROOT
from pwa.extensions import db as _db
from pwa.models import CheckIn, Reminder, ReminderDelivery, User, utcnow
from pwa.reminders.schedules import format_clock

from .conftest import config_for, database_url, make_patient
from .test_deployment import procfile
from .test_reminders_support import MailServer, free_port

pytestmark = [
    pytest.mark.database,
    pytest.mark.postgres_only(reason="several machines share a PostgreSQL database, not SQLite"),
]

BIN = Path(sys.executable).parent
PATIENTS = 8  # each gets two reminders due while the processes run
SAME_ENTRIES = 24  # check-ins sent through both servers at once
PASSWORD = "a long enough password"


def command(name: str, env: dict[str, str]) -> list[str]:
    """A Procfile command as its shell would run it, programs from this virtual environment."""
    line = re.sub(r"\$\{?(\w+)\}?", lambda variable: env[variable[1]], procfile()[name])
    program, *arguments = shlex.split(line)
    return [str(BIN / program), *arguments]


class Machines:
    """The processes of the run, each with its own log; stops them all and keeps exit codes."""

    def __init__(self, tmp_path: Path, shared: dict[str, str]):
        self.tmp_path, self.shared = tmp_path, shared
        self.processes: dict[str, subprocess.Popen] = {}

    def env(self, machine: str, **extra: str) -> dict[str, str]:
        instance = self.tmp_path / machine / "instance"
        return {**os.environ, **self.shared, "INSTANCE_PATH": str(instance), **extra}

    def run(self, process: str, machine: str) -> None:
        env = self.env(machine)
        subprocess.run(command(process, env), cwd=ROOT, env=env, check=True, capture_output=True)

    def start(self, process: str, machine: str, **extra: str) -> None:
        env = self.env(machine, **extra)
        log = open(self.tmp_path / f"{machine}-{process}.log", "w")  # noqa: SIM115 - closed with it
        self.processes[f"{machine} {process}"] = subprocess.Popen(
            command(process, env), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in self.tmp_path.glob("*.log"))

    def stop(self) -> dict[str, int | None]:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = None
        return codes


def wait_until_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise AssertionError(f"{base} did not start")


def register(base: str, email: str) -> requests.Session:
    """Signs up through the real form (CSRF token included): a session signed in on `base`."""
    browser = requests.Session()
    page = browser.get(f"{base}/register").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    fields = {"name": "Anna", "email": email, "password": PASSWORD, "confirm": PASSWORD}
    answer = browser.post(
        f"{base}/register", data={**fields, "timezone": "UTC", "csrf_token": token}
    )
    assert answer.status_code == 200 and answer.url.rstrip("/") != f"{base}/register", answer.text
    return browser


def arrange_reminders(app) -> list[str]:
    """PATIENTS patients, each with the check-in and a medicine falling due in the next seconds
    (spread over them, so both schedulers race on new work tick after tick); their addresses."""
    now = utcnow()
    with app.app_context():
        emails = []
        for n in range(PATIENTS):
            patient = make_patient(email=f"machines{n}@example.com", timezone="UTC")
            emails.append(patient.email)
            medicine = Reminder(
                user_id=patient.id,
                kind="medicine",
                name=f"Medicine {n}",
                times=[format_clock(now.time())],
                start_date=now.date(),
            )
            _db.session.add(medicine)
            _db.session.flush()
            due = now + timedelta(seconds=2 + n * 0.5)
            _db.session.execute(
                update(Reminder)
                .where(Reminder.user_id == patient.id, Reminder.kind == "checkin")
                .values(next_occurrence_at=due, next_due_at=due)
            )
            medicine.next_occurrence_at = medicine.next_due_at = due + timedelta(seconds=1)
        _db.session.commit()
        _db.session.remove()
    return emails


def vapid_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_two_app_servers_and_two_schedulers_over_one_database_agree(tmp_path, postgres_cluster):
    mail = MailServer().start()
    (tmp_path / "secrets").mkdir()
    vapid_file = tmp_path / "secrets" / "vapid_private.pem"
    vapid_file.write_text(vapid_pem())
    shared = {
        "DATABASE_URL": database_url(tmp_path),
        "SECRET_KEY": secrets.token_hex(32),
        "VAPID_PRIVATE_KEY_FILE": str(vapid_file),  # one file, mounted on every machine
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail.port),
        "PUBLIC_URL": "http://upright.example",
        "DEFAULT_TIMEZONE": "UTC",
        "REMINDERS_INTERVAL_SECONDS": "1",
        "WEB_CONCURRENCY": "2",
        "PROXY_FIX": "1",
    }
    machines = Machines(tmp_path, shared)
    codes: dict[str, int | None] = {}
    try:
        machines.run("release", "a")  # the migrations, from empty
        bases = {}
        for machine in ("a", "b"):
            port = free_port()
            machines.start("web", machine, BIND=f"127.0.0.1:{port}")
            bases[machine] = f"http://127.0.0.1:{port}"
        for base in bases.values():
            wait_until_up(base)

        # A session made on server A is good on server B.
        on_a = register(bases["a"], "anna@example.com")
        on_b = requests.Session()
        on_b.cookies.update(on_a.cookies)
        assert on_b.get(f"{bases['b']}/api/v1/entries").status_code == 200
        assert on_b.get(f"{bases['b']}/profile", allow_redirects=False).status_code == 200

        # The database server restarts between two requests: the next ones still succeed.
        for _ in range(6):  # enough to open a connection in every worker of both servers
            for base in bases.values():
                assert requests.get(f"{base}/healthz", timeout=30).status_code == 200
        postgres_cluster.restart()
        for _ in range(6):
            for base in bases.values():
                assert requests.get(f"{base}/healthz", timeout=30).status_code == 200

        app = create_app(config_for(tmp_path))
        emails = arrange_reminders(app)
        for machine in ("a", "b"):
            machines.start("scheduler", machine)

        # The same check-ins through both servers at once: one row each.
        token = on_a.get(f"{bases['a']}/api/v1/csrf").json()["csrf_token"]
        today = utcnow().date().isoformat()
        ids = [str(uuid.uuid4()) for _ in range(SAME_ENTRIES)]

        def send(job: tuple[str, str]) -> tuple[str, int]:
            entry_id, machine = job
            client = on_a if machine == "a" else on_b
            answer = client.post(
                f"{bases[machine]}/api/v1/entries",
                json={"id": entry_id, "date": today, "pain": 4},
                headers={"X-CSRFToken": token},
                timeout=30,
            )
            return entry_id, answer.status_code

        jobs = [(entry_id, machine) for entry_id in ids for machine in ("a", "b")]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(send, jobs))
        for entry_id in ids:
            assert sorted(s for i, s in answers if i == entry_id) == [200, 201], answers

        expected = {(email, kind) for email in emails for kind in ("checkin", "medicine")}
        mail.wait_for(len(expected), timeout=60)
        time.sleep(3)  # a few more ticks of both: a second sending would show up now
    finally:
        codes = machines.stop()
        mail.stop()
    logs = machines.logs()

    assert codes == {name: 0 for name in codes} and len(codes) == 4, logs
    sent = [(parseaddr(m["To"])[1], m["Subject"]) for m in mail.messages]
    sent = [(to, subject) for to, subject in sent if to in emails]
    assert len(sent) == len(set(sent)) == len(expected), logs  # each reminder once

    with app.app_context():
        patient = _db.session.scalar(select(User).where(User.email == "anna@example.com"))
        stored = _db.session.scalar(
            select(func.count()).select_from(CheckIn).where(CheckIn.user_id == patient.id)
        )
        assert stored == SAME_ENTRIES
        deliveries = _db.session.scalars(
            select(ReminderDelivery.status)
            .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
            .join(User, User.id == Reminder.user_id)
            .where(User.email.in_(emails))
        ).all()
        assert deliveries == ["sent"] * len(expected)
        _db.engine.dispose()
    # Nothing of a machine's own was needed: no key was made in either instance folder.
    assert not list((tmp_path / "a" / "instance").glob("*"))
    assert not list((tmp_path / "b" / "instance").glob("*"))
