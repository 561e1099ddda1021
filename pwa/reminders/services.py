"""Reminder decisions: defaults, settings, medicines, what the home screen shows, doses, tokens.

Plain functions with explicit arguments (session, patient, now), shared by the views, the
scheduler, the CLI and the tests. Scheduling arithmetic lives in `schedules.py`, sending in
`engine.py` and `channels.py`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from ipaddress import ip_address
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    APPOINTMENT_KINDS,
    Appointment,
    CheckIn,
    MedicineDose,
    PushSubscription,
    Reminder,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from .schedules import (
    Schedule,
    after_quiet_hours,
    appointment_alarms,
    format_clock,
    next_occurrence,
    occurrences_between,
    parse_clock,
    to_local,
    wall_to_utc,
)

DEFAULT_CHECKIN_TIME = "19:00"
SETTINGS_DEFAULTS = {
    "appointment_day_before": True,
    "appointment_day_before_time": time(18, 0),
    "appointment_hours_before_on": True,
    "appointment_hours_before": 2,
    "email_enabled": True,
    "quiet_enabled": False,
    "quiet_start": time(22, 0),
    "quiet_end": time(7, 0),
}

# How late a reminder may still go out after a scheduler outage; later it is recorded missed.
GRACE = {
    "checkin": timedelta(hours=3),
    "medicine": timedelta(hours=2),
    "appointment": timedelta(hours=6),
}
LONG_INTERVAL_GRACE = timedelta(hours=12)  # monthly and rarer medicines: a day late still helps
SNOOZE = timedelta(hours=1)
ACTION_TOKEN_MAX_AGE = 14 * 24 * 3600
HOME_LOOKBACK = timedelta(hours=36)
APPOINTMENT_SOON = timedelta(hours=36)


# --- Defaults and settings ---------------------------------------------------------------------


def create_defaults(session: Session, patient: User, now: datetime) -> ReminderSettings:
    """Settings and the daily check-in reminder for a new patient (no database reads, so it
    also works while the patient's own row is still being inserted)."""
    settings = ReminderSettings(user=patient, **SETTINGS_DEFAULTS)
    checkin = Reminder(
        user=patient, kind="checkin", enabled=True, frequency="daily", times=[DEFAULT_CHECKIN_TIME]
    )
    # A row not yet inserted may still lack its column default.
    zone = ZoneInfo(patient.timezone or User.__table__.c.timezone.default.arg)
    reschedule(checkin, zone, settings, now)
    session.add_all([settings, checkin])
    return settings


def ensure_defaults(session: Session, patient: User, now: datetime) -> ReminderSettings:
    """The patient's settings, creating the defaults if this account predates reminders."""
    settings = session.scalar(
        select(ReminderSettings).where(ReminderSettings.user_id == patient.id)
    )
    if settings is None:
        settings = create_defaults(session, patient, now)
        session.flush()
    return settings


def checkin_reminder(session: Session, patient: User) -> Reminder | None:
    return session.scalar(
        select(Reminder)
        .where(Reminder.user_id == patient.id, Reminder.kind == "checkin")
        .order_by(Reminder.id)
        .limit(1)
    )


def settings_form_data(settings: ReminderSettings, checkin: Reminder | None) -> dict:
    return {
        "checkin_enabled": bool(checkin and checkin.enabled),
        "checkin_time": parse_clock(checkin.times[0] if checkin else DEFAULT_CHECKIN_TIME),
        "appointment_day_before": settings.appointment_day_before,
        "appointment_day_before_time": settings.appointment_day_before_time,
        "appointment_hours_before_on": settings.appointment_hours_before_on,
        "appointment_hours_before": settings.appointment_hours_before,
        "email_enabled": settings.email_enabled,
        "quiet_enabled": settings.quiet_enabled,
        "quiet_start": settings.quiet_start,
        "quiet_end": settings.quiet_end,
    }


def save_settings(
    session: Session, patient: User, settings: ReminderSettings, values: dict, now: datetime
) -> None:
    """Stores the settings form and moves every reminder of the patient to its new next time."""
    for name in SETTINGS_DEFAULTS:
        if values.get(name) is not None:
            setattr(settings, name, values[name])
    checkin = checkin_reminder(session, patient)
    if checkin is None:
        checkin = Reminder(user=patient, kind="checkin", frequency="daily")
        session.add(checkin)
    checkin.enabled = bool(values["checkin_enabled"])
    if values.get("checkin_time") is not None:
        checkin.times = [format_clock(values["checkin_time"])]
    reschedule_patient(session, patient, settings, now)


def reschedule_patient(
    session: Session, patient: User, settings: ReminderSettings, now: datetime
) -> None:
    """Recomputes the next occurrence of each of the patient's reminders from `now` (after a
    settings or time-zone change), adding reminders for upcoming appointments that lack one."""
    zone = patient.zone
    with session.no_autoflush:
        for reminder in session.scalars(select(Reminder).where(Reminder.user_id == patient.id)):
            reschedule(reminder, zone, settings, now)
        upcoming = session.scalars(
            select(Appointment).where(
                Appointment.user_id == patient.id,
                Appointment.starts_at > now,
                Appointment.cancelled_at.is_(None),
            )
        )
        known = set(
            session.scalars(
                select(Reminder.appointment_id).where(
                    Reminder.user_id == patient.id, Reminder.appointment_id.is_not(None)
                )
            )
        )
        for appointment in upcoming:
            if appointment.id not in known:
                sync_appointment(session, None, appointment, patient, settings, now)


# --- Scheduling one reminder -------------------------------------------------------------------


def schedule_of(reminder: Reminder) -> Schedule | None:
    if reminder.kind == "appointment" or not reminder.times:
        return None
    times = tuple(parse_clock(text) for text in reminder.times)
    if reminder.kind == "checkin":
        return Schedule("daily", times)
    return Schedule(
        reminder.frequency,
        times,
        start=reminder.start_date,
        end=reminder.end_date,
        weekdays=frozenset(reminder.weekdays or ()),
        interval_months=reminder.interval_months or 1,
    )


def _quiet(settings: ReminderSettings | None, moment: datetime, zone: ZoneInfo) -> datetime:
    if settings is None or not settings.quiet_enabled:
        return moment
    return after_quiet_hours(moment, zone, settings.quiet_start, settings.quiet_end)


def next_after(
    reminder: Reminder, zone: ZoneInfo, settings: ReminderSettings | None, after: datetime
) -> tuple[datetime | None, datetime | None]:
    """(next occurrence, when it is sent) strictly after `after`, or (None, None)."""
    if not reminder.enabled or reminder.deleted_at is not None:
        return None, None
    if reminder.kind == "appointment":
        appointment = reminder.appointment
        if appointment is None or appointment.cancelled_at is not None:
            return None, None
        alarms = [
            alarm
            for alarm in appointment_alarms(appointment.starts_at, zone, **alarm_options(settings))
            if alarm > after
        ]
        if not alarms:
            return None, None
        occurrence = alarms[0]
        due = _quiet(settings, occurrence, zone)
        # Quiet hours never hold an appointment reminder past the appointment itself.
        return occurrence, (due if due < appointment.starts_at else occurrence)
    schedule = schedule_of(reminder)
    if schedule is None:
        return None, None
    occurrence = next_occurrence(schedule, zone, after)
    if occurrence is None:
        return None, None
    return occurrence, _quiet(settings, occurrence, zone)


def reschedule(
    reminder: Reminder, zone: ZoneInfo, settings: ReminderSettings | None, after: datetime
) -> None:
    reminder.next_occurrence_at, reminder.next_due_at = next_after(reminder, zone, settings, after)


def alarm_options(settings: ReminderSettings | None) -> dict:
    values = settings or ReminderSettings(**SETTINGS_DEFAULTS)
    return {
        "day_before": (
            values.appointment_day_before_time if values.appointment_day_before else None
        ),
        "hours_before": (
            values.appointment_hours_before if values.appointment_hours_before_on else None
        ),
    }


def grace_for(reminder: Reminder) -> timedelta:
    if reminder.kind == "medicine" and reminder.frequency in (
        "monthly",
        "every_n_months",
        "yearly",
    ):
        return LONG_INTERVAL_GRACE
    return GRACE[reminder.kind]


def sync_appointment(
    session: Session,
    reminder: Reminder | None,
    appointment: Appointment,
    patient: User,
    settings: ReminderSettings | None,
    now: datetime,
) -> Reminder:
    """Creates or updates the reminder of one appointment after it was added or changed.

    Alarms before the change are not sent (a past appointment typed in for the record must not
    produce a burst of "missed" reminders); alarms from the change on are.
    """
    if reminder is None:
        reminder = Reminder(user_id=patient.id, kind="appointment", enabled=True)
        reminder.appointment = appointment
        session.add(reminder)
    since = min(now, max(appointment.updated_at or now, now - GRACE["appointment"]))
    reschedule(reminder, patient.zone, settings, since)
    reminder.source_updated_at = appointment.updated_at
    return reminder


# --- Medicines ---------------------------------------------------------------------------------


def medicines(session: Session, patient: User) -> list[Reminder]:
    return list(
        session.scalars(
            select(Reminder)
            .where(
                Reminder.user_id == patient.id,
                Reminder.kind == "medicine",
                Reminder.deleted_at.is_(None),
            )
            .order_by(Reminder.name, Reminder.id)
        )
    )


def find_medicine(session: Session, patient: User, reminder_id: int) -> Reminder | None:
    """The patient's own medicine reminder, or None (another patient's counts as missing)."""
    return session.scalar(
        select(Reminder).where(
            Reminder.id == reminder_id,
            Reminder.user_id == patient.id,
            Reminder.kind == "medicine",
            Reminder.deleted_at.is_(None),
        )
    )


def medicine_form_data(reminder: Reminder) -> dict:
    times = [parse_clock(text) for text in reminder.times] + [None] * 4
    return {
        "name": reminder.name,
        "dose": reminder.dose,
        "frequency": reminder.frequency,
        "time_1": times[0],
        "time_2": times[1],
        "time_3": times[2],
        "time_4": times[3],
        "weekdays": [str(day) for day in reminder.weekdays or []],
        "interval_months": reminder.interval_months,
        "start_date": reminder.start_date,
        "end_date": reminder.end_date,
        "enabled": reminder.enabled,
    }


def save_medicine(
    session: Session,
    patient: User,
    reminder: Reminder | None,
    values: dict,
    settings: ReminderSettings,
    now: datetime,
) -> Reminder:
    """Adds or changes a medicine reminder from checked form values; returns it."""
    if reminder is None:
        reminder = Reminder(user_id=patient.id, kind="medicine")
        session.add(reminder)
    times = sorted({at for at in values["times"] if at is not None})
    reminder.name = values["name"].strip()
    reminder.dose = (values.get("dose") or "").strip() or None
    reminder.frequency = values["frequency"]
    reminder.times = [format_clock(at) for at in times]
    reminder.weekdays = (
        sorted(int(day) for day in values.get("weekdays") or [])
        if reminder.frequency == "weekly"
        else []
    )
    reminder.interval_months = (
        values.get("interval_months") if reminder.frequency == "every_n_months" else None
    )
    reminder.start_date = values["start_date"]
    reminder.end_date = values.get("end_date")
    reminder.enabled = values.get("enabled", True)
    reschedule(reminder, patient.zone, settings, now)
    return reminder


def remove_medicine(reminder: Reminder, now: datetime) -> None:
    """Stops the reminder; the row stays so the doses recorded for the report stay too."""
    reminder.deleted_at = now
    reminder.enabled = False
    reminder.next_occurrence_at = reminder.next_due_at = None


WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def clock_words(at: time) -> str:
    return f"{at:%-I:%M %p}".replace("AM", "am").replace("PM", "pm")


def describe_schedule(reminder: Reminder) -> str:
    """The schedule in plain words: "Every day at 8:00 am and 8:00 pm"."""
    times = " and ".join(clock_words(parse_clock(text)) for text in reminder.times)
    start = reminder.start_date
    if reminder.frequency == "daily":
        text = f"Every day at {times}"
    elif reminder.frequency == "weekly":
        days = [WEEKDAY_NAMES[day] for day in sorted(reminder.weekdays or [])]
        text = f"Every {', '.join(days)} at {times}"
    elif reminder.frequency == "monthly":
        text = f"Every month on day {start.day} at {times}"
    elif reminder.frequency == "every_n_months":
        text = f"Every {reminder.interval_months} months from {start:%-d %B %Y} at {times}"
    else:
        text = f"Every year on {start:%-d %B} at {times}"
    if reminder.end_date:
        text += f", until {reminder.end_date:%-d %B %Y}"
    return text


# --- Doses ("Taken") ---------------------------------------------------------------------------


def record_dose(
    session: Session,
    reminder: Reminder,
    occurrence_at: datetime,
    status: str,
    source: str,
    now: datetime,
) -> MedicineDose:
    """Records a scheduled dose as taken or skipped; the same dose twice keeps one row.

    Two taps at once (two phones, a double tap) both find no row; the unique key lets one
    insert win and the other updates the row it made, as a later tap would. The insert runs
    in a savepoint so losing the race undoes nothing else in the session.
    """
    dose = recorded_dose(session, reminder.id, occurrence_at)
    if dose is None:
        dose = MedicineDose(
            user_id=reminder.user_id,
            reminder_id=reminder.id,
            occurrence_at=occurrence_at,
            status=status,
            source=source,
            recorded_at=now,
        )
        try:
            with session.begin_nested():
                session.add(dose)
        except IntegrityError:
            dose = recorded_dose(session, reminder.id, occurrence_at)
            if dose is None:
                raise
    dose.status, dose.source, dose.recorded_at = status, source, now
    return dose


def recorded_dose(
    session: Session, reminder_id: int, occurrence_at: datetime
) -> MedicineDose | None:
    return session.scalar(
        select(MedicineDose).where(
            MedicineDose.reminder_id == reminder_id, MedicineDose.occurrence_at == occurrence_at
        )
    )


def snooze(delivery: ReminderDelivery, now: datetime) -> None:
    """Sends the same reminder again in an hour, under the same delivery key."""
    delivery.status = "snoozed"
    delivery.next_attempt_at = now + SNOOZE


# --- Tokens: links in notifications and e-mails that work without signing in ------------------


def action_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="upright-reminder-action")


def action_token(secret_key: str, delivery_id: int) -> str:
    return action_serializer(secret_key).dumps({"d": delivery_id})


def delivery_for_token(session: Session, secret_key: str, token: str) -> ReminderDelivery | None:
    try:
        data = action_serializer(secret_key).loads(token, max_age=ACTION_TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int):
        return None
    return session.get(ReminderDelivery, data["d"])


def off_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="upright-reminder-off")


def off_token(secret_key: str, reminder_id: int, user_id: int) -> str:
    return off_serializer(secret_key).dumps({"r": reminder_id, "u": user_id})


def reminder_for_off_token(session: Session, secret_key: str, token: str) -> Reminder | None:
    try:
        data = off_serializer(secret_key).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    reminder = session.get(Reminder, data.get("r")) if isinstance(data.get("r"), int) else None
    if reminder is None or reminder.user_id != data.get("u"):
        return None
    return reminder


def turn_off(reminder: Reminder) -> None:
    reminder.enabled = False
    reminder.next_occurrence_at = reminder.next_due_at = None


# --- What a reminder says ----------------------------------------------------------------------


def appointment_words(appointment: Appointment, zone: ZoneInfo, now: datetime) -> str:
    """'tomorrow at 10:00 am' / 'today at 3:30 pm' / 'on Tuesday 3 March at 9:00 am'."""
    local = to_local(appointment.starts_at, zone)
    today = to_local(now, zone).date()
    at = clock_words(local.time())
    if local.date() == today:
        return f"today at {at}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {at}"
    return f"on {local:%A} {local.day} {local:%B} at {at}"


def reminder_title(reminder: Reminder, zone: ZoneInfo, now: datetime) -> str:
    """The one line a notification shows. No details beyond it: a lock screen is public."""
    if reminder.kind == "checkin":
        return "Time for your daily check-in"
    if reminder.kind == "medicine":
        return f"Time to take {reminder.name}"
    appointment = reminder.appointment
    if appointment is None:
        return "Appointment coming up"
    return f"Appointment {appointment_words(appointment, zone, now)}"


def reminder_path(reminder: Reminder, action_token_value: str | None = None) -> str:
    """The page a tap opens."""
    if reminder.kind == "checkin":
        return "/checkin"
    if reminder.kind == "appointment" and reminder.appointment is not None:
        return f"/appointments/{reminder.appointment.uuid}"
    if reminder.kind == "medicine" and action_token_value:
        return f"/reminders/act/{action_token_value}"
    return "/"


# --- The home screen ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeItem:
    kind: str  # checkin | medicine | appointment
    state: str  # due | missed | soon
    title: str
    detail: str
    url: str
    at: datetime  # UTC
    reminder_id: int | None = None
    occurrence: str | None = None  # ISO, for the "Taken" form


def home_items(session: Session, patient: User, now: datetime) -> list[HomeItem]:
    """Due and missed reminders, and appointments coming up, for when the app is opened.

    Computed from the schedules themselves, so it is right even when no scheduler runs.
    """
    zone = patient.zone
    today = patient.today(now)
    items: list[HomeItem] = []
    reminders = list(
        session.scalars(
            select(Reminder).where(
                Reminder.user_id == patient.id,
                Reminder.enabled.is_(True),
                Reminder.deleted_at.is_(None),
                Reminder.kind.in_(("checkin", "medicine")),
            )
        )
    )
    for reminder in reminders:
        if reminder.kind != "checkin" or not reminder.times:
            continue
        at = wall_to_utc(today, parse_clock(reminder.times[0]), zone)
        done = session.scalar(
            select(CheckIn.id).where(CheckIn.user_id == patient.id, CheckIn.date == today).limit(1)
        )
        if at <= now and done is None:
            items.append(
                HomeItem(
                    "checkin",
                    "due",
                    "Time for your daily check-in",
                    "It takes about one minute.",
                    "/checkin",
                    at,
                )  # fmt: skip
            )
    medicine_list = [r for r in reminders if r.kind == "medicine"]
    if medicine_list:
        recorded = {
            (dose.reminder_id, dose.occurrence_at)
            for dose in session.scalars(
                select(MedicineDose).where(
                    MedicineDose.user_id == patient.id,
                    MedicineDose.occurrence_at > now - HOME_LOOKBACK,
                )
            )
        }
        for reminder in medicine_list:
            schedule = schedule_of(reminder)
            if schedule is None:
                continue
            since = max(now - HOME_LOOKBACK, reminder.created_at)
            for occurrence in occurrences_between(schedule, zone, since, now, limit=50):
                if (reminder.id, occurrence) in recorded:
                    continue
                state = "due" if now - occurrence <= grace_for(reminder) else "missed"
                detail = f"{reminder.dose}, " if reminder.dose else ""
                detail += f"{'due' if state == 'due' else 'was due'} at {clock_words(to_local(occurrence, zone).time())}"  # noqa: E501
                if to_local(occurrence, zone).date() != today:
                    detail += " yesterday"
                items.append(
                    HomeItem(
                        "medicine",
                        state,
                        reminder.name or "Medicine",
                        detail,
                        "/reminders",
                        occurrence,
                        reminder.id,
                        occurrence.isoformat(),
                    )  # fmt: skip
                )
    for appointment in session.scalars(
        select(Appointment)
        .where(
            Appointment.user_id == patient.id,
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at > now,
            Appointment.starts_at <= now + APPOINTMENT_SOON,
        )
        .order_by(Appointment.starts_at)
    ):
        detail = APPOINTMENT_KINDS.get(appointment.kind, "Appointment")
        if appointment.with_whom:
            detail += f" with {appointment.with_whom}"
        items.append(
            HomeItem(
                "appointment",
                "soon",
                f"Appointment {appointment_words(appointment, zone, now)}",
                detail,
                f"/appointments/{appointment.uuid}",
                appointment.starts_at,
            )  # fmt: skip
        )
    order = {"due": 0, "soon": 1, "missed": 2}
    return sorted(items, key=lambda item: (order[item.state], item.at))


def find_dose_reminder(session: Session, patient: User, reminder_id: int) -> Reminder | None:
    """A medicine reminder of this patient, even one removed since (its doses still count)."""
    return session.scalar(
        select(Reminder).where(
            Reminder.id == reminder_id, Reminder.user_id == patient.id, Reminder.kind == "medicine"
        )
    )


def is_scheduled_occurrence(reminder: Reminder, zone: ZoneInfo, occurrence: datetime) -> bool:
    """Whether `occurrence` is one of the reminder's own moments (guards the "Taken" form)."""
    schedule = schedule_of(reminder)
    if schedule is None:
        return False
    found = occurrences_between(schedule, zone, occurrence - timedelta(seconds=1), occurrence, 1)
    return found == [occurrence]


# --- Push subscriptions ------------------------------------------------------------------------


class InvalidSubscription(ValueError):
    pass


def _b64url(text: object, length: int, name: str) -> str:
    if not isinstance(text, str) or not text:
        raise InvalidSubscription(f"{name} is missing")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSubscription(f"{name} is not base64url") from None
    if len(raw) != length:
        raise InvalidSubscription(f"{name} has the wrong length")
    return text.rstrip("=")


def check_endpoint(endpoint: object, allow_any_host: bool = False) -> str:
    """A push service URL: https to a named host (never this machine or a private address)."""
    if not isinstance(endpoint, str) or len(endpoint) > 2048:
        raise InvalidSubscription("endpoint is missing or too long")
    parts = urlsplit(endpoint)
    if allow_any_host and parts.scheme in ("http", "https") and parts.hostname:
        return endpoint
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidSubscription("endpoint must be an https URL")
    host = parts.hostname
    try:
        ip_address(host)
    except ValueError:
        pass
    else:
        raise InvalidSubscription("endpoint must name a push service")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise InvalidSubscription("endpoint must name a push service")
    return endpoint


def save_subscription(
    session: Session, patient: User, data: object, now: datetime, allow_any_host: bool = False
) -> PushSubscription:
    """Stores a browser's subscription (PushSubscription.toJSON()) for the patient.

    The same browser signing in as another patient moves the subscription to that patient.
    """
    if not isinstance(data, dict):
        raise InvalidSubscription("send the subscription as a JSON object")
    endpoint = check_endpoint(data.get("endpoint"), allow_any_host)
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    p256dh = _b64url(keys.get("p256dh"), 65, "keys.p256dh")
    auth = _b64url(keys.get("auth"), 16, "keys.auth")
    subscription = session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint, created_at=now)
        session.add(subscription)
    subscription.user_id, subscription.p256dh, subscription.auth = patient.id, p256dh, auth
    return subscription


def delete_subscription(session: Session, patient: User, endpoint: object) -> bool:
    subscription = session.scalar(
        select(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == patient.id
        )
    )
    if subscription is None:
        return False
    session.delete(subscription)
    return True


def has_push(session: Session, patient: User) -> bool:
    return (
        session.scalar(
            select(PushSubscription.id).where(PushSubscription.user_id == patient.id).limit(1)
        )
        is not None
    )
