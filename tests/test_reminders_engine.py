"""The engine's promises, tick by tick, with the clock in the test's hands: sent once, on time,
late only while useful, missed otherwise, retried with backoff, never stopped by a failure."""

from __future__ import annotations

import threading
import time as time_module
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from pwa.extensions import db as _db
from pwa.models import (
    Appointment,
    PushSubscription,
    Reminder,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from pwa.reminders.channels import Outcome, SinkSender
from pwa.reminders.engine import send_due
from pwa.reminders.schedules import wall_to_utc
from pwa.reminders.services import (
    record_dose,
    reschedule,
    save_medicine,
    save_settings,
    settings_form_data,
    snooze,
    turn_off,
)

from .conftest import config_for, make_checkin, make_patient

NY = "America/New_York"


def local(day: date, hour: int, minute: int = 0, second: int = 0, zone: str = NY) -> datetime:
    return wall_to_utc(day, time(hour, minute, second), ZoneInfo(zone))


DAY = date(2031, 3, 4)  # a Tuesday, far from any clock change in New York


class Flaky:
    """A sender whose answers the test scripts; raising is an answer too."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.received = []

    def send(self, message):
        self.received.append(message)
        answer = self.answers.pop(0) if self.answers else "sent"
        if isinstance(answer, Exception):
            raise answer
        return Outcome(answer, None if answer == "sent" else "scripted failure")

    def close(self):
        pass


def tick(app, now, **senders):
    senders = senders or {"email": SinkSender(), "push": SinkSender()}
    return send_due(
        _db.session, now, senders, secret_key=app.config["SECRET_KEY"], base_url="http://u.test"
    ), senders


def settings_of(patient) -> ReminderSettings:
    return _db.session.scalar(
        select(ReminderSettings).where(ReminderSettings.user_id == patient.id)
    )


def reminders_of(patient, kind=None) -> list[Reminder]:
    query = select(Reminder).where(Reminder.user_id == patient.id)
    if kind:
        query = query.where(Reminder.kind == kind)
    return list(_db.session.scalars(query))


def schedule_from(patient, after: datetime) -> None:
    """Puts every reminder of the patient at its first occurrence after `after`."""
    for reminder in reminders_of(patient):
        reschedule(reminder, patient.zone, settings_of(patient), after)
    _db.session.commit()


def deliveries(**filters) -> list[ReminderDelivery]:
    query = select(ReminderDelivery).order_by(ReminderDelivery.id)
    for name, value in filters.items():
        query = query.where(getattr(ReminderDelivery, name) == value)
    return list(_db.session.scalars(query))


def add_subscription(patient) -> None:
    endpoint = f"https://push.example/{patient.id}"
    _db.session.add(PushSubscription(user_id=patient.id, endpoint=endpoint, p256dh="x", auth="y"))
    _db.session.commit()


def add_medicine(patient, **values) -> Reminder:
    fields = {
        "name": "Alendronate",
        "dose": "1 tablet",
        "frequency": "daily",
        "times": [time(8, 0)],
        "weekdays": [],
        "interval_months": None,
        "start_date": DAY - timedelta(days=30),
        "end_date": None,
        **values,
    }
    reminder = save_medicine(
        _db.session, patient, None, fields, settings_of(patient), local(DAY, 0)
    )
    _db.session.commit()
    return reminder


# --- Defaults ----------------------------------------------------------------------------------


def test_a_new_patient_has_the_daily_checkin_at_19_and_appointment_reminders_on(app):
    patient = make_patient(timezone="Europe/Berlin")
    settings = settings_of(patient)
    (checkin,) = reminders_of(patient, "checkin")
    assert checkin.enabled and checkin.times == ["19:00"]
    assert settings.appointment_day_before and settings.appointment_hours_before_on
    assert settings.email_enabled and not settings.quiet_enabled
    local_next = checkin.next_occurrence_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(
        ZoneInfo("Europe/Berlin")
    )
    assert local_next.time() == time(19, 0)


def test_accounts_made_from_the_command_line_or_bare_rows_get_the_defaults_too(app, runner):
    result = runner.invoke(
        args=["users", "create", "--email", "cli@example.com", "--password", "a long password",
              "--timezone", "America/Chicago"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    bare = User(email="bare@example.com", password_hash="x", name="Bare")  # zone from default
    _db.session.add(bare)
    _db.session.commit()
    for email in ("cli@example.com", "bare@example.com"):
        patient = _db.session.scalar(select(User).where(User.email == email))
        assert settings_of(patient) is not None
        (checkin,) = reminders_of(patient, "checkin")
        assert patient.local_now(checkin.next_occurrence_at).time() == time(19, 0)


# --- Sending once ------------------------------------------------------------------------------


def test_a_due_checkin_reminder_goes_out_once_then_waits_for_tomorrow(app):
    patient = make_patient()
    schedule_from(patient, local(DAY, 12))
    result, senders = tick(app, local(DAY, 18, 59))
    assert result.due == 0 and senders["email"].received == []

    result, senders = tick(app, local(DAY, 19, 0, 20))
    (message,) = senders["email"].received
    assert message.title == "Time for your daily check-in" and message.path == "/checkin"
    assert result.sent == 1
    (checkin,) = reminders_of(patient, "checkin")
    assert checkin.next_occurrence_at == local(DAY + timedelta(days=1), 19)

    again, senders = tick(app, local(DAY, 19, 1))
    assert again.due == 0 and senders["email"].received == []
    assert [(d.channel, d.status) for d in deliveries()] == [("email", "sent")]


def test_every_channel_of_the_patient_gets_its_own_delivery(app):
    patient = make_patient()
    _db.session.add(
        PushSubscription(
            user_id=patient.id, endpoint="https://push.example/1", p256dh="x", auth="y"
        )
    )
    _db.session.commit()
    schedule_from(patient, local(DAY, 12))
    result, senders = tick(app, local(DAY, 19, 0, 5))
    assert len(senders["push"].received) == 1 and len(senders["email"].received) == 1
    assert sorted(d.channel for d in deliveries(status="sent")) == ["email", "push"]


@pytest.mark.database
def test_two_schedulers_ticking_at_the_same_moment_send_each_reminder_once(tmp_path):
    from pwa import create_app

    app = create_app(config_for(tmp_path))
    with app.app_context():
        _db.create_all()
        patients = [make_patient() for _ in range(40)]
        for patient in patients:
            schedule_from(patient, local(DAY, 12))
    sinks = [SinkSender(), SinkSender()]
    start = threading.Barrier(2)

    def run(sink):
        with app.app_context():
            start.wait()
            send_due(_db.session, local(DAY, 19, 0, 30), {"email": sink},
                     secret_key="k", base_url="http://u.test")  # fmt: skip
            _db.session.remove()

    threads = [threading.Thread(target=run, args=(sink,)) for sink in sinks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    sent = [message.delivery_id for sink in sinks for message in sink.received]
    assert len(sent) == 40 and len(set(sent)) == 40
    with app.app_context():
        assert len(deliveries()) == 40
        _db.engine.dispose()


# --- Late, missed, skipped ---------------------------------------------------------------------


def test_a_reminder_missed_while_the_scheduler_was_down_is_sent_late_within_its_grace(app):
    patient = make_patient()
    schedule_from(patient, local(DAY, 12))
    result, senders = tick(app, local(DAY, 21, 30))  # 2.5 hours late: a check-in still helps
    assert result.sent == 1 and len(senders["email"].received) == 1


def test_after_a_long_outage_old_occurrences_are_recorded_missed_and_only_useful_ones_sent(app):
    patient = make_patient()
    schedule_from(patient, local(DAY, 12))
    result, senders = tick(app, local(DAY + timedelta(days=3), 20))  # down for three days
    assert result.missed == 3 and result.sent == 1
    statuses = [(d.occurrence_at, d.status) for d in deliveries()]
    assert statuses == [
        (local(DAY, 19), "missed"),
        (local(DAY + timedelta(days=1), 19), "missed"),
        (local(DAY + timedelta(days=2), 19), "missed"),
        (local(DAY + timedelta(days=3), 19), "sent"),
    ]
    assert len(senders["email"].received) == 1


def test_no_checkin_reminder_when_the_patient_already_checked_in_today(app):
    patient = make_patient()
    make_checkin(patient, date=DAY)
    schedule_from(patient, local(DAY, 12))
    result, senders = tick(app, local(DAY, 19, 0, 10))
    assert result.skipped == 1 and senders["email"].received == []
    assert [d.status for d in deliveries()] == ["skipped"]


def test_a_medicine_already_marked_taken_is_not_reminded(app):
    patient = make_patient()
    medicine = add_medicine(patient)
    schedule_from(patient, local(DAY, 7))
    record_dose(_db.session, medicine, local(DAY, 8), "taken", "app", local(DAY, 7, 50))
    _db.session.commit()
    result, senders = tick(app, local(DAY, 8, 0, 10))
    assert result.skipped == 1 and senders["email"].received == []


def test_quiet_hours_hold_a_reminder_until_they_end_and_it_goes_out_once(app):
    patient = make_patient()
    add_medicine(patient, times=[time(22, 30)])
    settings = settings_of(patient)
    settings.quiet_enabled, settings.quiet_start, settings.quiet_end = True, time(22), time(7)
    schedule_from(patient, local(DAY, 12))
    medicine = reminders_of(patient, "medicine")[0]
    assert medicine.next_occurrence_at == local(DAY, 22, 30)
    assert medicine.next_due_at == local(DAY + timedelta(days=1), 7)
    result, senders = tick(app, local(DAY, 22, 31))
    assert senders["email"].received == []
    result, senders = tick(app, local(DAY + timedelta(days=1), 7, 0, 10))
    assert result.sent == 1
    assert deliveries(reminder_id=medicine.id)[0].occurrence_at == local(DAY, 22, 30)


def test_saving_the_settings_keeps_a_reminder_held_by_quiet_hours_or_not_yet_sent(app):
    """The patient changes their check-in time at 06:30, while quiet hours hold last night's
    22:30 medicine until 07:00, and again at 08:00:10, before any tick sent the 08:00 one: both
    reminders still go out, once each. Only the changed check-in moves."""
    patient = make_patient()
    held = add_medicine(patient, times=[time(22, 30)])
    morning = add_medicine(patient, name="Calcium", times=[time(8)])
    settings = settings_of(patient)
    settings.quiet_enabled, settings.quiet_start, settings.quiet_end = True, time(22), time(7)
    schedule_from(patient, local(DAY, 12))
    tick(app, local(DAY, 22, 31))  # held until 07:00
    (checkin,) = reminders_of(patient, "checkin")
    values = settings_form_data(settings, checkin)
    next_day = DAY + timedelta(days=1)
    for moment, checkin_time in ((local(next_day, 6, 30), time(20)),
                                 (local(next_day, 8, 0, 10), time(20, 30))):  # fmt: skip
        save_settings(_db.session, patient, settings, {**values, "checkin_time": checkin_time},
                      moment)  # fmt: skip
        _db.session.commit()
    assert held.next_occurrence_at == local(DAY, 22, 30)
    assert morning.next_occurrence_at == local(next_day, 8)
    assert checkin.next_occurrence_at == local(next_day, 20, 30)
    result, _ = tick(app, local(next_day, 8, 0, 20))
    assert result.sent == 2
    assert tick(app, local(next_day, 8, 1))[0].sent == 0
    for reminder, moment in ((held, local(DAY, 22, 30)), (morning, local(next_day, 8))):
        (sent,) = deliveries(reminder_id=reminder.id)
        assert sent.occurrence_at == moment and sent.status == "sent"


# --- Failures ----------------------------------------------------------------------------------


def test_a_failing_channel_is_retried_with_backoff_and_never_stops_the_others(app):
    patient = make_patient()
    _db.session.add(
        PushSubscription(
            user_id=patient.id, endpoint="https://push.example/1", p256dh="x", auth="y"
        )
    )
    _db.session.commit()
    schedule_from(patient, local(DAY, 12))
    email = Flaky(ConnectionRefusedError("SMTP down"), "retry", "sent")
    push = SinkSender()
    result, _ = tick(app, local(DAY, 19, 0, 5), email=email, push=push)
    assert len(push.received) == 1  # push went out although e-mail blew up
    assert result.retry == 1 and result.sent == 1
    (row,) = deliveries(channel="email")
    assert row.status == "retry" and row.attempts == 1
    assert row.next_attempt_at == local(DAY, 19, 1, 5)  # first wait: one minute

    tick(app, local(DAY, 19, 0, 40), email=email, push=push)  # backoff not over: nothing
    assert len(email.received) == 1
    tick(app, local(DAY, 19, 1, 10), email=email, push=push)  # scripted "retry" again
    _db.session.expire_all()
    (row,) = deliveries(channel="email")
    assert row.attempts == 2 and row.next_attempt_at == local(DAY, 19, 3, 10)  # doubled
    result, _ = tick(app, local(DAY, 19, 3, 30), email=email, push=push)
    _db.session.expire_all()
    assert result.sent == 1 and deliveries(channel="email")[0].status == "sent"
    assert len(push.received) == 1  # the push never went twice


def test_a_reminder_that_keeps_failing_past_its_grace_period_is_given_up(app):
    patient = make_patient()
    add_medicine(patient)
    reminders_of(patient, "checkin")[0].enabled = False
    schedule_from(patient, local(DAY, 7))
    email = Flaky(*["retry"] * 20)
    moment = local(DAY, 8, 0, 5)
    for _ in range(12):
        tick(app, moment, email=email)
        moment += timedelta(minutes=16)
    _db.session.expire_all()
    (row,) = deliveries()
    assert row.status == "failed" and row.next_attempt_at is None
    assert row.attempts < 12


def left_sending(patient, claimed_at: datetime, lease_ends: datetime) -> Reminder:
    """The state a process killed mid-send leaves: the check-in claimed, advanced, not sent."""
    schedule_from(patient, local(DAY, 12))
    (checkin,) = reminders_of(patient, "checkin")
    _db.session.add(
        ReminderDelivery(
            reminder_id=checkin.id,
            occurrence_at=local(DAY, 19),
            channel="email",
            status="sending",
            due_at=local(DAY, 19),
            claimed_at=claimed_at,
            next_attempt_at=lease_ends,
            attempts=1,
            created_at=claimed_at,
        )
    )
    _db.session.execute(
        update(Reminder)
        .where(Reminder.id == checkin.id)
        .values(
            next_occurrence_at=local(DAY + timedelta(days=1), 19),
            next_due_at=local(DAY + timedelta(days=1), 19),
        )
    )
    _db.session.commit()
    return checkin


def test_a_claim_left_by_a_crashed_process_is_sent_by_the_next_tick_once_its_lease_ends(app):
    patient = make_patient()
    left_sending(patient, claimed_at=local(DAY, 19), lease_ends=local(DAY, 19, 2))
    result, senders = tick(app, local(DAY, 19, 1))  # the lease still holds: not ours to send
    assert senders["email"].received == []
    result, senders = tick(app, local(DAY, 19, 2, 30))
    assert [m.email for m in senders["email"].received] == [patient.email]
    _db.session.expire_all()
    (row,) = deliveries()
    assert (row.status, row.attempts) == ("sent", 2)
    result, senders = tick(app, local(DAY, 19, 5))
    assert senders["email"].received == []


def test_a_claim_found_after_its_grace_period_is_recorded_failed_not_sent(app):
    patient = make_patient()
    left_sending(patient, claimed_at=local(DAY, 19), lease_ends=local(DAY, 19, 2))
    result, senders = tick(app, local(DAY, 22, 30))  # the check-in's grace is three hours
    assert senders["email"].received == [] and result.failed == 1
    _db.session.expire_all()
    (row,) = deliveries()
    assert row.status == "failed" and "too late" in row.last_error


def test_a_broken_phase_is_reported_and_the_tick_still_sends(app, monkeypatch):
    patient = make_patient()
    schedule_from(patient, local(DAY, 12))
    from pwa.reminders import engine

    def broken(self):
        raise RuntimeError("appointments table on fire")

    monkeypatch.setattr(engine._Tick, "sync_appointments", broken)
    result, senders = tick(app, local(DAY, 19, 0, 5))
    assert result.sent == 1 and "appointments table on fire" in result.errors[0]


# --- Snooze ------------------------------------------------------------------------------------


def test_a_snoozed_medicine_reminder_comes_back_an_hour_later_once(app):
    patient = make_patient()
    add_medicine(patient)
    schedule_from(patient, local(DAY, 7))
    tick(app, local(DAY, 8, 0, 5))
    (row,) = deliveries()
    snooze(row, local(DAY, 8, 2))
    _db.session.commit()
    result, senders = tick(app, local(DAY, 8, 30))
    assert senders["email"].received == []
    result, senders = tick(app, local(DAY, 9, 2, 10))
    assert [m.title for m in senders["email"].received] == ["Time to take Alendronate"]
    result, senders = tick(app, local(DAY, 9, 30))
    assert senders["email"].received == []


def test_a_snoozed_dose_taken_in_the_meantime_is_not_reminded_again(app):
    patient = make_patient()
    medicine = add_medicine(patient)
    schedule_from(patient, local(DAY, 7))
    tick(app, local(DAY, 8, 0, 5))
    snooze(deliveries()[0], local(DAY, 8, 2))
    record_dose(_db.session, medicine, local(DAY, 8), "taken", "app", local(DAY, 8, 20))
    _db.session.commit()
    result, senders = tick(app, local(DAY, 9, 3))
    assert senders["email"].received == [] and result.skipped == 1


# --- Appointments and time zones ---------------------------------------------------------------


def add_appointment(patient, starts_at: datetime, **values) -> Appointment:
    appointment = Appointment(
        user_id=patient.id, starts_at=starts_at, kind="spine", with_whom="Dr Lee", **values
    )
    _db.session.add(appointment)
    _db.session.commit()
    return appointment


def test_appointments_get_a_reminder_the_day_before_and_hours_before(app):
    patient = make_patient()
    reminders_of(patient, "checkin")[0].enabled = False
    schedule_from(patient, local(DAY, 9))
    appointment = add_appointment(patient, local(DAY + timedelta(days=1), 10, 30))
    _db.session.execute(
        update(Appointment).where(Appointment.id == appointment.id).values(updated_at=local(DAY, 9))
    )
    _db.session.commit()
    result, senders = tick(app, local(DAY, 12))
    assert result.appointments_synced == 1 and senders["email"].received == []

    result, senders = tick(app, local(DAY, 18, 0, 5))  # the day before at 18:00
    (message,) = senders["email"].received
    assert message.title == "Appointment tomorrow at 10:30 am"
    assert message.path == f"/appointments/{appointment.uuid}"
    result, senders = tick(app, local(DAY + timedelta(days=1), 8, 30, 5))  # two hours before
    (message,) = senders["email"].received
    assert message.title == "Appointment today at 10:30 am"
    result, senders = tick(app, local(DAY + timedelta(days=1), 11))
    assert senders["email"].received == []


def test_an_appointment_moved_or_cancelled_with_a_core_update_is_followed(app):
    patient = make_patient()
    reminders_of(patient, "checkin")[0].enabled = False
    schedule_from(patient, local(DAY, 9))
    appointment = add_appointment(patient, local(DAY + timedelta(days=2), 10))
    tick(app, local(DAY, 9, 1))
    moved = local(DAY + timedelta(days=5), 15)
    _db.session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id)
        .values(starts_at=moved, version=2, updated_at=local(DAY, 9, 2))
    )
    _db.session.commit()
    tick(app, local(DAY, 9, 3))
    reminder = _db.session.scalar(select(Reminder).where(Reminder.appointment_id == appointment.id))
    assert reminder.next_occurrence_at == local(DAY + timedelta(days=4), 18)

    _db.session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id)
        .values(cancelled_at=local(DAY, 9, 4), version=3, updated_at=local(DAY, 9, 4))
    )
    _db.session.commit()
    tick(app, local(DAY, 9, 5))
    _db.session.expire_all()
    assert reminder.next_due_at is None
    result, senders = tick(app, local(DAY + timedelta(days=4), 18, 1))
    assert senders["email"].received == []


def test_changing_time_zone_keeps_the_checkin_at_19_local(app):
    patient = make_patient(timezone=NY)
    patient.timezone = "Asia/Tokyo"
    _db.session.commit()
    (checkin,) = reminders_of(patient, "checkin")
    tokyo = checkin.next_occurrence_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(
        ZoneInfo("Asia/Tokyo")
    )
    assert tokyo.time() == time(19, 0)


@pytest.mark.parametrize(
    ("zone", "night"),
    [("America/New_York", date(2031, 3, 9)), ("Europe/Berlin", date(2031, 3, 30))],
)
def test_a_0230_reminder_on_the_spring_forward_night_is_sent_once_by_frequent_ticks(
    app, zone, night
):
    patient = make_patient(timezone=zone)
    add_medicine(patient, times=[time(2, 30)])
    reminders_of(patient, "checkin")[0].enabled = False
    schedule_from(patient, local(night, 0, 0, zone=zone))
    sink = SinkSender()
    moment = local(night, 1, 0, zone=zone)
    end = moment + timedelta(hours=4)
    while moment <= end:
        send_due(_db.session, moment, {"email": sink}, secret_key="k", base_url="http://u.test")
        moment += timedelta(seconds=90)
    assert len(sink.received) == 1
    (row,) = deliveries()
    assert row.occurrence_at == local(night, 3, 30, zone=zone)  # 02:30 does not exist: 03:30


@pytest.mark.parametrize(
    ("zone", "night"),
    [("America/New_York", date(2031, 11, 2)), ("Europe/London", date(2031, 10, 26))],
)
def test_a_0130_reminder_in_the_repeated_autumn_hour_is_sent_once(app, zone, night):
    patient = make_patient(timezone=zone)
    add_medicine(patient, times=[time(1, 30)])
    reminders_of(patient, "checkin")[0].enabled = False
    schedule_from(patient, local(night, 0, 0, zone=zone))
    sink = SinkSender()
    moment = local(night, 0, 0, zone=zone)
    for _ in range(int(4 * 3600 / 90)):  # through both 01:30s
        send_due(_db.session, moment, {"email": sink}, secret_key="k", base_url="http://u.test")
        moment += timedelta(seconds=90)
    assert len(sink.received) == 1


def test_an_occurrence_already_recorded_by_another_scheduler_is_not_sent_again(app):
    """The unique key is the last word: even if a reminder were due again for an occurrence
    another process already holds, only the rows this tick inserted are sent."""
    first, second = make_patient(), make_patient()
    schedule_from(first, local(DAY, 12))
    schedule_from(second, local(DAY, 12))
    (held,) = reminders_of(first, "checkin")
    _db.session.add(
        ReminderDelivery(
            reminder_id=held.id,
            occurrence_at=local(DAY, 19),
            channel="email",
            status="sent",
            due_at=local(DAY, 19),
            sent_at=local(DAY, 19),
            created_at=local(DAY, 19),
        )
    )
    _db.session.commit()
    result, senders = tick(app, local(DAY, 19, 0, 30))
    assert [m.email for m in senders["email"].received] == [second.email]
    assert len(deliveries()) == 2
    _db.session.expire_all()
    assert held.next_occurrence_at == local(DAY + timedelta(days=1), 19)


# --- Each delivery stands alone ----------------------------------------------------------------


def test_a_reminder_whose_own_data_breaks_fails_alone_with_its_reason(app):
    broken, fine = make_patient(), make_patient()
    for patient in (broken, fine):
        schedule_from(patient, local(DAY, 12))
    _db.session.execute(update(User).where(User.id == broken.id).values(timezone="Mars/Olympus"))
    _db.session.commit()
    result, senders = tick(app, local(DAY, 19, 0, 5))
    assert [m.email for m in senders["email"].received] == [fine.email]
    assert result.sent == 1 and result.failed == 1 and result.errors == []
    (row,) = deliveries(status="failed")
    assert row.reminder_id == reminders_of(broken, "checkin")[0].id
    assert "could not read this reminder" in row.last_error and "Mars/Olympus" in row.last_error
    again, senders = tick(app, local(DAY, 20, 30))  # looked at again later: never sent twice
    assert senders["email"].received == [] and again.errors == []
    assert len(deliveries()) == 2


class Watching:
    """A sender that, at each message, counts how many it has sent that are not yet committed
    as sent in the database (read on its own connection, as another process would)."""

    def __init__(self, engine):
        self.engine = engine
        self.lock = threading.Lock()
        self.sent = 0
        self.unrecorded: list[int] = []

    def send(self, message):
        with self.lock, self.engine.connect() as connection:  # one count at a time, exact
            recorded = connection.scalar(
                select(_db.func.count()).where(ReminderDelivery.status == "sent")
            )
            self.sent += 1  # this one included
            self.unrecorded.append(self.sent - recorded)
        return Outcome("sent")

    def close(self):
        pass


def test_messages_are_recorded_as_they_go_so_at_most_the_workers_are_ever_unrecorded(app):
    patients = [make_patient() for _ in range(60)]
    for patient in patients:
        schedule_from(patient, local(DAY, 12))
    watching = Watching(_db.engine)
    result = send_due(_db.session, local(DAY, 19, 0, 5), {"email": watching}, secret_key="k",
                      base_url="http://u.test", chunk=25, workers=3)  # fmt: skip
    assert result.sent == 60 and watching.sent == 60
    assert max(watching.unrecorded) <= 3  # a crash at any moment doubles at most 3
    assert len(deliveries(status="sent")) == 60


def test_messages_not_started_before_the_lease_would_end_are_claimed_again_not_sent_late(app):
    patients = [make_patient() for _ in range(5)]
    for patient in patients:
        schedule_from(patient, local(DAY, 12))

    class Slow(SinkSender):
        def send(self, message):
            time_module.sleep(0.4)
            return super().send(message)

    slow = Slow()
    send_due(_db.session, local(DAY, 19, 0, 5), {"email": slow}, secret_key="k",
             base_url="http://u.test", workers=1, lease=timedelta(seconds=2))  # fmt: skip
    assert sorted(m.email for m in slow.received) == sorted(p.email for p in patients)
    rows = deliveries()
    assert [r.status for r in rows] == ["sent"] * 5
    # Two seconds of lease, one kept in hand: the messages not started within the first second
    # were given back and claimed again (a second attempt) instead of going out under a claim
    # another scheduler could already have taken over.
    assert min(r.attempts for r in rows) == 1 and max(r.attempts for r in rows) >= 2


# --- The delivery log --------------------------------------------------------------------------


def old_delivery(reminder: Reminder, days_ago: int, status: str = "sent", **values) -> None:
    moment = local(DAY, 19) - timedelta(days=days_ago)
    _db.session.add(
        ReminderDelivery(
            reminder_id=reminder.id,
            occurrence_at=moment,
            channel="email",
            status=status,
            due_at=moment,
            created_at=moment,
            **values,
        )  # fmt: skip
    )


def test_the_delivery_log_is_pruned_after_its_retention_in_small_batches(app, monkeypatch):
    from pwa.reminders import engine

    monkeypatch.setattr(engine, "PRUNE_BATCH", 2)
    monkeypatch.setattr(engine, "PRUNE_ROUNDS", 2)
    patient = make_patient()
    (checkin,) = reminders_of(patient, "checkin")
    turn_off(checkin)
    for days_ago in (40, 41, 42, 43, 44, 45, 46):
        old_delivery(checkin, days_ago)
    old_delivery(checkin, 29)
    # Still waiting (an hour's snooze from long ago, say): never pruned from under its sender.
    old_delivery(checkin, 50, status="snoozed", next_attempt_at=local(DAY, 20))
    _db.session.commit()
    tick(app, local(DAY, 12))
    assert len(deliveries()) == 9 - 4  # two batches of two this tick
    tick(app, local(DAY, 12, 1))
    assert sorted((local(DAY, 19) - d.occurrence_at).days for d in deliveries()) == [29, 50]


def test_the_retention_never_drops_what_an_action_link_still_needs(app):
    patient = make_patient()
    (checkin,) = reminders_of(patient, "checkin")
    turn_off(checkin)
    for days_ago in (13, 15):
        old_delivery(checkin, days_ago)
    _db.session.commit()
    send_due(_db.session, local(DAY, 19), {}, secret_key="k", base_url="http://u.test",
             retention=timedelta(days=1))  # fmt: skip
    assert [(local(DAY, 19) - d.occurrence_at).days for d in deliveries()] == [13]


# --- Several schedulers at once ----------------------------------------------------------------


@pytest.mark.database
def test_two_schedulers_syncing_appointments_at_once_make_one_reminder_each_without_errors(
    tmp_path,
):
    from pwa import create_app

    app = create_app(config_for(tmp_path))
    with app.app_context():
        _db.create_all()
        patients = [make_patient() for _ in range(10)]
        for n, patient in enumerate(patients * 3):
            _db.session.add(
                Appointment(
                    user_id=patient.id,
                    starts_at=local(DAY, 10) + timedelta(days=n + 2),
                    kind="spine",
                    updated_at=local(DAY, 9),
                )  # fmt: skip
            )
        _db.session.commit()
    start = threading.Barrier(2)
    results = []

    def run():
        with app.app_context():
            start.wait()
            results.append(send_due(_db.session, local(DAY, 9, 1), {"email": SinkSender()},
                                    secret_key="k", base_url="http://u.test"))  # fmt: skip
            _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.errors for r in results] == [[], []]
    assert sum(r.appointments_synced for r in results) == 30
    with app.app_context():
        appointment_ids = _db.session.scalars(
            select(Reminder.appointment_id).where(Reminder.kind == "appointment")
        ).all()
        assert len(appointment_ids) == 30 and len(set(appointment_ids)) == 30
        _db.engine.dispose()
