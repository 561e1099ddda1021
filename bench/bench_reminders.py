"""One reminder tick over 100,000 patients' schedules, with 100, 1,000 and 10,000 of them due.

The database: 100,000 patients in 18 time zones, each with the daily check-in reminder, and
one in three with a medicine as well (133,334 schedules), in SQLite on disk (WAL), as
`make run` uses it. For each case, the chosen number of reminders is made due and ONE tick
(`send_due`, exactly what the scheduler runs) claims them under their unique keys, commits,
"sends" them to a local sink (an in-process sender that accepts everything, so the figure is
the engine's own cost, not a mail server's) and records the outcome. The idle tick (nothing due)
shows the fixed cost; "per due reminder" shows that the time grows with what is due, not with the
number of schedules. Each case is run five times; the median is reported.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import timedelta

from sqlalchemy import insert, select, text, update

from pwa.extensions import db
from pwa.models import Reminder, ReminderSettings, User, utcnow
from pwa.reminders.channels import SinkSender
from pwa.reminders.engine import send_due
from pwa.reminders.services import SETTINGS_DEFAULTS
from pwa.timezones import COMMON_ZONES

from .support import bench_app

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
                _row("due query", "uses the next_due_at index", _uses_index(), "", "yes"),
            ]
            rows.extend(_ticks(app))
            db.session.remove()
            db.engine.dispose()
    return rows


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
    return "yes" if any("ix_reminders_next_due_at" in str(row) for row in plan) else str(plan)


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


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(run())
