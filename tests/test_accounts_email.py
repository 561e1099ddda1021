"""Verified e-mail and password reset (issue 14), end to end through a real SMTP server on
loopback (aiosmtpd): the link in the received e-mail works once, and only once."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from pwa import create_app
from pwa.extensions import db as _db
from pwa.models import DeviceSession, User

from .conftest import PASSWORD, config_for, forget_user_between_requests, make_patient
from .test_reminders_support import MailServer

PUBLIC_URL = "http://upright.example"


@pytest.fixture
def mail():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def app(tmp_path, mail):
    app = create_app(
        config_for(
            tmp_path,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=mail.port,
            MAIL_SENDER="Upright <accounts@upright.example>",
            PUBLIC_URL=PUBLIC_URL,
        )
    )
    forget_user_between_requests(app)
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


def register(client, **overrides):
    data = {
        "name": "Anna Smith", "email": "anna@example.com", "password": PASSWORD,
        "confirm": PASSWORD, "timezone": "America/Chicago",
    }  # fmt: skip
    return client.post("/register", data={**data, **overrides})


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"{re.escape(PUBLIC_URL)}(/\S+)", text)[1]


def no_more_mail(mail, count: int) -> bool:
    time.sleep(0.5)  # sending runs in a thread: give a stray message time to arrive
    return len(mail.messages) == count


def test_a_new_account_is_usable_at_once_and_its_address_is_confirmed_once(app, client, mail):
    response = register(client)
    assert response.status_code == 302
    assert client.get("/checkin").status_code == 200  # not stopped at the door
    (message,) = mail.wait_for(1)
    assert message["To"] == "Anna Smith <anna@example.com>"
    assert message["Subject"] == "Please confirm your e-mail address"
    user = _db.session.scalar(select(User))
    assert not user.email_verified
    assert "is not confirmed yet" in client.get("/account").get_data(as_text=True)

    link = link_in(message)
    assert link.startswith("/verify-email?token=")
    page = app.test_client().get(link)  # a link scanner's GET confirms nothing
    assert page.status_code == 200 and not _db.session.get(User, user.id).email_verified
    done = app.test_client().post(link)
    assert done.status_code == 200 and "is confirmed" in done.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(User, user.id).email_verified
    again = app.test_client().post(link)
    assert again.status_code == 410 and "no longer works" in again.get_data(as_text=True)


def test_the_verification_link_expires(app, client, mail):
    register(client)
    link = link_in(mail.wait_for(1)[0])
    app.config["VERIFY_LINK_HOURS"] = 0
    time.sleep(1.1)
    assert app.test_client().post(link).status_code == 410


def test_registering_a_taken_address_tells_its_owner_and_counts_against_the_limit(
    app, client, mail
):
    make_patient(name="Anna Berg", email="anna@example.com")
    html = register(client).get_data(as_text=True)
    assert "already an account" in html and "told its owner" in html
    (message,) = mail.wait_for(1)
    assert message["To"] == "Anna Berg <anna@example.com>"
    assert "Someone tried to create" in message["Subject"]
    for _ in range(2):
        register(client)
    fourth = register(client).get_data(as_text=True)
    assert "Too many tries" in fourth
    assert len(mail.wait_for(3)) == 3 and no_more_mail(mail, 3)  # the owner is not flooded


def test_forgotten_password_link_works_once_and_signs_out_everywhere(app, client, mail):
    patient = make_patient(name="Anna Berg", email="anna@example.com")
    phone = app.test_client()
    phone.post("/login", data={"email": patient.email, "password": PASSWORD, "remember": "y"})
    assert phone.get("/checkin").status_code == 200

    assert "Forgot your password?" in client.get("/login").get_data(as_text=True)
    sent = client.post("/forgot-password", data={"email": "Anna@Example.com"})
    assert sent.status_code == 302
    assert "Please look in your e-mail" in client.get(sent.location).get_data(as_text=True)
    (message,) = mail.wait_for(1)
    assert message["Subject"] == "Choose a new password for Upright"
    link = link_in(message)

    form = client.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    weak = client.post(link, data={"new": "password1", "confirm": "password1"})
    assert "most common" in weak.get_data(as_text=True)
    done = client.post(link, data={"new": "my new long phrase", "confirm": "my new long phrase"})
    assert done.status_code == 302 and done.location == "/login"
    assert _db.session.scalars(select(DeviceSession)).all() == []
    phone.delete_cookie("session")  # even the remembered phone is signed out
    assert phone.get("/checkin").status_code == 302

    reuse = client.post(link, data={"new": "another long phrase", "confirm": "another long phrase"})
    assert reuse.status_code == 410
    assert client.get(link).status_code == 410
    login = client.post("/login", data={"email": patient.email, "password": "my new long phrase"})
    assert login.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(User, patient.id).email_verified


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, client, mail):
    response = client.post("/forgot-password", data={"email": "nobody@example.com"})
    assert response.status_code == 302 and "sent=1" in response.location
    assert no_more_mail(mail, 0)


def test_a_password_change_revokes_links_sent_before(app, client, mail):
    patient = make_patient(email="anna@example.com")
    client.post("/forgot-password", data={"email": patient.email})
    link = link_in(mail.wait_for(1)[0])
    client.post("/login", data={"email": patient.email, "password": PASSWORD})
    client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a different phrase", "confirm": "a different phrase"},
    )
    assert app.test_client().get(link).status_code == 410


def test_the_reset_link_expires(app, client, mail):
    patient = make_patient(email="anna@example.com")
    client.post("/forgot-password", data={"email": patient.email})
    link = link_in(mail.wait_for(1)[0])
    app.config["RESET_LINK_MINUTES"] = 0
    time.sleep(1.1)
    assert client.get(link).status_code == 410


def test_no_reminder_email_goes_to_an_unconfirmed_address(app, mail):
    from pwa.reminders.scheduler import tick

    from .test_reminders_channels import local, only

    unconfirmed = make_patient(email="new@example.com", email_verified_at=None)
    confirmed = make_patient(email="sure@example.com")
    only(unconfirmed, "checkin")
    only(confirmed, "checkin")
    tick(app, local(19, 0, 30))
    messages = mail.wait_for(1)
    assert [m["To"].addresses[0].addr_spec for m in messages] == ["sure@example.com"]
    assert no_more_mail(mail, 1)


def test_an_unconfirmed_address_can_ask_for_a_new_link_a_few_times(app, client, mail):
    patient = make_patient(email="anna@example.com", email_verified_at=None)
    client.post("/login", data={"email": patient.email, "password": PASSWORD})
    for _ in range(5):
        client.post("/account/verify-email/send")
    page = client.post("/account/verify-email/send", follow_redirects=True)
    assert "Too many tries" in page.get_data(as_text=True)
    assert len(mail.wait_for(5)) == 5 and no_more_mail(mail, 5)


@pytest.mark.database
def test_accounts_from_before_the_upgrade_keep_their_reminder_emails(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    app = create_app(config_for(tmp_path))
    with app.app_context():
        upgrade(revision="0002")
        with _db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (email, password_hash, name, timezone, emergency_number,"
                    " paper_size, created_at) VALUES ('old@example.com', 'x', 'Old', 'UTC',"
                    " '911', 'letter', '2026-01-02 03:04:05')"
                )
            )
        upgrade()
        user = _db.session.scalar(select(User))
        assert user.email_verified and user.token_version == 1
        _db.session.remove()
        _db.engine.dispose()
