"""Real channels on loopback: an aiosmtpd server receives the e-mail, a local push service
checks the VAPID signature and decrypts the payload (RFC 8291) as a browser's would."""

from __future__ import annotations

import json
import os
import re
import stat
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from pwa import create_app
from pwa.extensions import db as _db
from pwa.models import (
    MedicineDose,
    PushSubscription,
    Reminder,
    ReminderDelivery,
    User,
    utcnow,
)
from pwa.reminders.channels import application_server_key, load_or_create_vapid
from pwa.reminders.scheduler import tick
from pwa.reminders.schedules import wall_to_utc
from pwa.reminders.services import reschedule

from .conftest import config_for, make_patient
from .test_reminders_engine import add_medicine, reminders_of, settings_of
from .test_reminders_support import MailServer, PushService

DAY = date(2031, 3, 4)
PUBLIC_URL = "http://upright.example"


def local(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return wall_to_utc(day, time(hour, minute, second), ZoneInfo("America/New_York"))


@pytest.fixture
def mail():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def push_service():
    service = PushService().start()
    yield service
    service.stop()


@contextmanager
def app_sending_to(tmp_path, mail: MailServer, **overrides):
    """The app with its SMTP server and VAPID key on loopback / in the test's own directory."""
    app = create_app(
        config_for(
            tmp_path,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=mail.port,
            MAIL_SENDER="Upright <reminders@upright.example>",
            VAPID_PRIVATE_KEY_FILE=str(tmp_path / "vapid_private.pem"),
            VAPID_SUBJECT="mailto:care@upright.example",
            PUBLIC_URL=PUBLIC_URL,
            PUSH_ALLOW_ANY_HOST=True,
            **overrides,
        )
    )
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def app(tmp_path, mail):
    with app_sending_to(tmp_path, mail) as app:
        yield app


def only(patient, *kinds) -> None:
    """Switches off the patient's reminders except `kinds`, and schedules from 07:00."""
    for reminder in reminders_of(patient):
        reminder.enabled = reminder.kind in kinds
        reschedule(reminder, patient.zone, settings_of(patient), local(7))
    _db.session.commit()


def subscribe(client, patient, subscriber, base_url) -> None:
    client.post("/login", data={"email": patient.email, "password": "correct horse battery"})
    response = client.post("/reminders/push/subscribe", json=subscriber.subscription(base_url))
    assert response.status_code == 201, response.get_data(as_text=True)


def path_of(url: str) -> str:
    return url.removeprefix(PUBLIC_URL)


# --- E-mail ------------------------------------------------------------------------------------


def test_an_email_reminder_arrives_as_text_and_html_with_a_link_that_turns_it_off(
    app, client, mail
):
    patient = make_patient(name="Anna Berg", email="anna@example.com")
    only(patient, "checkin")
    result = tick(app, local(19, 0, 30))
    assert result.sent == 1, result.summary()
    (message,) = mail.wait_for(1)
    assert message["Subject"] == "Time for your daily check-in"
    assert message["To"] == "Anna Berg <anna@example.com>"
    assert message["From"] == "Upright <reminders@upright.example>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Anna Berg" in text and f"{PUBLIC_URL}/checkin" in text
    assert f'href="{PUBLIC_URL}/checkin"' in html
    assert "If you are worried, call your doctor. Do not wait for the app." in text
    off_url = re.search(r"Turn off this reminder: (\S+)", text)[1]
    assert message["List-Unsubscribe"] == f"<{off_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page = client.get(path_of(off_url))  # a link scanner's GET changes nothing
    assert page.status_code == 200 and "Turn off this reminder" in page.get_data(as_text=True)
    (checkin,) = reminders_of(patient, "checkin")
    assert checkin.enabled
    done = client.post(path_of(off_url), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "The reminder is off" in done.get_data(as_text=True)
    _db.session.expire_all()
    assert not checkin.enabled and checkin.next_due_at is None
    assert client.post(path_of(off_url) + "x").status_code == 404


def test_with_the_smtp_server_down_the_email_is_retried_and_arrives_when_it_is_back(app, mail):
    patient = make_patient()
    only(patient, "checkin")
    mail.stop()
    result = tick(app, local(19, 0, 30))
    assert result.retry == 1 and result.sent == 0
    (row,) = _db.session.scalars(select(ReminderDelivery)).all()
    assert row.status == "retry" and "SMTP unreachable" in row.last_error
    mail.start()
    assert tick(app, local(19, 1, 0)).sent == 0  # still waiting out its backoff
    assert tick(app, local(19, 1, 31)).sent == 1
    (message,) = mail.wait_for(1)
    assert message["Subject"] == "Time for your daily check-in"


# --- Web Push ----------------------------------------------------------------------------------


def test_a_push_reminder_is_vapid_signed_and_decrypts_to_its_title_url_and_buttons_only(
    app, client, push_service
):
    push_service.expected_key = application_server_key(
        load_or_create_vapid(app.config["VAPID_PRIVATE_KEY_FILE"])
    )
    patient = make_patient()
    settings_of(patient).email_enabled = False
    add_medicine(patient, name="Alendronate", dose="70 mg tablet", times=[time(8, 0)])
    only(patient, "medicine")
    subscriber = push_service.subscriber("phone")
    subscribe(client, patient, subscriber, push_service.base_url)

    result = tick(app, local(8, 0, 10))
    assert result.sent == 1, result.summary()
    (received,) = push_service.wait_for(1)
    assert push_service.rejected == []
    payload = received.payload
    assert set(payload) == {"title", "url", "tag", "actions"}
    assert payload["title"] == "Time to take Alendronate"
    assert "70 mg" not in json.dumps(payload)  # nothing beyond the title
    assert payload["url"].startswith("/reminders/act/")
    actions = {a["action"]: a for a in payload["actions"]}
    assert actions["taken"]["title"] == "Taken" and actions["snooze"]["title"] == "Snooze 1 hour"
    assert received.claims["sub"] == "mailto:care@upright.example"
    assert int(received.headers["ttl"]) > 0 and received.headers["urgency"] == "high"

    # The service worker's "Taken" button: a cookie-less POST to the signed URL.
    anonymous = app.test_client()
    answer = anonymous.post(actions["taken"]["url"], headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.json["status"] == "taken"
    (dose,) = _db.session.scalars(select(MedicineDose)).all()
    assert (dose.status, dose.source, dose.occurrence_at) == ("taken", "push", local(8))
    forged = actions["taken"]["url"].replace("/act/", "/act/x")
    assert anonymous.post(forged).status_code == 404


def test_snooze_from_the_notification_sends_it_again_an_hour_later(app, client, push_service):
    patient = make_patient()
    settings_of(patient).email_enabled = False
    add_medicine(patient)
    only(patient, "medicine")
    subscribe(client, patient, push_service.subscriber("phone"), push_service.base_url)
    tick(app, local(8, 0, 10))
    (first,) = push_service.wait_for(1)
    snooze_url = next(a["url"] for a in first.payload["actions"] if a["action"] == "snooze")
    answer = app.test_client().post(snooze_url, headers={"Accept": "application/json"})
    assert answer.json["status"] == "snooze"
    # The scheduler's clock is the test's; the snooze used the real one: line them up.
    _db.session.execute(update(ReminderDelivery).values(next_attempt_at=local(9, 0, 10)))
    _db.session.commit()
    tick(app, local(8, 30))
    assert len(push_service.received) == 1
    tick(app, local(9, 0, 40))
    titles = [r.payload["title"] for r in push_service.wait_for(2)]
    assert titles == ["Time to take Alendronate"] * 2


def test_a_subscription_the_push_service_answers_410_for_is_deleted(app, client, push_service):
    patient = make_patient()
    settings_of(patient).email_enabled = False
    only(patient, "checkin")
    subscribe(client, patient, push_service.subscriber("old-phone"), push_service.base_url)
    subscribe(client, patient, push_service.subscriber("new-phone"), push_service.base_url)
    push_service.answers["old-phone"] = 410
    result = tick(app, local(19, 0, 10))
    assert result.sent == 1
    assert [r.name for r in push_service.received] == ["new-phone"]
    endpoints = _db.session.scalars(select(PushSubscription.endpoint)).all()
    assert endpoints == [f"{push_service.base_url}/push/new-phone"]


def test_a_push_service_error_is_retried_until_it_gets_through(app, client, push_service):
    patient = make_patient()
    settings_of(patient).email_enabled = False
    only(patient, "checkin")
    subscribe(client, patient, push_service.subscriber("phone"), push_service.base_url)
    push_service.answers["phone"] = 503
    assert tick(app, local(19, 0, 10)).retry == 1
    del push_service.answers["phone"]
    assert tick(app, local(19, 1, 20)).sent == 1
    assert [r.payload["url"] for r in push_service.wait_for(1)] == ["/checkin"]


# --- Keys and the command line ----------------------------------------------------------------


def test_the_vapid_key_is_made_on_first_use_kept_private_and_reused(app, runner, tmp_path):
    path = tmp_path / "vapid_private.pem"
    assert not path.exists()
    first = runner.invoke(args=["reminders", "vapid-key"]).output.strip()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = runner.invoke(args=["reminders", "vapid-key"]).output.strip()
    assert first == second and len(first) == 87  # a 65-byte P-256 point in base64url


def test_send_due_command_runs_one_tick(app, runner, mail):
    patient = make_patient()
    only(patient, "checkin")
    _db.session.execute(
        update(Reminder)
        .where(Reminder.user_id == patient.id, Reminder.kind == "checkin")
        .values(next_occurrence_at=utcnow() - timedelta(minutes=1), next_due_at=utcnow())
    )
    _db.session.commit()
    result = runner.invoke(args=["reminders", "send-due"])
    assert result.exit_code == 0, result.output
    assert "1 due: 1 sent" in result.output
    assert mail.wait_for(1)[0]["Subject"] == "Time for your daily check-in"
    again = runner.invoke(args=["reminders", "send-due"])
    assert "0 due" in again.output and len(mail.messages) == 1


# --- Each message stands alone -----------------------------------------------------------------


def at_checkin_time(*patients) -> None:
    for patient in patients:
        only(patient, "checkin")


def test_a_batch_with_unbuildable_and_hostile_records_delivers_every_other_patient_once(app, mail):
    """The first patients in the batch hold what broke it before: a line break in a name and
    in a medicine name (a header injection attempt), an address no server could take, and an
    international one this server (no SMTPUTF8) cannot; none of them stops the others."""
    injected = make_patient(name="Bob\r\nBcc: victim@evil.example", email="bob@example.com")
    unbuildable = make_patient(email="no address@example.com")
    international = make_patient(email="josé@exämple.com")
    idn_domain = make_patient(name="Jose", email="jose@exämple.com")
    medicine_owner = make_patient(name="Carla", email="carla@example.com")
    others = [make_patient() for _ in range(5)]
    at_checkin_time(injected, unbuildable, international, idn_domain, *others)
    settings_of(medicine_owner).email_enabled = True
    medicine = add_medicine(medicine_owner, name="Vitamin D", times=[time(19, 0)])
    medicine.name = "Vitamin D\nSubject: free pills"  # stored before the forms refused it
    _db.session.commit()
    only(medicine_owner, "medicine")

    result = tick(app, local(19, 0, 30))
    assert result.errors == [] and result.sent == 8 and result.failed == 2, result.summary()
    messages = mail.wait_for(8)
    assert len(messages) == 8
    envelopes = mail.envelopes
    by_rcpt = {rcpts[0]: m for (_, rcpts), m in zip(envelopes, messages, strict=True)}
    assert sorted(by_rcpt) == sorted(
        ["bob@example.com", "jose@xn--exmple-cua.com", "carla@example.com"]
        + [p.email for p in others]
    )
    bob = by_rcpt["bob@example.com"]
    assert bob["To"] == '"Bob Bcc: victim@evil.example" <bob@example.com>' and "Bcc" not in bob
    carla = by_rcpt["carla@example.com"]
    assert carla["Subject"] == "Time to take Vitamin D Subject: free pills"
    assert by_rcpt["jose@xn--exmple-cua.com"]["To"] == "Jose <jose@xn--exmple-cua.com>"

    failed = {
        row.reminder.user_id: row.last_error
        for row in _db.session.scalars(
            select(ReminderDelivery).where(ReminderDelivery.status == "failed")
        )
    }
    assert set(failed) == {unbuildable.id, international.id}
    assert "could not build the e-mail" in failed[unbuildable.id]
    assert "does not accept international addresses" in failed[international.id]

    # Failed for good, not as if the channel were down: later ticks send nothing more.
    for minute in (2, 10, 40):
        assert tick(app, local(19, minute)).sent == 0
    assert len(mail.messages) == 8


@pytest.mark.database
def test_an_international_address_registered_through_the_form_gets_its_reminder(tmp_path):
    """The rule: international addresses are accepted end to end. Registration takes
    josé@exämple.com; a server that offers SMTPUTF8 receives it, domain in IDNA form."""
    mail = MailServer(smtputf8=True).start()
    try:
        with app_sending_to(tmp_path, mail) as app:
            client = app.test_client()
            answer = client.post(
                "/register",
                data={
                    "name": "José Núñez",
                    "email": "josé@exämple.com",
                    "password": "a long password",
                    "confirm": "a long password",
                    "timezone": "America/New_York",
                },  # fmt: skip
            )
            assert answer.status_code == 302, answer.get_data(as_text=True)
            patient = _db.session.scalar(select(User).where(User.name == "José Núñez"))
            # The account e-mail (confirm your address) takes the same address rule.
            (confirm,) = mail.wait_for(1)
            assert confirm["To"] == "José Núñez <josé@xn--exmple-cua.com>"
            assert "confirm" in confirm["Subject"].lower()
            patient.email_verified_at = datetime(2026, 3, 1)  # reminder e-mails wait for it
            _db.session.commit()
            only(patient, "checkin")
            result = tick(app, local(19, 0, 30))
            assert result.sent == 1, result.summary()
            _confirm, message = mail.wait_for(2)
            assert mail.envelopes[1][1] == ["josé@xn--exmple-cua.com"]
            assert message["To"] == "José Núñez <josé@xn--exmple-cua.com>"
            assert "Hello José Núñez" in message.get_body(("plain",)).get_content()
    finally:
        mail.stop()


@pytest.mark.database
def test_one_smtp_connection_per_sending_thread_is_reused_for_the_chunk(tmp_path):
    mail = MailServer().start()
    try:
        with app_sending_to(tmp_path, mail, REMINDERS_SEND_WORKERS=2) as app:
            patients = [make_patient() for _ in range(20)]
            at_checkin_time(*patients)
            assert tick(app, local(19, 0, 30)).sent == 20
            assert len(mail.wait_for(20)) == 20
            assert len(set(mail.peers)) <= 2  # twenty messages over at most two connections
    finally:
        mail.stop()


def test_a_stored_push_key_that_cannot_encrypt_fails_that_patient_alone(app, client, push_service):
    broken, fine = make_patient(), make_patient()
    for patient in (broken, fine):
        settings_of(patient).email_enabled = False
    at_checkin_time(broken, fine)
    _db.session.add(
        PushSubscription(
            user_id=broken.id,
            endpoint=f"{push_service.base_url}/push/broken",
            p256dh="AAAA",
            auth="BBBB",
        )  # fmt: skip
    )
    _db.session.commit()
    subscribe(client, fine, push_service.subscriber("phone"), push_service.base_url)
    result = tick(app, local(19, 0, 10))
    errors = _db.session.scalars(select(ReminderDelivery.last_error)).all()
    assert result.sent == 1 and result.failed == 1 and result.errors == [], errors
    assert [r.name for r in push_service.wait_for(1)] == ["phone"]
    (row,) = _db.session.scalars(
        select(ReminderDelivery).where(ReminderDelivery.status == "failed")
    ).all()
    assert row.reminder.user_id == broken.id and "could not encrypt" in row.last_error
