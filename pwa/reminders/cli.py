"""`flask --app wsgi reminders run` (the production scheduler) and `reminders send-due`."""

from __future__ import annotations

import contextlib
import logging
import signal

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app
from flask.cli import AppGroup

from ..deployment import vapid_key
from .channels import application_server_key
from .scheduler import add_job, tick

reminders = AppGroup("reminders", help="Send reminders.")


@reminders.command("send-due")
def send_due_command() -> None:
    """Run one tick: send what is due now, retry what failed, record what was missed."""
    result = tick(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(result.summary())
    if result.errors:
        raise SystemExit(1)


@reminders.command("run")
@click.option(
    "--interval",
    type=click.IntRange(1, 3600),
    default=None,
    help="Seconds between ticks (default REMINDERS_INTERVAL_SECONDS, 30).",
)
def run_command(interval: int | None) -> None:
    """The scheduler process: one job that sends what is due, every 30 seconds."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    in_app = app.extensions.pop("reminders_scheduler", None)
    if in_app is not None:  # SCHEDULER_ENABLED leaked into this process: one scheduler is enough
        in_app.shutdown(wait=False)
    interval = interval or app.config["REMINDERS_INTERVAL_SECONDS"]
    scheduler = BlockingScheduler(timezone="UTC")
    add_job(scheduler, app, interval)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    click.echo(f"Reminders: checking every {interval} s. Stop with Ctrl+C.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@reminders.command("vapid-key")
def vapid_key_command() -> None:
    """Print the public VAPID key (VAPID_PRIVATE_KEY[_FILE], or made on first use in instance/)."""
    click.echo(application_server_key(vapid_key(current_app._get_current_object())))
