"""The reminder scheduler: APScheduler 3.x with ONE repeating job that runs a tick.

The scheduler only triggers; the database decides (see engine.py). So it is safe to run the
production process (`flask --app wsgi reminders run`, a BlockingScheduler) next to a web
process that also ticks (`make run`: SCHEDULER_ENABLED=1, a BackgroundScheduler): each
occurrence still goes out once.
"""

from __future__ import annotations

import atexit
import logging
import os
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from ..auth.limits import prune_ended_windows
from ..extensions import db, db_session
from ..models import utcnow
from .channels import build_senders
from .engine import TickResult, send_due

log = logging.getLogger(__name__)
JOB_ID = "reminders-send-due"


def senders_for(app: Flask) -> dict:
    """The real channels, made once per process (the VAPID key is read or created here)."""
    senders = app.extensions.get("reminders_senders")
    if senders is None:
        senders = app.extensions["reminders_senders"] = build_senders(app)
    return senders


def tick(app: Flask, now: datetime | None = None) -> TickResult:
    """One tick in its own app context and session; logs and returns what happened."""
    with app.app_context():
        try:
            result = send_due(
                db_session(),
                now or utcnow(),
                senders_for(app),
                secret_key=app.config["SECRET_KEY"],
                base_url=app.config["PUBLIC_URL"],
                workers=max(1, int(app.config["REMINDERS_SEND_WORKERS"])),
                lease=timedelta(seconds=max(5, int(app.config["REMINDERS_LEASE_SECONDS"]))),
                retention=timedelta(days=int(app.config["REMINDERS_RETENTION_DAYS"])),
            )
            housekeeping(app, now or utcnow())
        finally:
            db.session.remove()
    if result.due or result.errors or result.retry:
        log.info("reminders: %s", result.summary())
    return result


def housekeeping(app: Flask, now: datetime) -> None:
    """What the app's tables need now and then, on the scheduler's tick: the request limits'
    counters whose window has ended are deleted. A failure is logged; the next tick retries."""
    longest = max(window for _limit, window in app.config["CLIENT_LIMITS"].values())
    try:
        pruned = prune_ended_windows(db_session(), now=now, longest_window=longest)
    except Exception:  # noqa: BLE001 - housekeeping must never stop the reminders
        log.exception("reminders: pruning the request limits failed")
        db.session.rollback()
        return
    if pruned:
        log.info("reminders: %d ended request-limit windows pruned", pruned)


def _safe_tick(app: Flask) -> None:
    try:
        tick(app)
    except Exception:  # noqa: BLE001 - the job must come back next interval whatever happened
        log.exception("reminders: tick failed")


def add_job(scheduler: BaseScheduler, app: Flask, interval: int, first_in: float = 0) -> None:
    scheduler.add_job(
        _safe_tick,
        "interval",
        args=[app],
        seconds=interval,
        id=JOB_ID,
        max_instances=1,  # a slow tick is never overlapped by the next one
        coalesce=True,  # after a pause, one catch-up run, not a burst
        misfire_grace_time=interval,
        next_run_time=datetime.now(UTC) + timedelta(seconds=first_in),
        replace_existing=True,
    )


def start_in_app(app: Flask) -> BackgroundScheduler | None:
    """Starts the in-process scheduler when SCHEDULER_ENABLED (make run); never in tests.

    Under the reloader only the child that serves starts it (the watching parent also builds
    the app), so it runs once.
    """
    if not app.config.get("SCHEDULER_ENABLED") or app.testing:
        return None
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None
    if app.extensions.get("reminders_scheduler") is not None:
        return app.extensions["reminders_scheduler"]
    scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
    add_job(scheduler, app, app.config["REMINDERS_INTERVAL_SECONDS"], first_in=5)
    scheduler.start()
    app.extensions["reminders_scheduler"] = scheduler
    atexit.register(lambda: scheduler.running and scheduler.shutdown(wait=False))
    log.info("reminders: in-app scheduler started")
    return scheduler
