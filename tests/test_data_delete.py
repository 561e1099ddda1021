"""Deleting an account: every row of the patient in every table goes, nothing of anyone else."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pwa.auth.services import ThrottlePolicy, authenticate
from pwa.extensions import db
from pwa.models import AccessLogEntry, Caregiver, LoginThrottle, ShareLink, User

from .conftest import (
    PASSWORD,
    app_sending_mail,
    make_patient,
)
from .patient_data import NOW, full_patient


@pytest.fixture
def mail_app(tmp_path, mail):
    yield from app_sending_mail(tmp_path, mail, MAIL_SENDER="Upright <account@upright.test>")


def with_everything(email: str) -> User:
    """A patient with a row in every table the app has (as of this test)."""
    patient = full_patient(email=email)
    db.session.add_all([
        ShareLink(user_id=patient.id, token_hash=f"h-{email}", period_start=NOW.date(),
                  period_end=NOW.date(), expires_at=NOW),
        AccessLogEntry(user_id=patient.id, kind="export", detail="JSON file"),
        LoginThrottle(email=email, failures=2),
    ])  # fmt: skip
    db.session.commit()
    return patient


def rows_of(user_id: int, email: str) -> dict[str, int]:
    """Rows in every table of the metadata that point at the user or carry the address."""
    counts = {}
    for table in db.metadata.sorted_tables:
        conditions = [
            fk.parent == user_id for fk in table.foreign_keys if fk.column.table.name == "users"
        ]
        if table.name == "users":
            conditions.append(table.c.id == user_id)
        if "email" in table.c:
            conditions.append(table.c.email == email)
        for condition in conditions:
            n = db.session.scalar(select(func.count()).select_from(table).where(condition))
            counts[table.name] = counts.get(table.name, 0) + n
    return counts


def dependent_rows(table_name: str) -> int:
    return db.session.scalar(select(func.count()).select_from(db.metadata.tables[table_name]))


@pytest.mark.database
def test_deleting_removes_every_row_of_the_patient_in_every_table(mail_app, mail):
    anna = with_everything("anna@example.com")
    bob = with_everything("bob@example.com")
    db.session.add(Caregiver(patient_id=bob.id, caregiver_id=anna.id, email=anna.email))
    db.session.commit()
    before = rows_of(anna.id, anna.email)
    for table in ("checkins", "warning_events", "appointments", "reminders", "medicine_doses",
                  "push_subscriptions", "reminder_settings", "profiles", "share_links",
                  "access_log", "login_throttles", "caregivers"):  # fmt: skip
        assert before.get(table), table
    bob_before = rows_of(bob.id, bob.email)
    deliveries = dependent_rows("reminder_deliveries")

    client = mail_app.test_client()
    client.post("/login", data={"email": anna.email, "password": PASSWORD})
    response = client.post(
        "/account/delete", data={"password": PASSWORD, "confirm": "delete my account"}
    )
    assert response.status_code == 200
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "account-deleted.js" in response.get_data(as_text=True)

    assert sum(rows_of(anna.id, anna.email).values()) == 0
    assert dependent_rows("reminder_deliveries") == deliveries - 1  # Anna's, through her reminder
    after_bob = rows_of(bob.id, bob.email)
    assert after_bob == {**bob_before, "caregivers": bob_before["caregivers"] - 1}

    (message,) = mail.wait_for(1)
    assert "anna@example.com" in message["To"]
    assert message["Subject"] == "Your Upright account is deleted"
    text = message.get_content()
    assert "Daily check-ins: 3" in text and "Appointments, with your questions for them: 2" in text

    # The session ended with the account: the next page asks to sign in.
    assert client.get("/history").status_code == 302


def test_deleting_needs_the_password_and_the_typed_words(client, app):
    patient = full_patient()
    client.post("/login", data={"email": patient.email, "password": PASSWORD})
    page = client.get("/account/delete").get_data(as_text=True)
    assert (
        "Daily check-ins: 3" in page
        and "Appointments, with your questions for them: 2" in page
        and patient.email in page
    )
    wrong = client.post(
        "/account/delete", data={"password": "nope", "confirm": "DELETE MY ACCOUNT"}
    )
    assert wrong.status_code == 400 and "That is not your password." in wrong.get_data(as_text=True)
    unconfirmed = client.post("/account/delete", data={"password": PASSWORD, "confirm": "yes"})
    body = unconfirmed.get_data(as_text=True)
    assert unconfirmed.status_code == 400 and "exactly as shown" in body
    assert db.session.get(User, patient.id) is not None


def test_a_mail_server_that_is_down_does_not_stop_the_deletion(client, app):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens on the discard port
    patient = make_patient()
    client.post("/login", data={"email": patient.email, "password": PASSWORD})
    response = client.post(
        "/account/delete", data={"password": PASSWORD, "confirm": "DELETE MY ACCOUNT"}
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.database
def test_the_command_line_deletes_an_account_for_a_clinic(mail_app, mail):
    anna = with_everything("anna@example.com")
    runner = mail_app.test_cli_runner()
    refused = runner.invoke(args=["users", "delete", "--email", "anna@example.com"], input="n\n")
    assert refused.exit_code == 1 and db.session.get(User, anna.id) is not None
    result = runner.invoke(args=["users", "delete", "--email", "ANNA@example.com", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Daily check-ins: 3" in result.output and "Deleted the account" in result.output
    assert sum(rows_of(anna.id, "anna@example.com").values()) == 0
    assert mail.wait_for(1)[0]["Subject"] == "Your Upright account is deleted"
    missing = runner.invoke(args=["users", "delete", "--email", "nobody@example.com", "--yes"])
    assert missing.exit_code == 1 and "no account" in missing.output


def test_a_deleted_patient_cannot_sign_in_again(app):
    patient = make_patient()
    from pwa.data.deletion import delete_account

    delete_account(db.session, patient)
    db.session.commit()
    policy = ThrottlePolicy()
    assert authenticate(db.session, patient.email, PASSWORD, now=NOW, policy=policy) is None
