"""Secrets from configuration; a shared database refuses to start without them; connections
that a database restart broke are replaced before use."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pwa import create_app
from pwa.config import ROOT, TestConfig
from pwa.deployment import MissingSecrets

from .conftest import make_patient

POSTGRES = "postgresql+psycopg://upright@db.internal/upright"  # never connected to here
DOCS = ROOT / "docs"


def procfile() -> dict[str, str]:
    """docs/Procfile's commands by process name (the multi-machine test runs them)."""
    lines = (DOCS / "Procfile").read_text().splitlines()
    matches = (re.match(r"^([\w-]+):\s*(.+)$", line) for line in lines)
    return {m[1]: m[2] for m in matches if m}


def config(tmp_path, **fields) -> type[TestConfig]:
    """A configuration as a deployment would give it (no database is opened)."""
    base = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite3'}"}
    return type("DeployedConfig", (TestConfig,), {**base, **fields})


def pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_a_shared_database_without_secrets_refuses_to_start_and_says_what_to_set(tmp_path):
    with pytest.raises(MissingSecrets) as refused:
        create_app(config(tmp_path, SQLALCHEMY_DATABASE_URI=POSTGRES, SECRET_KEY=None))
    message = str(refused.value)
    assert "SECRET_KEY (or SECRET_KEY_FILE" in message
    assert "VAPID_PRIVATE_KEY (the PEM text) or VAPID_PRIVATE_KEY_FILE" in message
    assert "docs/deploy.md" in message


def test_a_shared_database_with_only_the_session_key_still_asks_for_the_push_key(tmp_path):
    with pytest.raises(MissingSecrets) as refused:
        create_app(config(tmp_path, SQLALCHEMY_DATABASE_URI=POSTGRES, SECRET_KEY="shared"))
    assert "VAPID_PRIVATE_KEY" in str(refused.value)
    assert "SECRET_KEY (or" not in str(refused.value)


def test_a_malformed_push_key_stops_the_start_too(tmp_path):
    fields = {"SQLALCHEMY_DATABASE_URI": POSTGRES, "SECRET_KEY": "s", "VAPID_PRIVATE_KEY": "nope"}
    with pytest.raises(MissingSecrets, match="VAPID_PRIVATE_KEY is not a P-256 private key"):
        create_app(config(tmp_path, **fields))


def test_secrets_come_from_mounted_files(tmp_path):
    (tmp_path / "secret_key").write_text("from-a-file\n")
    (tmp_path / "smtp_password").write_text("mail-password\n")
    (tmp_path / "vapid.pem").write_text(pem())
    app = create_app(
        config(
            tmp_path,
            SQLALCHEMY_DATABASE_URI=POSTGRES,
            SECRET_KEY=None,
            SECRET_KEY_FILE=str(tmp_path / "secret_key"),
            SMTP_PASSWORD_FILE=str(tmp_path / "smtp_password"),
            VAPID_PRIVATE_KEY_FILE=str(tmp_path / "vapid.pem"),
        )
    )
    assert app.config["SECRET_KEY"] == "from-a-file"
    assert app.config["SMTP_PASSWORD"] == "mail-password"


def test_an_unreadable_secret_file_is_named(tmp_path):
    missing = tmp_path / "nowhere" / "secret_key"
    with pytest.raises(MissingSecrets, match=f"SECRET_KEY_FILE={missing} cannot be read"):
        create_app(config(tmp_path, SECRET_KEY=None, SECRET_KEY_FILE=str(missing)))


@pytest.mark.database
def test_the_push_key_given_as_text_is_the_one_browsers_subscribe_with(tmp_path, client, app):
    from pwa.deployment import vapid_from_text
    from pwa.reminders.channels import application_server_key

    text = pem()
    app.config["VAPID_PRIVATE_KEY"] = text
    patient = make_patient()
    client.post("/login", data={"email": patient.email, "password": "correct horse battery"})
    answer = client.get("/reminders/push/key")
    assert answer.json["publicKey"] == application_server_key(vapid_from_text(text))
    assert not (tmp_path / "vapid_private.pem").exists()  # nothing made on this machine


def test_one_machine_on_sqlite_needs_no_secrets_given(tmp_path):
    app = create_app(config(tmp_path, SECRET_KEY=None))
    assert len(app.config["SECRET_KEY"]) == 64  # made once, kept in instance/
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


@pytest.mark.postgres_only(reason="restarts the run's own PostgreSQL server")
def test_a_database_restart_between_two_requests_is_not_an_error(
    client, signed_in, postgres_cluster, db
):
    assert client.get("/api/v1/entries").status_code == 200
    assert client.get("/healthz").status_code == 200
    db.session.remove()  # as at the end of every request outside a test: back to the pool
    postgres_cluster.restart()  # every pooled connection is now dead
    assert client.get("/api/v1/entries").status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("process", ["web", "scheduler", "release"])
def test_the_systemd_units_run_the_procfiles_commands(process):
    unit = (DOCS / "systemd" / f"upright-{process}.service").read_text()
    start = re.search(r"^ExecStart=/srv/upright/\.venv/bin/(.+)$", unit, re.MULTILINE)
    assert start is not None and start[1] == procfile()[process]
    assert "SECRET_KEY_FILE=%d/secret_key VAPID_PRIVATE_KEY_FILE=%d/vapid_private.pem" in unit
