"""The report as plain JSON-ready data: GET /report.json, and page 1 of the preview and PDF.

Page 1's alerts, pain figures, medicines and bone health are printed from this dictionary, so
the numbers the doctor reads are the numbers /report.json gives, rounded the same way (half
away from zero, one decimal; percentages whole).
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any

from .adherence import Adherence
from .bone import REFERRALS, SCAN_ALERT_WEEKS, SOURCES, BoneMedicine, Height
from .services import AppointmentLine, Report, _round
from .summary import Alert

MAX_QUESTIONS = 5


def report_data(report: Report) -> dict[str, Any]:
    key = report.key
    return {
        "period": {"from": _day(report.period.start), "to": _day(report.period.end)},
        "alerts": [_alert(alert) for alert in report.alerts],
        "pain": _pain(report),
        "medicines": [_medicine(line) for line in report.adherence],
        "bone_health": _bone_health(report),
        "days_logged": report.completeness.logged,
        "days_in_period": report.completeness.days,
        "high_pain_days": key.high_pain_days,
        "questions": [_questions(line) for line in report.upcoming],
    }


def _pain(report: Report) -> dict[str, Any]:
    key, course = report.key, report.course
    best = key.best
    return {
        "baseline": _one(key.baseline.value if key.baseline else None),
        "best_7": (
            {"from": _day(best.start), "to": _day(best.end), "mean": _one(best.mean)}
            if best
            else None
        ),
        "last_7": _one(key.recent),
        "change_points": _one(key.change_points),
        "change_percent": _whole(key.change_percent),
        "meaningful_improvement": key.meaningful,
        "worse_than_best_week": key.worse_than_best,
        "verdict": key.trend_text,
        "direction_14_days": course.direction if course else None,
        "direction_points": _one(course.direction_points) if course else None,
        "moving_last_7": _one(course.moving_recent) if course else None,
        "moving_first_7": _one(course.moving_first) if course else None,
        "worst_last_7": key.worst_recent,
        "days_at_7_or_more": key.high_pain_days,
        "sleep_disturbed": {
            "nights": course.sleep_disturbed if course else 0,
            "answered": course.sleep_answered if course else 0,
        },
    }


def _alert(alert: Alert) -> dict[str, Any]:
    return {
        "date": _day(alert.day),
        "tier": alert.tier,
        "code": alert.code,
        "label": alert.label,
        "action": alert.action,
    }


def _medicine(line: Adherence) -> dict[str, Any]:
    return {
        "name": line.name,
        "dose": line.dose,
        "frequency": line.frequency,
        "schedule": line.schedule,
        "due": line.due,
        "taken_on_time": line.taken_on_time,
        "late": line.late,
        "missed": line.missed,
        "taken_percent": line.taken_percent,
        "last_dose": _day(line.last_dose),
        "next_due": _moment(line.next_due),
    }


def _bone_health(report: Report) -> dict[str, Any]:
    """DESIGN.md's `dexa_date`, `weeks_since_fracture` and `checklist`, and the rest of the box.

    Heights are in centimetres with one decimal (stored as whole millimetres, so exact);
    `change_cm` is the latest minus the first recorded (negative: shorter), `below_tallest_cm`
    the tallest remembered adult height minus the latest.
    """
    bone = report.bone
    assert bone is not None  # build_report always makes the box
    states = {answer.item.code: answer for answer in bone.checklist}
    return {
        "dexa_date": _day(bone.dexa_date),
        "weeks_since_fracture": bone.weeks_since_fracture,
        "checklist": [
            {
                "item": answer.item.code,
                "state": answer.state,
                "label": answer.item.label,
                "on_date": _day(answer.on_date),
            }
            for answer in bone.checklist
        ],
        "scan_since_fracture": bone.scan_since_fracture,
        "scan_booked_for": _day(bone.scan_booked_for),
        "t_score": bone.t_score,
        "no_scan_alert_weeks": SCAN_ALERT_WEEKS,
        "medicines": [_bone_medicine(medicine) for medicine in bone.medicines],
        "vitamin_d": {
            "taken_days": bone.vitamin_d.yes,
            "answered_days": bone.vitamin_d.answered,
            "days_logged": bone.days_logged,
        },
        "calcium": {
            "taken_days": bone.calcium.yes,
            "answered_days": bone.calcium.answered,
            "days_logged": bone.days_logged,
        },
        "blood_tests": {"state": states["bloods"].state, "on_date": _day(states["bloods"].on_date)},
        "falls": {"count": len(bone.fall_days), "days": [_day(d) for d in bone.fall_days]},
        "height": {
            "first": _height(bone.first_height),
            "latest": _height(bone.latest_height),
            "measurements": bone.heights_recorded,
            "change_cm": _cm(bone.height_change_mm),
            "tallest_cm": _cm(bone.tallest_mm),
            "below_tallest_cm": _cm(bone.below_tallest_mm),
        },
        "referrals": {
            code: {"state": states[code].state, "on_date": _day(states[code].on_date)}
            for code in REFERRALS
        },
        "sources": SOURCES,
    }


def _bone_medicine(medicine: BoneMedicine) -> dict[str, Any]:
    """A bone medicine with its line of the medicines table (None: known from the profile only)."""
    return {
        "name": medicine.name,
        "drug": medicine.drug.code if medicine.drug else None,
        "generic": medicine.drug.generic if medicine.drug else None,
        "on_medicine_list": medicine.adherence is not None,
        "since": _day(medicine.since),
        "adherence": _medicine(medicine.adherence) if medicine.adherence else None,
    }


def _height(height: Height | None) -> dict[str, Any] | None:
    if height is None:
        return None
    return {"date": _day(height.day), "cm": _cm(height.mm), "place": height.place}


def _cm(mm: int | None) -> float | None:
    return None if mm is None else float(Fraction(mm, 10))


def _questions(line: AppointmentLine) -> dict[str, Any]:
    return {
        "starts_at": _moment(line.starts_at),
        "kind": line.kind,
        "with_whom": line.with_whom,
        "questions": list(line.questions[:MAX_QUESTIONS]),
        "more": max(0, len(line.questions) - MAX_QUESTIONS),
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: datetime | None) -> str | None:
    return f"{value:%Y-%m-%dT%H:%M}" if value else None


def _one(value: Fraction | float | None) -> float | None:
    return None if value is None else float(_round(Fraction(value), 1))


def _whole(value: Fraction | None) -> int | None:
    return None if value is None else int(_round(value, 0))
