"""Calendar files parse back with icalendar, in the patient's zone, with alarms; the private
subscription link repeats medicines exactly like the engine does, and can be revoked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from pwa.extensions import db as _db
from pwa.models import Appointment, Reminder, utcnow
from pwa.reminders.calendar import medicine_events
from pwa.reminders.schedules import next_occurrence, to_local
from pwa.reminders.services import schedule_of

from .conftest import make_patient
from .test_reminders_engine import settings_of
from .test_reminders_views import MEDICINE_FORM


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def add_appointment(patient, starts_at, **values) -> Appointment:
    appointment = Appointment(user_id=patient.id, starts_at=starts_at, kind="spine",
                              with_whom="Dr Lee", location="Spine Clinic, 2nd floor",
                              questions=["Can I lift my grandchild?"], **values)  # fmt: skip
    _db.session.add(appointment)
    _db.session.commit()
    return appointment


def test_appointments_ics_has_the_patients_zone_and_an_alarm_per_reminder_setting(
    client, signed_in
):
    starts = datetime(2031, 7, 15, 14, 30)  # 10:30 in New York (EDT)
    appointment = add_appointment(signed_in, starts)
    add_appointment(signed_in, starts + timedelta(days=7), cancelled_at=utcnow())
    calendar = parse(client.get("/appointments.ics"))

    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "America/New_York"
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    event = next(e for e in events if str(e["STATUS"]) == "CONFIRMED")
    assert str(event["UID"]) == f"appointment-{appointment.uuid}@upright"
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None and start.replace(tzinfo=None) == datetime(2031, 7, 15, 10, 30)
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert start.astimezone(UTC).replace(tzinfo=None) == starts
    assert str(event["SUMMARY"]) == "Spine specialist with Dr Lee"
    assert "Can I lift my grandchild?" in str(event["DESCRIPTION"])
    alarms = event.walk("VALARM")
    triggers = sorted(str(a["TRIGGER"].to_ical().decode()) for a in alarms)
    # The day before at 18:00 New York time (22:00 UTC in July), and two hours before.
    assert triggers == ["-PT2H", "20310714T220000Z"]
    assert all(str(a["ACTION"]) == "DISPLAY" for a in alarms)
    cancelled = next(e for e in events if str(e["STATUS"]) == "CANCELLED")
    assert cancelled.walk("VALARM") == []


def test_appointment_alarms_follow_the_patients_settings(client, signed_in):
    settings = settings_of(signed_in)
    settings.appointment_day_before = False
    settings.appointment_hours_before = 5
    _db.session.commit()
    add_appointment(signed_in, datetime(2031, 7, 15, 14, 30))
    (event,) = parse(client.get("/appointments.ics")).walk("VEVENT")
    assert [a["TRIGGER"].to_ical().decode() for a in event.walk("VALARM")] == ["-PT5H"]


def test_appointments_ics_needs_sign_in(client, app):
    response = client.get("/appointments.ics")
    assert response.status_code == 302 and "/login" in response.location


def test_the_private_link_carries_medicines_as_repeating_events_and_can_be_revoked(
    client, signed_in, app
):
    client.post("/reminders/medicines/new", data={**MEDICINE_FORM, "time_2": "20:00"})
    add_appointment(signed_in, datetime(2031, 7, 15, 14, 30))
    assert "Make my private calendar link" in client.get("/reminders").get_data(as_text=True)
    client.post("/reminders/calendar/link")
    token = settings_of(signed_in).calendar_token
    page = client.get("/reminders").get_data(as_text=True)
    assert f"http://localhost/calendar/{token}.ics" in page
    assert f"webcal://localhost/calendar/{token}.ics" in page

    anonymous = app.test_client()  # a calendar app: no session, only the link
    calendar = parse(anonymous.get(f"/calendar/{token}.ics"))
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    medicine_events_ = [e for e in calendar.walk("VEVENT") if "medicine" in str(e["UID"])]
    assert len(medicine_events_) == 2  # one per time of day
    rules = {e.decoded("DTSTART").time(): e["RRULE"] for e in medicine_events_}
    assert set(rules) == {time(8, 0), time(20, 0)}
    assert rules[time(8, 0)]["FREQ"] == ["WEEKLY"] and rules[time(8, 0)]["BYDAY"] == ["MO"]
    for event in medicine_events_:
        assert str(event["SUMMARY"]) == "Take Alendronate (one 70 mg tablet)"
        (alarm,) = event.walk("VALARM")
        assert alarm.decoded("TRIGGER") == timedelta(0)  # at the dose time
    assert any("appointment" in str(e["UID"]) for e in calendar.walk("VEVENT"))

    client.post("/reminders/calendar/link")  # a new link: the old one stops working
    assert anonymous.get(f"/calendar/{token}.ics").status_code == 404
    new_token = settings_of(signed_in).calendar_token
    assert anonymous.get(f"/calendar/{new_token}.ics").status_code == 200
    client.post("/reminders/calendar/link/off")
    assert anonymous.get(f"/calendar/{new_token}.ics").status_code == 404


FREQUENCIES = st.sampled_from(["daily", "weekly", "monthly", "every_n_months", "yearly"])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    zone=st.sampled_from(
        [
            "America/New_York",
            "Europe/London",
            "Australia/Sydney",
            "America/Santiago",
            "Asia/Kolkata",
        ]
    ),
    frequency=FREQUENCIES,
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2034, 12, 31)),
    at=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
    weekdays=st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True),
    months=st.integers(2, 12),
    with_end=st.booleans(),
)
def test_the_calendar_repeats_a_medicine_exactly_like_the_engine(
    app, zone, frequency, start, at, weekdays, months, with_end
):
    """Expanding the RRULE (dateutil) gives the engine's own occurrences, DST nights included."""
    patient = make_patient(timezone=zone)
    reminder = Reminder(user_id=patient.id, kind="medicine", name="Test", frequency=frequency,
                        times=[f"{at:%H:%M}"], weekdays=sorted(weekdays), interval_months=months,
                        start_date=start,
                        end_date=start + timedelta(days=500) if with_end else None)  # fmt: skip
    _db.session.add(reminder)
    _db.session.commit()
    (event,) = Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\n"
        + medicine_events(reminder, patient, utcnow())[0].to_ical()
        + b"END:VCALENDAR\r\n"
    ).walk("VEVENT")
    tzinfo = ZoneInfo(zone)
    dtstart = event.decoded("DTSTART")
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=dtstart)
    from_calendar = [
        moment.replace(tzinfo=tzinfo).astimezone(UTC).replace(tzinfo=None)
        for moment in rule.xafter(dtstart - timedelta(seconds=1), count=12, inc=True)
    ]
    schedule = schedule_of(reminder)
    moment, from_engine = datetime.combine(start, time(0)) - timedelta(days=2), []
    for _ in range(len(from_calendar) + 1):
        moment = next_occurrence(schedule, tzinfo, moment)
        if moment is None:
            break
        from_engine.append(moment)
    assert from_calendar == from_engine[: len(from_calendar)]
    if not with_end:
        assert len(from_calendar) == 12
    assert all(to_local(m, tzinfo) for m in from_engine)


def test_the_day_before_alarm_is_written_as_a_date_time_as_rfc_5545_requires(client, signed_in):
    add_appointment(signed_in, datetime(2031, 7, 15, 14, 30))
    body = client.get("/appointments.ics").get_data(as_text=True)
    lines = body.replace("\r\n ", "").splitlines()
    assert "TRIGGER;VALUE=DATE-TIME:20310714T220000Z" in lines
    assert "TRIGGER:-PT2H" in lines  # a duration needs no VALUE
