"""instance/ holds patients' data and the installation's keys: readable by the app's user only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from pwa.config import ROOT

FIRST_START = """
from flask_migrate import upgrade
from pwa import create_app
from pwa.reminders.channels import load_or_create_vapid, vapid_key_path

app = create_app()
with app.app_context():
    upgrade()
    load_or_create_vapid(vapid_key_path(app.config, app.instance_path))
"""


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def start(instance) -> None:
    env = {**os.environ, "INSTANCE_PATH": str(instance)}
    env.pop("DATABASE_URL", None)
    env.pop("SECRET_KEY", None)
    subprocess.run(
        [sys.executable, "-c", f"import os; os.umask(0o022)\n{FIRST_START}"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def test_a_first_start_makes_instance_0700_and_the_database_and_keys_0600(tmp_path):
    instance = tmp_path / "instance"
    start(instance)  # under the usual umask 022, which would give 0755 and 0644

    assert mode(instance) == 0o700
    made = sorted(p.name for p in instance.iterdir())
    assert {"upright.sqlite3", "secret_key", "vapid_private.pem"} <= set(made)
    for name in made:
        assert mode(instance / name) == 0o600, name


def test_an_older_world_readable_instance_is_tightened_on_start(tmp_path):
    instance = tmp_path / "instance"
    start(instance)
    instance.chmod(0o755)
    for name in ("upright.sqlite3", "secret_key"):
        (instance / name).chmod(0o644)

    start(instance)
    assert mode(instance) == 0o700
    assert mode(instance / "upright.sqlite3") == 0o600
    assert mode(instance / "secret_key") == 0o600
