"""Everything the patient owns, as one versioned JSON document (the README documents it).

`export_data` is the single source: the CSV zip and the FHIR bundle are made from its result,
so the three downloads always agree.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..bone.checklist import ITEMS as BONE_ITEMS
from ..models import (
    AccessLogEntry,
    Appointment,
    BoneCheckItem,
    Caregiver,
    CheckIn,
    CheckInAuthor,
    HeightMeasurement,
    MedicineDose,
    Profile,
    Reminder,
    ReminderSettings,
    ShareLink,
    User,
    WarningEvent,
)
from .records import row_dict, to_json_value

FORMAT = "upright-export"
VERSION = 1

# Columns never exported: row ids of this server, secrets, and what the scheduler derives.
ROW = {"id", "user_id"}
REMINDER_DERIVED = {"appointment_id", "next_occurrence_at", "next_due_at", "source_updated_at"}


def export_data(session: Session, patient: User, now: datetime, app_version: str) -> dict:
    """The whole export of `patient` as plain JSON values."""
    uid = patient.id
    checkins = session.scalars(
        select(CheckIn).where(CheckIn.user_id == uid).order_by(CheckIn.date, CheckIn.created_at)
    ).all()
    uuid_of = {c.id: c.uuid for c in checkins}
    authors = dict(
        session.execute(
            select(CheckInAuthor.checkin_id, CheckInAuthor.name)
            .join(CheckIn, CheckIn.id == CheckInAuthor.checkin_id)
            .where(CheckIn.user_id == uid)
        ).all()
    )
    events = session.scalars(
        select(WarningEvent)
        .where(WarningEvent.user_id == uid)
        .order_by(WarningEvent.occurred_at, WarningEvent.id)
    ).all()
    appointments = session.scalars(
        select(Appointment).where(Appointment.user_id == uid).order_by(Appointment.starts_at)
    ).all()
    reminders = session.scalars(
        select(Reminder)
        .where(Reminder.user_id == uid, Reminder.kind.in_(("checkin", "medicine")))
        .order_by(Reminder.id)
    ).all()
    doses = session.scalars(
        select(MedicineDose).where(MedicineDose.user_id == uid).order_by(MedicineDose.occurrence_at)
    ).all()
    settings = session.scalar(select(ReminderSettings).where(ReminderSettings.user_id == uid))
    profile = session.scalar(select(Profile).where(Profile.user_id == uid))

    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": to_json_value(now),
        "app_version": app_version,
        "account": {
            "name": patient.name,
            "email": patient.email,
            "timezone": patient.timezone,
            "emergency_number": patient.emergency_number,
            "paper_size": patient.paper_size,
            "created_at": to_json_value(patient.created_at),
        },
        "profile": row_dict(profile, ROW) if profile else None,
        "checkins": [
            {
                **row_dict(c, ROW | {"uuid"}),
                "id": c.uuid,
                "entered_by": authors.get(c.id),
            }
            for c in checkins
        ],
        "warning_events": [
            {**row_dict(e, ROW | {"checkin_id"}), "checkin": uuid_of.get(e.checkin_id or 0)}
            for e in events
        ],
        "appointments": [{**row_dict(a, ROW | {"uuid"}), "id": a.uuid} for a in appointments],
        "reminder_settings": row_dict(settings, ROW | {"calendar_token"}) if settings else None,
        "reminders": [
            {**row_dict(r, ROW | REMINDER_DERIVED), "id": f"{r.kind}-{r.id}"} for r in reminders
        ],
        "doses": [
            {**row_dict(d, ROW | {"reminder_id"}), "reminder": f"medicine-{d.reminder_id}"}
            for d in doses
        ],
        "share_links": [
            row_dict(s, ROW | {"token_hash"})
            for s in session.scalars(
                select(ShareLink).where(ShareLink.user_id == uid).order_by(ShareLink.created_at)
            )
        ],
        "caregivers": [
            row_dict(c, {"id", "patient_id", "caregiver_id", "invite_token_hash"})
            for c in session.scalars(
                select(Caregiver).where(Caregiver.patient_id == uid).order_by(Caregiver.invited_at)
            )
        ],
        # Issue 12: the bone-health checklist's answers, in the checklist's order.
        "bone_checklist": [
            row_dict(b, ROW)
            for b in sorted(
                session.scalars(select(BoneCheckItem).where(BoneCheckItem.user_id == uid)),
                key=lambda b: list(BONE_ITEMS).index(b.item) if b.item in BONE_ITEMS else 99,
            )
        ],
        # Issue 12: measured heights, whole millimetres, with their client id.
        "heights": [
            {**row_dict(h, ROW | {"uuid"}), "id": h.uuid}
            for h in session.scalars(
                select(HeightMeasurement)
                .where(HeightMeasurement.user_id == uid)
                .order_by(HeightMeasurement.measured_on, HeightMeasurement.created_at)
            )
        ],
        "access_log": [
            row_dict(e, ROW | {"share_link_id"})
            for e in session.scalars(
                select(AccessLogEntry)
                .where(AccessLogEntry.user_id == uid)
                .order_by(AccessLogEntry.at, AccessLogEntry.id)
            )
        ],
    }


# --------------------------------------------------------------------------- CSV

# One table per record kind; headers in plain English (column name -> header).
CSV_HEADERS = {
    "id": "Record id",
    "uuid": "Record id",
    "date": "Diary day",
    "pain_avg": "Average pain (0-10)",
    "pain_worst": "Worst pain (0-10)",
    "pain_activity": "Pain when moving (0-10)",
    "locations": "Where the pain was",
    "limited_activity": "Cut down on activities",
    "bed_rest": "Mostly lying down",
    "sleep_disturbed": "Sleep disturbed by pain",
    "walking_aid": "Walking aid",
    "minutes_walked": "Minutes walked",
    "brace_hours": "Hours in the brace",
    "acetaminophen_doses": "Acetaminophen doses",
    "nsaid_doses": "Anti-inflammatory (NSAID) doses",
    "opioid_doses": "Opioid doses",
    "other_pain_med_doses": "Other pain medicine doses",
    "osteoporosis_med_taken": "Osteoporosis medicine taken",
    "calcium_taken": "Calcium taken",
    "vitamin_d_taken": "Vitamin D taken",
    "fell": "Fell",
    "fall_injured": "Hurt in the fall",
    "weekly_change": "Back compared with the start",
    "notes": "Notes",
    "entered_by": "Entered by",
    "created_at": "Entered at (UTC)",
    "updated_at": "Last changed at (UTC)",
    "checkin": "Check-in id",
    "sign": "Warning sign",
    "tier": "How serious",
    "computed": "Found by the app",
    "occurred_at": "When (UTC)",
    "action": "What was done",
    "action_at": "Done at (UTC)",
    "version": "Version",
    "starts_at": "Starts at (UTC)",
    "kind": "Kind",
    "with_whom": "With whom",
    "location": "Where",
    "phone": "Phone",
    "questions": "Questions for the visit",
    "cancelled_at": "Cancelled at (UTC)",
    "enabled": "Switched on",
    "name": "Name",
    "dose": "Dose",
    "frequency": "How often",
    "times": "Times of day",
    "weekdays": "Weekdays (0 = Monday)",
    "interval_months": "Every how many months",
    "start_date": "From",
    "end_date": "Until",
    "deleted_at": "Removed at (UTC)",
    "reminder": "Medicine id",
    "occurrence_at": "Due at (UTC)",
    "status": "Taken or skipped",
    "source": "Answered from",
    "recorded_at": "Answered at (UTC)",
    "period_start": "Report from",
    "period_end": "Report to",
    "expires_at": "Works until (UTC)",
    "revoked_at": "Stopped at (UTC)",
    "email": "E-mail address",
    "can_check_in": "May enter check-ins",
    "notify_warnings": "E-mailed about warning signs",
    "invited_at": "Invited at (UTC)",
    "accepted_at": "Accepted at (UTC)",
    "detail": "Details",
    "at": "When (UTC)",
    # Issue 12: the bone-health checklist.
    "item": "Step",
    "state": "Where it stands",
    "on_date": "Done on or booked for",
    "t_score": "Bone scan T-score",
    # Issue 12: heights.
    "measured_on": "Measured on",
    "height_mm": "Height (mm)",
    "place": "Where measured",
    "method": "How it was measured at home",
}
CSV_TABLES = (
    "checkins", "warning_events", "appointments", "reminders", "doses", "share_links",
    "caregivers", "access_log", "bone_checklist", "heights",
)  # fmt: skip


def header_for(key: str) -> str:
    return CSV_HEADERS.get(key) or key.replace("_", " ").capitalize()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _csv(rows: list[dict[str, Any]], keys: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header_for(k) for k in keys])
    for row in rows:
        writer.writerow([_cell(row.get(k)) for k in keys])
    return out.getvalue()


def _keys(rows: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    if "id" in keys:
        keys.insert(0, keys.pop(keys.index("id")))
    return keys


def csv_zip(data: dict) -> bytes:
    """A zip of CSV files (UTF-8 with a byte-order mark, so spreadsheets read accents)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        single = {"account": data["account"]}
        if data["profile"]:
            single["profile"] = data["profile"]
        if data["reminder_settings"]:
            single["reminder_settings"] = data["reminder_settings"]
        for name, record in single.items():
            archive.writestr(f"{name}.csv", "\ufeff" + _csv([record], list(record)))
        for name in CSV_TABLES:
            rows = data[name]
            archive.writestr(f"{name}.csv", "\ufeff" + _csv(rows, _keys(rows)))
        archive.writestr(
            "README.txt",
            f"Upright export of {data['account']['name']}, made {data['exported_at']}.\n"
            "One table per kind of record. Dates are YYYY-MM-DD (the diary day, in your own\n"
            "time zone); times marked UTC are YYYY-MM-DDTHH:MM:SSZ. Empty means not answered.\n",
        )
    return buffer.getvalue()
