"""Issue 12: open checklist items are nudged 2, 6, 12 and 16 weeks after the fracture, through
the real reminder engine and a real SMTP server on loopback, with the clock in the test's hands:
once per occurrence and channel, skipped when everything is settled, held past quiet hours,
moved with the fracture date, never in the past, none after 16 weeks."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pwa.bone.checklist import ITEMS
from pwa.bone.nudges import bone_reminder
from pwa.bone.services import after_profile_saved
from pwa.extensions import db as _db
from pwa.models import BoneCheckItem, Reminder, ReminderDelivery
from pwa.reminders.scheduler import tick
from pwa.reminders.schedules import wall_to_utc
from pwa.reminders.services import save_settings, settings_form_data

from .conftest import PASSWORD, app_sending_mail, make_patient
from .test_reminders_engine import reminders_of, settings_of

NY = ZoneInfo("America/New_York")
FRACTURE = date(2031, 3, 4)
PUBLIC_URL = "http://upright.test"
WEEKS = (2, 6, 12, 16)


@pytest.fixture
def app(tmp_path, mail):
    yield from app_sending_mail(
        tmp_path, mail, PUBLIC_URL=PUBLIC_URL, MAIL_SENDER="Upright <reminders@upright.test>"
    )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return wall_to_utc(day, time(hour, minute), NY)


def nudge_at(weeks: int, hour: int = 19, minute: int = 0, fracture: date = FRACTURE) -> datetime:
    return local(fracture + timedelta(weeks=weeks), hour, minute)


def start(patient, fracture: date | None, now: datetime) -> Reminder:
    """What saving the profile does (sign-up included)."""
    patient.profile.fracture_date = fracture
    after_profile_saved(_db.session, patient, now)
    _db.session.commit()
    return bone_reminder(_db.session, patient.id)


def answer(patient, item: str, state: str) -> None:
    row = _db.session.scalar(
        select(BoneCheckItem).where(BoneCheckItem.user_id == patient.id, BoneCheckItem.item == item)
    )
    if row is None:
        row = BoneCheckItem(user_id=patient.id, item=item)
        _db.session.add(row)
    row.state = state
    _db.session.commit()


def nudges_sent(patient) -> list[ReminderDelivery]:
    _db.session.expire_all()
    return list(
        _db.session.scalars(
            select(ReminderDelivery)
            .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
            .where(Reminder.user_id == patient.id, Reminder.kind == "bone")
            .order_by(ReminderDelivery.occurrence_at, ReminderDelivery.channel)
        )
    )


SUBJECT = "Your bone health checklist after the fracture"


def nudges_in(mail) -> list:
    """The nudges the SMTP server received (the daily check-in reminder goes out too)."""
    return [message for message in mail.messages if message["Subject"] == SUBJECT]


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_open_items_are_nudged_at_2_6_12_and_16_weeks_once_each(app, mail):
    patient = make_patient(timezone="America/New_York")
    reminder = start(patient, FRACTURE, local(FRACTURE, 12))
    # At the check-in reminder's time (19:00 by default), in the patient's zone.
    assert reminder.times == ["19:00"] and reminder.next_occurrence_at == nudge_at(2)
    for count, weeks in enumerate(WEEKS, 1):
        tick(app, nudge_at(weeks) - timedelta(minutes=1))
        assert len(nudges_in(mail)) == count - 1  # not before its time
        tick(app, nudge_at(weeks))
        tick(app, nudge_at(weeks))  # the engine run twice at the same moment
        tick(app, nudge_at(weeks) + timedelta(minutes=10))
        assert len(nudges_in(mail)) == count, weeks
        # One delivery row for it (the log keeps rows 30 days, so earlier ones may be pruned).
        assert [
            (d.channel, d.status)
            for d in nudges_sent(patient)
            if d.occurrence_at == nudge_at(weeks)
        ] == [("email", "sent")]
    message = nudges_in(mail)[0]
    assert message["To"].addresses[0].addr_spec == patient.email
    text = body(message)
    assert f"Open Upright: {PUBLIC_URL}/bone-health" in text
    assert "Still to do or to book: a bone density scan, blood tests" in text
    assert "a fracture liaison or bone health clinic." in text
    assert "Turn off this reminder: " in text
    # After 16 weeks nothing more is to come.
    _db.session.expire_all()
    reminder = bone_reminder(_db.session, patient.id)
    assert reminder.next_occurrence_at is None and reminder.next_due_at is None
    tick(app, nudge_at(30))
    assert len(nudges_in(mail)) == 4


def test_the_message_names_only_the_items_still_open(app, mail):
    patient = make_patient()
    start(patient, FRACTURE, local(FRACTURE, 12))
    for item in ("dexa", "bloods", "falls_review", "exercise"):
        answer(patient, item, "done")
    answer(patient, "fls", "not_for_me")
    answer(patient, "medicine", "booked")  # booked is still open
    tick(app, nudge_at(2))
    (message,) = nudges_in(mail)
    assert "Still to do or to book: osteoporosis medicine." in body(message)
    assert "bone density" not in body(message)


def test_two_engines_send_each_nudge_once(app, mail):
    patient = make_patient()
    start(patient, FRACTURE, local(FRACTURE, 12))
    barrier = threading.Barrier(2)

    def engine():
        barrier.wait()
        tick(app, nudge_at(2))

    threads = [threading.Thread(target=engine) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(nudges_in(mail)) == 1
    # A third engine that read the reminder before it was advanced (its old next occurrence)
    # claims the same (reminder, occurrence, channel): the unique key stops a second message.
    reminder = bone_reminder(_db.session, patient.id)
    reminder.next_occurrence_at = reminder.next_due_at = nudge_at(2)
    _db.session.commit()
    tick(app, nudge_at(2) + timedelta(minutes=1))
    assert len(nudges_in(mail)) == 1
    assert len(nudges_sent(patient)) == 1


def test_nothing_is_sent_once_every_item_is_settled(app, mail):
    patient = make_patient()
    start(patient, FRACTURE, local(FRACTURE, 12))
    for number, item in enumerate(ITEMS):
        answer(patient, item, "done" if number % 2 else "not_for_me")
    tick(app, nudge_at(2))
    assert nudges_in(mail) == []
    assert [(d.occurrence_at, d.status) for d in nudges_sent(patient)] == [(nudge_at(2), "skipped")]
    # The next occurrence is still planned: an item opened again is nudged then.
    answer(patient, "exercise", "not_yet")
    tick(app, nudge_at(6))
    (message,) = nudges_in(mail)
    assert "Still to do or to book: physiotherapy or an exercise programme." in body(message)


def test_quiet_hours_hold_a_nudge_until_they_end(app, mail):
    patient = make_patient()
    settings = settings_of(patient)
    settings.quiet_enabled, settings.quiet_start, settings.quiet_end = True, time(18), time(21)
    _db.session.commit()
    reminder = start(patient, FRACTURE, local(FRACTURE, 12))
    assert reminder.next_occurrence_at == nudge_at(2)
    assert reminder.next_due_at == nudge_at(2, 21)
    tick(app, nudge_at(2))
    tick(app, nudge_at(2, 20, 59))
    assert nudges_in(mail) == []
    tick(app, nudge_at(2, 21))
    assert len(nudges_in(mail)) == 1
    (delivery,) = nudges_sent(patient)
    assert (delivery.occurrence_at, delivery.due_at) == (nudge_at(2), nudge_at(2, 21))


def test_a_changed_fracture_date_moves_the_nudges_and_none_come_before_it(app, mail):
    patient = make_patient()
    start(patient, FRACTURE, local(FRACTURE, 12))
    later = FRACTURE + timedelta(days=5)  # the patient corrects the date
    reminder = start(patient, later, local(FRACTURE, 13))
    assert reminder.start_date == later
    assert reminder.next_occurrence_at == nudge_at(2, fracture=later)
    tick(app, nudge_at(2))  # the old date's moment
    tick(app, nudge_at(2) + timedelta(hours=3))
    assert nudges_in(mail) == [] and nudges_sent(patient) == []
    tick(app, nudge_at(2, fracture=later))
    assert len(nudges_in(mail)) == 1


def test_a_fracture_entered_late_gets_no_nudge_in_the_past(app, mail):
    patient = make_patient()
    now = nudge_at(7)  # seven weeks after: the 2- and 6-week nudges are gone
    reminder = start(patient, FRACTURE, now)
    assert reminder.next_occurrence_at == nudge_at(12)
    tick(app, now)
    assert nudges_in(mail) == [] and nudges_sent(patient) == []
    # Entered after 16 weeks: nothing at all.
    other = make_patient()
    assert start(other, FRACTURE, nudge_at(17)).next_occurrence_at is None


def test_without_a_fracture_date_nothing_is_scheduled_until_it_is_entered(app, mail):
    patient = make_patient(profile={"fracture_date": None})
    reminder = start(patient, None, local(FRACTURE, 12))
    assert reminder.enabled and reminder.next_occurrence_at is None
    reminder = start(patient, FRACTURE, local(FRACTURE, 13))
    assert reminder.next_occurrence_at == nudge_at(2)


def test_nudges_follow_the_checkin_time_or_come_at_10_and_can_be_switched_off(app, mail):
    patient = make_patient()
    start(patient, FRACTURE, local(FRACTURE, 12))
    settings = settings_of(patient)
    (checkin,) = reminders_of(patient, "checkin")
    values = settings_form_data(settings, checkin)
    save_settings(_db.session, patient, settings, {**values, "checkin_time": time(8, 30)},
                  local(FRACTURE, 12))  # fmt: skip
    _db.session.commit()
    assert bone_reminder(_db.session, patient.id).next_occurrence_at == nudge_at(2, 8, 30)
    save_settings(_db.session, patient, settings, {**values, "checkin_enabled": False},
                  local(FRACTURE, 12))  # fmt: skip
    _db.session.commit()
    assert bone_reminder(_db.session, patient.id).next_occurrence_at == nudge_at(2, 10)
    save_settings(_db.session, patient, settings, {**values, "bone_enabled": False},
                  local(FRACTURE, 12))  # fmt: skip
    _db.session.commit()
    reminder = bone_reminder(_db.session, patient.id)
    assert not reminder.enabled and reminder.next_occurrence_at is None
    tick(app, nudge_at(2))
    assert nudges_in(mail) == []


def test_the_reminders_page_switches_the_nudges_off_and_on(app, mail):
    patient = make_patient()
    start(patient, FRACTURE, local(FRACTURE, 12))
    client = app.test_client()
    client.post("/login", data={"email": patient.email, "password": PASSWORD})
    page = client.get("/reminders").get_data(as_text=True)
    assert 'id="bone_enabled"' in page and "checked" in page.split('id="bone_enabled"')[0][-80:]
    form = {"checkin_enabled": "y", "checkin_time": "19:00", "email_enabled": "y"}
    assert client.post("/reminders", data=form).status_code == 302
    _db.session.expire_all()
    assert not bone_reminder(_db.session, patient.id).enabled
    assert "These reminders are off" in client.get("/bone-health").get_data(as_text=True)
    client.post("/reminders", data={**form, "bone_enabled": "y"})
    _db.session.expire_all()
    assert bone_reminder(_db.session, patient.id).enabled


@pytest.mark.database
def test_a_nudge_goes_once_on_each_channel_and_its_push_shows_no_item(tmp_path, mail):
    """With a phone subscribed: one push (a local push service checks VAPID and decrypts it as
    a browser would) and one e-mail per nudge, however often the engine runs."""
    from .test_reminders_channels import app_sending_to, subscribe
    from .test_reminders_support import PushService

    service = PushService().start()
    try:
        with app_sending_to(tmp_path, mail) as app:
            patient = make_patient()
            start(patient, FRACTURE, local(FRACTURE, 12))
            subscribe(app.test_client(), patient, service.subscriber("phone"), service.base_url)
            for _ in range(3):
                tick(app, nudge_at(2) + timedelta(minutes=1))
            (received,) = service.wait_for(1)
            assert service.rejected == []
            assert (
                received.payload["title"] == SUBJECT and received.payload["url"] == "/bone-health"
            )
            assert "scan" not in json.dumps(received.payload)  # a lock screen is public
            assert len(nudges_in(mail)) == 1
            assert sorted((d.channel, d.status) for d in nudges_sent(patient)) == [
                ("email", "sent"), ("push", "sent")]  # fmt: skip
            assert len(service.received) == 1
    finally:
        service.stop()
