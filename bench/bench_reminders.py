"""The reminder engine: one tick over 100,000 patients' schedules, and the evening burst.

Part 1: one tick over 100,000 patients' schedules, with 100, 1,000 and 10,000 of them due.

The database: 100,000 patients in 18 time zones, each with the daily check-in reminder, and
one in three with a medicine as well (133,334 schedules), in SQLite on disk (WAL), as
`make run` uses it. For each case, the chosen number of reminders is made due and ONE tick
(`send_due`, exactly what the scheduler runs) claims them under their unique keys, commits,
"sends" them to a local sink (an in-process sender that accepts everything, so the figure is
the engine's own cost, not a mail server's) and records the outcome. The idle tick (nothing due)
shows the fixed cost; "per due reminder" shows that the time grows with what is due, not with the
number of schedules. Each case is run five times; the median is reported.

Part 2, the evening burst (`burst()`): a whole cohort's check-in due at one instant, 50,000
reminders (half e-mail, half Web Push), drained by ONE process running the real engine and the
real senders (EmailSender over SMTP, PushSender with VAPID and RFC 8291 encryption) to loopback
sinks in their own processes: an SMTP server (aiosmtpd) and an HTTP push service answering 201.
It reports the drain time and the rate, from which the README's sizing (processes per cohort)
comes. Run alone: `.venv/bin/python -m bench.bench_reminders burst [COHORT]`.
"""

from __future__ import annotations

import base64
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text, update

from pwa.extensions import db
from pwa.models import PushSubscription, Reminder, ReminderDelivery, ReminderSettings, User, utcnow
from pwa.reminders.channels import SinkSender, build_senders
from pwa.reminders.engine import WORKERS, send_due
from pwa.reminders.services import SETTINGS_DEFAULTS
from pwa.timezones import COMMON_ZONES

from .support import ROOT, bench_app, free_port

PATIENTS = 100_000
DUE_CASES = (0, 100, 1_000, 10_000)
REPEATS = 5
GOAL_SECONDS = 2.0  # for 1,000 due


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            schedules = _populate(PATIENTS)
            populate_seconds = time.perf_counter() - started
            rows = [
                _row("database", "patients / schedules", f"{PATIENTS:,} / {schedules:,}", "", ""),
                _row("database", "time to fill", f"{populate_seconds:.1f}", "s", ""),
                _row("due query", "read in order from its index", _uses_index(), "", "yes"),
            ]
            rows.extend(_ticks(app))
            db.session.remove()
            db.engine.dispose()
    return rows + burst()


def _row(benchmark: str, metric: str, value, unit: str, goal: str) -> dict:
    return {"benchmark": benchmark, "metric": metric, "value": value, "unit": unit, "goal": goal}


def _populate(count: int) -> int:
    """Patients, settings and schedules, written in bulk (no per-row ORM work)."""
    rng = random.Random(7)
    now = utcnow()
    far = now + timedelta(days=365)
    session = db.session
    batch = 20_000
    for start in range(0, count, batch):
        ids = range(start + 1, min(start + batch, count) + 1)
        session.execute(
            insert(User),
            [
                {
                    "id": i,
                    "email": f"p{i}@example.com",
                    "password_hash": "x",
                    "name": f"P{i}",
                    "timezone": COMMON_ZONES[i % len(COMMON_ZONES)],
                    "emergency_number": "911",
                    "paper_size": "letter",
                    "created_at": now,
                    "email_verified_at": now,  # reminder e-mails go to confirmed addresses
                }
                for i in ids
            ],
        )
        session.execute(
            insert(ReminderSettings),
            [
                {"user_id": i, **SETTINGS_DEFAULTS, "created_at": now, "updated_at": now}
                for i in ids
            ],
        )
        reminders = []
        for i in ids:
            later = far + timedelta(minutes=rng.randrange(60 * 24 * 30))
            reminders.append(
                {
                    "user_id": i,
                    "kind": "checkin",
                    "enabled": True,
                    "frequency": "daily",
                    "times": ["19:00"],
                    "weekdays": [],
                    "next_occurrence_at": later,
                    "next_due_at": later,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if i % 3 == 0:
                reminders.append(
                    {
                        "user_id": i,
                        "kind": "medicine",
                        "enabled": True,
                        "frequency": "weekly",
                        "name": "Alendronate",
                        "dose": "1 tablet",
                        "times": ["08:00"],
                        "weekdays": [0],
                        "start_date": now.date(),
                        "next_occurrence_at": later,
                        "next_due_at": later,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        session.execute(insert(Reminder), reminders)
        session.commit()
    session.execute(text("ANALYZE"))
    session.commit()
    return session.scalar(select(db.func.count()).select_from(Reminder))


def _uses_index() -> str:
    plan = db.session.execute(
        text(
            "EXPLAIN QUERY PLAN SELECT id FROM reminders WHERE next_due_at <= :now "
            "ORDER BY next_due_at, id LIMIT 1000"
        ),
        {"now": utcnow()},
    ).all()
    rows = [str(row) for row in plan]
    in_order = not any("TEMP B-TREE" in row for row in rows)  # no sort after the index
    used = any("ix_reminders_next_due_at_id" in row for row in rows)
    return "yes" if used and in_order else str(rows)


def _set_due(ids: list[int], moment) -> None:
    for start in range(0, len(ids), 5_000):
        db.session.execute(
            update(Reminder)
            .where(Reminder.id.in_(ids[start : start + 5_000]))
            .values(next_occurrence_at=moment, next_due_at=moment)
        )
    db.session.commit()


def _ticks(app) -> list[dict]:
    """Wall-clock and CPU time (this process: Python and SQLite; less disturbed by other work
    on the machine) of one tick per case, median of REPEATS runs."""
    rng = random.Random(11)
    base = utcnow() + timedelta(days=2)
    wall, cpu = {}, {}
    for case, due in enumerate(DUE_CASES):
        walls, cpus = [], []
        for attempt in range(REPEATS):
            now = base + timedelta(hours=case * 10 + attempt)
            ids = rng.sample(range(1, PATIENTS * 4 // 3), due)
            _set_due(ids, now - timedelta(seconds=20))
            sink = SinkSender()
            started, started_cpu = time.perf_counter(), time.process_time()
            result = send_due(db.session, now, {"email": sink, "push": sink},
                              secret_key="bench", base_url="http://localhost")  # fmt: skip
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - started_cpu)
            assert result.errors == [], result.errors
            assert len(sink.received) == due and result.sent == due, result.summary()
            _set_due(ids, now + timedelta(days=300))  # out of the way of the next case
        wall[due], cpu[due] = statistics.median(walls), statistics.median(cpus)
    rows = []
    for due in DUE_CASES:
        goal = f"< {GOAL_SECONDS:g} s" if due == 1_000 else ""
        label = "nothing due (fixed cost)" if due == 0 else f"{due:,} due"
        rows.append(_row("reminder tick", label, f"{wall[due]:.3f}", "s", goal))
        rows.append(_row("reminder tick", f"{label}, CPU", f"{cpu[due]:.3f}", "s", ""))
    for due in DUE_CASES[1:]:
        per_due = (cpu[due] - cpu[0]) / due * 1e6
        rows.append(_row("reminder tick", f"CPU per due reminder at {due:,}", f"{per_due:.0f}",
                         "µs", "flat"))  # fmt: skip
    growth = (cpu[10_000] - cpu[0]) / max(cpu[1_000] - cpu[0], 1e-9)
    rows.append(_row("reminder tick", "CPU: 10x as many due costs", f"{growth:.1f}x", "",
                     "<= 10x"))  # fmt: skip
    return rows


# --- The evening burst -------------------------------------------------------------------------

COHORT = 50_000
BURST_GOAL_SECONDS = 600  # one process drains 50,000 within 10 minutes


def burst(cohort: int = COHORT) -> list[dict]:
    """One process drains `cohort` reminders due at one instant to loopback sinks."""
    with tempfile.TemporaryDirectory() as tmp:
        smtp_port, push_port = free_port(), free_port()
        sinks = [_sink("smtp-sink", smtp_port, tmp), _sink("push-sink", push_port, tmp)]
        try:
            app = bench_app(tmp)
            app.config.update(
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=smtp_port,
                VAPID_PRIVATE_KEY_FILE=str(Path(tmp) / "vapid_private.pem"),
                PUBLIC_URL="http://localhost",
            )
            with app.app_context():
                db.create_all()
                due = utcnow() - timedelta(seconds=5)
                _populate_cohort(cohort, due, f"http://127.0.0.1:{push_port}")
                senders = build_senders(app)
                started, started_cpu = time.perf_counter(), time.process_time()
                sent = ticks = 0
                while True:
                    ticks += 1
                    result = send_due(db.session, utcnow(), senders, secret_key="bench",
                                      base_url="http://localhost", workers=WORKERS)  # fmt: skip
                    assert result.errors == [], result.errors
                    sent += result.sent
                    if result.due == 0:
                        break
                drain = time.perf_counter() - started
                cpu = time.process_time() - started_cpu
                statuses = dict(
                    db.session.execute(
                        select(ReminderDelivery.status, func.count()).group_by(
                            ReminderDelivery.status
                        )
                    ).all()
                )
                db.session.remove()
                db.engine.dispose()
        finally:
            received = [_stop_sink(sink) for sink in sinks]
    assert statuses == {"sent": cohort}, statuses
    assert sum(received) == cohort, received
    rate = cohort / drain
    return [
        _row(
            "reminder burst",
            "cohort due at one instant (e-mail / push)",
            f"{cohort - cohort // 2:,} / {cohort // 2:,}",
            "",
            "",
        ),  # fmt: skip
        _row(
            "reminder burst",
            f"drain time, one process ({WORKERS} sending threads)",
            f"{drain:.0f}",
            "s",
            f"< {BURST_GOAL_SECONDS} s for 50,000",
        ),  # fmt: skip
        _row("reminder burst", "rate, one process", f"{rate:.0f}", "reminders/s", ""),
        _row(
            "reminder burst",
            "CPU of the process per reminder",
            f"{cpu / cohort * 1e3:.2f}",
            "ms",
            "",
        ),  # fmt: skip
        _row(
            "reminder burst",
            "received by the sinks (SMTP / push)",
            f"{received[0]:,} / {received[1]:,}",
            "",
            "each once",
        ),  # fmt: skip
        _row("reminder burst", "ticks to drain", ticks, "", ""),
        _row(
            "reminder burst",
            "processes for 400,000 in 10 minutes",
            math.ceil(400_000 / (rate * 600)),
            "",
            "",
        ),  # fmt: skip
    ]


def _populate_cohort(count: int, due, push_base: str) -> None:
    """`count` patients whose check-in is due at `due`: even ids by e-mail, odd by push."""
    keys = _browser_push_keys()
    session, now = db.session, utcnow()
    for start in range(0, count, 10_000):
        ids = range(start + 1, min(start + 10_000, count) + 1)
        session.execute(insert(User), [
            {"id": i, "email": f"p{i}@example.com", "password_hash": "x", "name": f"Patient {i}",
             "timezone": COMMON_ZONES[i % len(COMMON_ZONES)], "emergency_number": "911",
             "paper_size": "letter", "created_at": now}
            for i in ids
        ])  # fmt: skip
        session.execute(insert(ReminderSettings), [
            {"user_id": i, **SETTINGS_DEFAULTS, "email_enabled": i % 2 == 0, "created_at": now,
             "updated_at": now}
            for i in ids
        ])  # fmt: skip
        session.execute(insert(Reminder), [
            {"user_id": i, "kind": "checkin", "enabled": True, "frequency": "daily",
             "times": ["19:00"], "weekdays": [], "next_occurrence_at": due, "next_due_at": due,
             "created_at": now, "updated_at": now}
            for i in ids
        ])  # fmt: skip
        session.execute(insert(PushSubscription), [
            {"user_id": i, "endpoint": f"{push_base}/push/{i}", **keys, "created_at": now}
            for i in ids
            if i % 2
        ])  # fmt: skip
        session.commit()


def _browser_push_keys() -> dict:
    """The keys a browser subscribes with (RFC 8291): one pair shared by the whole cohort."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )

    def b64url(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}


def _sink(kind: str, port: int, tmp: str) -> subprocess.Popen:
    count_file = Path(tmp) / f"{kind}.count"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_reminders", kind, str(port), str(count_file)],
        cwd=ROOT,
    )
    process.count_file = count_file  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{kind} did not start")


def _stop_sink(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    return int(process.count_file.read_text() or 0)  # type: ignore[attr-defined]


def _serve_smtp(port: int, count_file: str) -> None:
    """An SMTP server that accepts and counts every message (SMTPUTF8 offered)."""
    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, _server, _session, _envelope):  # noqa: N802
            Count.received += 1
            return "250 Message accepted for delivery"

    controller = Controller(Count(), hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    _until_terminated(lambda: Count.received, count_file)
    controller.stop()


def _serve_push(port: int, count_file: str) -> None:
    """A push service that answers 201 to every message, on kept-alive connections."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    lock, received = threading.Lock(), [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args):
            pass

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                received[0] += 1
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _until_terminated(lambda: received[0], count_file)
    server.shutdown()


def _until_terminated(count, count_file: str) -> None:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        time.sleep(0.2)
    Path(count_file).write_text(str(count()))


if __name__ == "__main__":
    from bench.__main__ import print_table

    command = sys.argv[1] if len(sys.argv) > 1 else "all"
    if command == "smtp-sink":
        _serve_smtp(int(sys.argv[2]), sys.argv[3])
    elif command == "push-sink":
        _serve_push(int(sys.argv[2]), sys.argv[3])
    elif command == "burst":
        print_table(burst(int(sys.argv[2]) if len(sys.argv) > 2 else COHORT))
    else:
        print_table(run())
