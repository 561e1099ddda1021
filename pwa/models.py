"""The data model. Times are stored as naive UTC datetimes; dates are the patient's local dates."""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    """Naive UTC now, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_today(timezone: str, now: datetime | None = None) -> date:
    """The date on the wall clock of the zone `timezone` at the naive-UTC `now`."""
    return (now or utcnow()).replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()


def new_uuid() -> str:
    return str(uuidlib.uuid4())


class User(UserMixin, db.Model):
    """A patient's account. "Patient" in services and templates; "user" only for the login."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    emergency_number: Mapped[str] = mapped_column(String(16), default="911")
    paper_size: Mapped[str] = mapped_column(String(8), default="letter")  # letter | a4
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Issue 14: reminder e-mails wait for a verified address; links in e-mails carry
    # `token_version`, so a password change (which bumps it) revokes every link sent before.
    email_verified_at: Mapped[datetime | None]
    token_version: Mapped[int] = mapped_column(default=1, server_default="1")

    profile: Mapped[Profile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_now(self, now: datetime | None = None) -> datetime:
        """The patient's wall-clock time (aware) for a naive-UTC `now`."""
        now = now or utcnow()
        return now.replace(tzinfo=UTC).astimezone(self.zone)

    def today(self, now: datetime | None = None) -> date:
        return local_today(self.timezone, now)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class LoginThrottle(db.Model):
    """Failed sign-ins per e-mail address, kept in the database so every worker sees them.

    Keyed by address rather than account, so throttling also hides which addresses exist.
    """

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Issue 14: the token of the last attempt let through; see pwa.auth.limits.claim_attempt.
    attempt: Mapped[str | None] = mapped_column(String(32))


class Profile(db.Model):
    """The recovery profile (CLINICAL.md section 3). Every field is optional."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    date_of_birth: Mapped[date | None]
    fracture_levels: Mapped[str | None] = mapped_column(String(80))  # "T12, L1"
    fracture_date: Mapped[date | None]
    fracture_cause: Mapped[str | None] = mapped_column(String(20))  # see FRACTURE_CAUSES
    treatment: Mapped[str | None] = mapped_column(String(20))  # see TREATMENTS
    procedure_date: Mapped[date | None]
    procedure_levels: Mapped[str | None] = mapped_column(String(80))
    brace_prescribed: Mapped[bool | None]
    osteoporosis_diagnosed: Mapped[bool | None]
    osteoporosis_medicine: Mapped[str | None] = mapped_column(String(120))
    osteoporosis_medicine_start: Mapped[date | None]
    last_dexa_date: Mapped[date | None]
    doctor_name: Mapped[str | None] = mapped_column(String(120))
    clinic_phone: Mapped[str | None] = mapped_column(String(40))
    emergency_contact_name: Mapped[str | None] = mapped_column(String(120))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(40))
    # Issue 10: what drives triage (which signs apply, how a fall is judged).
    blood_thinner: Mapped[bool | None]
    cancer_ever: Mapped[bool | None]
    earlier_fractures: Mapped[str | None] = mapped_column(String(200))
    steroid_tablets: Mapped[bool | None]
    # Issue 12: the tallest height the patient remembers as an adult, in millimetres.
    tallest_height_mm: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile")

    @property
    def start_date(self) -> date | None:
        """When recovery is counted from: the procedure if there was one, else the fracture."""
        return self.procedure_date or self.fracture_date


FRACTURE_CAUSES = {
    "fall": "A fall",
    "lifting": "Lifting, bending or twisting",
    "cough_sneeze": "A cough or sneeze",
    "unknown": "Not known",
    "other": "Something else",
}
TREATMENTS = {
    "nonsurgical": "No procedure (rest, medicines, brace)",
    "kyphoplasty": "Balloon kyphoplasty",
    "vertebroplasty": "Vertebroplasty",
    "other": "Other",
}
SPINE_LEVELS = (
    [f"C{i}" for i in range(1, 8)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
)


class CheckIn(db.Model):
    """One daily check-in (CLINICAL.md section 2). Several may share a date; the latest counts."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("user_id", "uuid", name="uq_checkins_user_id_uuid"),
        Index("ix_checkins_user_id_date", "user_id", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid)  # client-generated
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date]  # the patient's local date
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    pain_avg: Mapped[int]
    pain_worst: Mapped[int | None]
    pain_activity: Mapped[int | None]
    locations: Mapped[list[str]] = mapped_column(JSON, default=list)  # see PAIN_LOCATIONS
    limited_activity: Mapped[bool | None]
    bed_rest: Mapped[bool | None]
    sleep_disturbed: Mapped[bool | None]
    walking_aid: Mapped[str | None] = mapped_column(String(12))  # see WALKING_AIDS
    minutes_walked: Mapped[int | None]
    brace_hours: Mapped[int | None]
    # Pain medicines: doses taken today; None means "not answered", 0 means "none".
    acetaminophen_doses: Mapped[int | None]
    nsaid_doses: Mapped[int | None]
    opioid_doses: Mapped[int | None]
    other_pain_med_doses: Mapped[int | None]
    osteoporosis_med_taken: Mapped[bool | None]
    calcium_taken: Mapped[bool | None]
    vitamin_d_taken: Mapped[bool | None]
    fell: Mapped[bool | None]
    fall_injured: Mapped[bool | None]
    # Issue 10: the screening gate, the fall follow-up and the opioid-day bowel question.
    worried: Mapped[bool | None]
    fall_cannot_stand: Mapped[bool | None]
    fall_hip_groin: Mapped[bool | None]
    fall_hit_head: Mapped[bool | None]
    bowel_movement: Mapped[bool | None]
    weekly_change: Mapped[str | None] = mapped_column(String(20))  # see WEEKLY_CHANGE
    notes: Mapped[str | None] = mapped_column(Text)

    warning_events: Mapped[list[WarningEvent]] = relationship(back_populates="checkin")


PAIN_LOCATIONS = {
    "upper_back": "Upper back",
    "middle_back": "Middle back",
    "lower_back": "Lower back (waistline)",
    "belly_chest": "Spreading to belly or chest",
    "legs": "Spreading to legs",
}
WALKING_AIDS = {
    "none": "No walking aid",
    "cane": "Cane",
    "walker": "Walker",
    "wheelchair": "Wheelchair",
    "bed": "Mostly in bed",
}
WEEKLY_CHANGE = {
    "very_much_better": "Very much better",
    "much_better": "Much better",
    "little_better": "A little better",
    "no_change": "No change",
    "little_worse": "A little worse",
    "much_worse": "Much worse",
    "very_much_worse": "Very much worse",
}


class WarningEvent(db.Model):
    """A warning sign the patient ticked (or the app computed), with what the patient did."""

    __tablename__ = "warning_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    checkin_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkins.id", ondelete="SET NULL"), index=True
    )
    sign: Mapped[str] = mapped_column(String(40))  # a key of pwa.checkin.signs.SIGNS
    tier: Mapped[str] = mapped_column(String(12))  # emergency | urgent | routine
    computed: Mapped[bool] = mapped_column(default=False)  # raised by the app, not ticked
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)  # when it was entered (UTC)
    # Issue 11: the diary day the sign belongs to (its check-in's date, the patient's local day),
    # and when its check-in was deleted (kept only when the patient had already acted on it).
    day: Mapped[date] = mapped_column(index=True, default=lambda ctx: _diary_day_of_event(ctx))
    entry_deleted_at: Mapped[datetime | None]
    action: Mapped[str | None] = mapped_column(String(20))  # see WARNING_ACTIONS
    action_at: Mapped[datetime | None]
    # Issue 10: diary days on which this computed sign came back within 72 hours of being
    # acted on, so it was not raised again ("also on 12 Nov"); ISO dates.
    also_on: Mapped[list[str]] = mapped_column(JSON, default=list)

    checkin: Mapped[CheckIn | None] = relationship(back_populates="warning_events")


def _diary_day_of_event(context: Any) -> date:
    """Issue 11: a warning event saved without its day takes its check-in's date (the insert
    runs after the check-in's); one with no check-in, the UTC date it was entered."""
    params = context.get_current_parameters()
    checkin_id = params.get("checkin_id")
    if checkin_id is not None:
        found = context.connection.execute(
            select(CheckIn.date).where(CheckIn.id == checkin_id)
        ).scalar()
        if found is not None:
            return found
    return (params.get("occurred_at") or utcnow()).date()


WARNING_ACTIONS = {
    "called_emergency": "Called the emergency number",
    "went_emergency": "Went to the emergency department or urgent care",
    "called_doctor": "Called my doctor",
    "saw_doctor": "Saw a doctor",
    "will_mention": "Will mention it at my next visit",
    "nothing_yet": "Nothing yet",
}


class Appointment(db.Model):
    """A follow-up appointment. Cancelling keeps the row; `version` guards concurrent edits."""

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("user_id", "uuid", name="uq_appointments_user_id_uuid"),
        Index("ix_appointments_user_id_starts_at", "user_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[datetime]  # UTC
    kind: Mapped[str] = mapped_column(String(20))  # see APPOINTMENT_KINDS
    with_whom: Mapped[str | None] = mapped_column(String(120))
    location: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Issue 12: the questions ticked as asked, the suggestions the patient removed (their keys,
    # so they are not suggested again), and what the doctor said, noted after the visit.
    questions_asked: Mapped[list[str]] = mapped_column(JSON, default=list)
    suggestions_dismissed: Mapped[list[str]] = mapped_column(JSON, default=list)
    visit_notes: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


APPOINTMENT_KINDS = {
    "spine": "Spine specialist",
    "primary_care": "Primary care",
    "bone_density": "Bone density scan",
    "imaging": "Imaging (x-ray, MRI, CT)",
    "physical_therapy": "Physical therapy",
    "other": "Other",
}


# Reminders -----------------------------------------------------------------------------------
# One row per thing that reminds (the daily check-in, each medicine, each appointment), with the
# next occurrence precomputed in UTC: the scheduler asks the index on `next_due_at` what is due
# instead of walking every schedule. Each delivery is a row under a unique key (reminder,
# occurrence, channel) inserted and committed before sending, so nothing is sent twice.

from datetime import time  # noqa: E402

REMINDER_KINDS = {
    "checkin": "Daily check-in",
    "appointment": "Appointment",
    "medicine": "Medicine",
    "bone": "Bone health checklist",  # issue 12: nudges at 2, 6, 12 and 16 weeks
    # Issue 12 (medicines): reminders that belong to a medicine (Reminder.parent_id).
    "book_ahead": "Book the next dose",
    "course_end": "Plan the next medicine",
}
MEDICINE_FREQUENCIES = {
    "daily": "Every day",
    "weekly": "On chosen days of the week",
    "monthly": "Once a month",
    "every_n_months": "Every few months",
    "yearly": "Once a year",
}
DELIVERY_CHANNELS = ("push", "email")
# sending: claimed by a scheduler until next_attempt_at (its lease; then the next tick takes it
# over); retry/snoozed: to be sent again at next_attempt_at; sent; missed: too late to be
# useful; skipped: no longer needed (already checked in or taken); failed: gave up, or the
# message could not be built (the reason in last_error).
DELIVERY_STATUSES = ("sending", "retry", "snoozed", "sent", "missed", "skipped", "failed")


class ReminderSettings(db.Model):
    """A patient's reminder choices that are not one reminder's own: appointments, channels."""

    __tablename__ = "reminder_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    appointment_day_before: Mapped[bool] = mapped_column(default=True)
    appointment_day_before_time: Mapped[time] = mapped_column(default=time(18, 0))
    appointment_hours_before_on: Mapped[bool] = mapped_column(default=True)
    appointment_hours_before: Mapped[int] = mapped_column(default=2)
    email_enabled: Mapped[bool] = mapped_column(default=True)
    quiet_enabled: Mapped[bool] = mapped_column(default=False)
    quiet_start: Mapped[time] = mapped_column(default=time(22, 0))
    quiet_end: Mapped[time] = mapped_column(default=time(7, 0))
    # The private calendar subscription link; a new token revokes the old link.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()


class Reminder(db.Model):
    """Something that reminds: the daily check-in, a medicine, or one appointment.

    Times of day are the patient's wall-clock times ("HH:MM"); `next_occurrence_at` is the next
    scheduled moment in UTC and `next_due_at` when it goes out (later only in quiet hours).
    Both are None when nothing more is to come (switched off, ended, appointment past).
    """

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("user_id", "uuid", name="uq_reminders_user_id_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Issue 11: a medicine's client UUID and edit version for /api/v1/medicines.
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid)
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(12))  # see REMINDER_KINDS
    enabled: Mapped[bool] = mapped_column(default=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str | None] = mapped_column(String(120))  # medicine name
    dose: Mapped[str | None] = mapped_column(String(120))  # in the patient's words
    frequency: Mapped[str] = mapped_column(String(16), default="daily")  # MEDICINE_FREQUENCIES
    times: Mapped[list[str]] = mapped_column(JSON, default=list)  # ["08:00", "20:00"]
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # 0 = Monday
    interval_months: Mapped[int | None]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    next_occurrence_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None]  # indexed with id: see the end of this module
    source_updated_at: Mapped[datetime | None]  # the appointment version last scheduled
    # Issue 12: a long-interval bone medicine's drug (a key of pwa.bone.drugs.DRUGS), how many
    # weeks ahead "book your next dose" comes, and for a reminder that belongs to another one
    # (booking ahead, a course's end), that medicine.
    drug: Mapped[str | None] = mapped_column(String(30))
    book_ahead_weeks: Mapped[int | None]
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), index=True
    )
    deleted_at: Mapped[datetime | None]  # medicines are removed softly: their doses stay
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    appointment: Mapped[Appointment | None] = relationship()


class ReminderDelivery(db.Model):
    """One occurrence of a reminder on one channel; the unique key makes sending idempotent."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "reminder_id",
            "occurrence_at",
            "channel",
            name="uq_reminder_deliveries_reminder_id_occurrence_at_channel",
        ),
        Index("ix_reminder_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    occurrence_at: Mapped[datetime]  # UTC, the scheduled moment
    channel: Mapped[str] = mapped_column(String(8))  # see DELIVERY_CHANNELS
    status: Mapped[str] = mapped_column(String(10))  # see DELIVERY_STATUSES
    due_at: Mapped[datetime]  # when it was meant to go out (after quiet hours)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reminder: Mapped[Reminder] = relationship()


class MedicineDose(db.Model):
    """A scheduled dose the patient marked "Taken" (or skipped): adherence for the report."""

    __tablename__ = "medicine_doses"
    __table_args__ = (
        UniqueConstraint(
            "reminder_id", "occurrence_at", name="uq_medicine_doses_reminder_id_occurrence_at"
        ),
        UniqueConstraint("user_id", "uuid", name="uq_medicine_doses_user_id_uuid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    occurrence_at: Mapped[datetime]  # UTC, the scheduled moment
    status: Mapped[str] = mapped_column(String(8))  # taken | skipped
    source: Mapped[str] = mapped_column(String(8))  # app | push | email
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Issue 11: the client UUID of POST /api/v1/doses, and when it was taken (UTC).
    uuid: Mapped[str | None] = mapped_column(String(36))
    taken_at: Mapped[datetime | None]

    reminder: Mapped[Reminder] = relationship()


class PushSubscription(db.Model):
    """A browser's Web Push subscription; deleted when the push service answers 404 or 410."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_success_at: Mapped[datetime | None]


class ReminderCursor(db.Model):
    """How far the scheduler has read a change feed (appointments by `updated_at`)."""

    __tablename__ = "reminder_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[datetime]


# Appointments changed since the cursor are found through this index, whichever code (form,
# API, Core UPDATE) changed them.
Index("ix_appointments_updated_at", Appointment.updated_at)


# Issue 13/18 (reminder engine): the claim reads due reminders in (next_due_at, id) order, so a
# whole cohort due at one instant is read from the index without a sort; the delivery log is
# pruned oldest first.
Index("ix_reminders_next_due_at_id", Reminder.next_due_at, Reminder.id)
Index("ix_reminder_deliveries_created_at", ReminderDelivery.created_at)
# Accounts (issue 14) -------------------------------------------------------------------------


class DeviceSession(db.Model):
    """One signed-in browser: the server's side of the session cookie and the remember cookie.

    Only SHA-256 digests of the random ids are stored, so a copy of this table signs no one in.
    Deleting the row signs that browser out at once.
    """

    __tablename__ = "device_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    session_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    remember_expires_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class ClientLimit(db.Model):
    """Hits per client key ("login-ip:203.0.113.5", "register-email:a@b.c") in a fixed window,
    counted in one statement so the limit holds across threads and workers."""

    __tablename__ = "client_limits"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[datetime]
    hits: Mapped[int] = mapped_column(default=0)


# Issue 13: reliability ------------------------------------------------------------------------


class HealthProbe(db.Model):
    """One row that /healthz rewrites: the proof that the database still takes a write."""

    __tablename__ = "health_probes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    checked_at: Mapped[datetime]


# Issue 16: the patient's data is theirs (access log, share links, caregivers) ---------------


ACCESS_KINDS = {
    "export": "Downloaded a copy of the data",
    "import": "Imported data from a file",
    "share_created": "Made a link for the doctor",
    "share_revoked": "Stopped a link for the doctor",
    "share_opened": "A link for the doctor was opened",
    "caregiver_invited": "Invited a caregiver",
    "caregiver_joined": "A caregiver accepted the invitation",
    "caregiver_removed": "Removed a caregiver",
    "caregiver_view": "A caregiver looked at the diary",
    "caregiver_checkin": "A caregiver entered a check-in",
    "record_deleted": "Deleted a record",
    "sign_in": "Signed in",
    "password_changed": "Changed the password",
}


class AccessLogEntry(db.Model):
    """Who saw or took the patient's data, and when: append-only (see pwa.data.access)."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # see ACCESS_KINDS
    detail: Mapped[str | None] = mapped_column(String(300))
    share_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("share_links.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareLink(db.Model):
    """A read-only link to one period's report for the doctor. Only the token's hash is kept."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class Caregiver(db.Model):
    """A person the patient lets follow the diary. `caregiver_id` is set once they accept."""

    __tablename__ = "caregivers"
    __table_args__ = (
        UniqueConstraint("patient_id", "caregiver_id", name="uq_caregivers_patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    caregiver_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    can_check_in: Mapped[bool] = mapped_column(default=False)
    notify_warnings: Mapped[bool] = mapped_column(default=False)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]

    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    caregiver: Mapped[User | None] = relationship(foreign_keys=[caregiver_id])


class CheckInAuthor(db.Model):
    """A check-in a caregiver entered for the patient: shown as "entered by <name>"."""

    __tablename__ = "checkin_authors"

    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("checkins.id", ondelete="CASCADE"), primary_key=True
    )
    caregiver_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))


# Issue 12: bone-health follow-through ---------------------------------------------------------
# The checklist of CLINICAL.md section 6 is one row per patient and item, made when the patient
# first answers it (an item with no row is "not yet"); item codes, wording and the long-interval
# drug table live in pwa/bone/. Heights are whole millimetres so the 2 cm and 6 cm rules are
# exact.

BONE_STATES = {
    "done": "Done",
    "booked": "Booked",
    "not_yet": "Not yet",
    "not_for_me": "Not for me",
}
HEIGHT_PLACES = {"clinic": "Measured at a clinic", "home": "Measured at home"}


class BoneCheckItem(db.Model):
    """One item of the bone-health checklist and where the patient is with it."""

    __tablename__ = "bone_check_items"
    __table_args__ = (UniqueConstraint("user_id", "item", name="uq_bone_check_items_user_id_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(20))  # a key of pwa.bone.checklist.ITEMS
    state: Mapped[str] = mapped_column(String(12), default="not_yet")  # see BONE_STATES
    on_date: Mapped[date | None]  # the day it was done, or the day it is booked for
    t_score: Mapped[float | None] = mapped_column(
        Float
    )  # the bone scan's lowest T-score, when the patient has it
    detail: Mapped[str | None] = mapped_column(String(200))  # which medicine, where, or why not
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HeightMeasurement(db.Model):
    """A measured height: at a clinic (a stadiometer) or at home with the stated method."""

    __tablename__ = "height_measurements"
    __table_args__ = (
        UniqueConstraint("user_id", "uuid", name="uq_height_measurements_user_id_uuid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    measured_on: Mapped[date]
    height_mm: Mapped[int]
    place: Mapped[str] = mapped_column(String(8))  # see HEIGHT_PLACES
    method: Mapped[str | None] = mapped_column(String(200))  # how it was measured at home
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Issue 12 (medicines): a long-interval dose found late. Its unique key is what raises
# `medicine_late` once per dose, whichever scheduler (or home screen) finds the dose first.
class LateDose(db.Model):
    """One scheduled dose of a long-interval medicine not taken by its date plus its margin."""

    __tablename__ = "late_doses"
    __table_args__ = (
        UniqueConstraint(
            "reminder_id", "occurrence_at", name="uq_late_doses_reminder_id_occurrence_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    occurrence_at: Mapped[datetime]  # UTC, the dose's scheduled moment
    warning_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("warning_events.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
