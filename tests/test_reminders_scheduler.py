"""The scheduler only triggers: one APScheduler job every 30 seconds, started in the app only
when SCHEDULER_ENABLED (make run), once under the reloader, and never in tests."""

from __future__ import annotations

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from pwa import create_app

from .conftest import config_for


def test_the_app_never_starts_a_scheduler_in_tests(app):
    assert app.config["SCHEDULER_ENABLED"] is False
    assert "reminders_scheduler" not in app.extensions


@pytest.mark.database
def test_with_scheduler_enabled_the_app_runs_one_job_every_30_seconds(tmp_path, monkeypatch):
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    app = create_app(config_for(tmp_path, TESTING=False, SCHEDULER_ENABLED=True))
    scheduler = app.extensions["reminders_scheduler"]
    try:
        (job,) = scheduler.get_jobs()
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval.total_seconds() == 30
        assert job.max_instances == 1 and job.coalesce
    finally:
        scheduler.shutdown(wait=False)


@pytest.mark.database
@pytest.mark.parametrize(("run_main", "started"), [(None, False), ("true", True)])
def test_under_the_reloader_only_the_serving_child_starts_it(
    tmp_path, monkeypatch, run_main, started
):
    if run_main is None:
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    else:
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", run_main)
    app = create_app(config_for(tmp_path, TESTING=False, DEBUG=True, SCHEDULER_ENABLED=True))
    scheduler = app.extensions.get("reminders_scheduler")
    assert (scheduler is not None) == started
    if scheduler is not None:
        scheduler.shutdown(wait=False)
