"""Page 1 leads with what changed and fits on one page; the PDF says what report.json says.

A scripted diary: pain from 8 down to a best week at 2, then a relapse to 5-6 after a fall with
a new pain location; warning signs entered late for earlier days; a weekly bone medicine taken
every week and a 6-monthly injection not recorded; questions for two coming visits.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from pwa.checkin.services import save_checkin
from pwa.models import Appointment, MedicineDose, Reminder, WarningEvent, utcnow
from pwa.reminders.schedules import occurrences_between
from pwa.reminders.scheduling import schedule_of
from pwa.report.services import build_report
from pwa.timezones import local_to_utc

from .conftest import make_patient
from .test_report import make_diary

SUMMARY_END = "End of summary."


def pains(days: int) -> list[int]:
    """Down from 8 to 2, a best week at 2, then 5-6 for the last 7 days."""
    fall = max(days - 14, 1)
    course = [max(2, 8 - (i * 6) // fall) for i in range(days - 7)]
    return course + [5, 6, 6, 5, 6, 5, 6]


def script_diary(db, patient, start: date, days: int, now: datetime) -> None:
    for i, pain in enumerate(pains(days)):
        day = start + timedelta(days=i)
        relapse = i >= days - 7
        values = {
            "date": day,
            "pain_avg": pain,
            "pain_activity": min(10, pain + 1),
            "sleep_disturbed": relapse,
            "locations": ["lower_back", "legs"] if relapse else ["lower_back"],
            "fell": i == days - 7,
            "fall_injured": False if i == days - 7 else None,
            "minutes_walked": 20,
            "limited_activity": relapse,
        }
        signs = ["fever"] if i == days - 5 else []
        save_checkin(db.session, patient, values, signs, now=now)  # entered "now", back-dated
        db.session.commit()
    for checkin_sign in patient_events(db, patient):
        checkin_sign.action = "called_doctor"
    db.session.commit()


def patient_events(db, patient):
    return db.session.scalars(select(WarningEvent).where(WarningEvent.user_id == patient.id))


def add_medicines(db, patient, start: date, end: date) -> None:
    weekly = Reminder(
        user_id=patient.id, kind="medicine", name="Alendronate", dose="70 mg",
        frequency="weekly", weekdays=[0], times=["08:00"], start_date=start - timedelta(days=400),
    )  # fmt: skip
    shot = Reminder(
        user_id=patient.id, kind="medicine", name="Denosumab", frequency="every_n_months",
        interval_months=6, times=["10:00"], start_date=end - timedelta(days=225),
    )  # fmt: skip
    db.session.add_all([weekly, shot])
    db.session.flush()
    since = local_to_utc(start, time(0), patient.timezone) - timedelta(seconds=1)
    until = local_to_utc(end, time(0), patient.timezone)
    for moment in occurrences_between(schedule_of(weekly), patient.zone, since, until, 500):
        db.session.add(
            MedicineDose(
                user_id=patient.id, reminder_id=weekly.id, occurrence_at=moment,
                status="taken", source="app", taken_at=moment + timedelta(minutes=30),
            )
        )  # fmt: skip
    db.session.commit()


def add_visits(db, patient, now: datetime) -> None:
    for days_ahead, count in ((5, 7), (30, 2)):
        db.session.add(
            Appointment(
                user_id=patient.id,
                starts_at=now + timedelta(days=days_ahead),
                kind="spine",
                with_whom="Dr Reyes",
                questions=[
                    f"Question {days_ahead}-{n}: is this pain normal?" for n in range(count)
                ],
            )
        )
    db.session.commit()


@pytest.fixture
def diary_patient(db):
    def make(days: int, paper: str):
        now = utcnow()
        patient = make_patient(
            paper_size=paper,
            profile={
                "fracture_date": date(2026, 1, 5),
                "procedure_date": None,
                "fracture_levels": "L1",
                "doctor_name": "Dr Reyes",
            },
        )
        end = patient.today(now)
        start = end - timedelta(days=days - 1)
        script_diary(db, patient, start, days, now)
        add_medicines(db, patient, start, end)
        add_visits(db, patient, now)
        return patient, start, end

    return make


def sign_in(client, patient) -> None:
    client.post("/login", data={"email": patient.email, "password": "correct horse battery"})


def page_text(reader: PdfReader, index: int) -> str:
    return re.sub(r"\s+", " ", reader.pages[index].extract_text())


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_page_one_holds_the_summary_and_no_page_is_blank(client, diary_patient, days, paper):
    patient, start, end = diary_patient(days, paper)
    sign_in(client, patient)

    response = client.get(f"/report.pdf?from={start}&to={end}")
    reader = PdfReader(io.BytesIO(response.data))

    first = page_text(reader, 0)
    assert SUMMARY_END in first, f"page 1 overflows at {days} days on {paper}"
    assert "Alerts in this period" in first and "Best 7 days" in first
    assert first.index("Alerts in this period") < first.index("Best 7 days")
    assert "Details" in page_text(reader, 1)
    header_only = len(re.sub(r"\s+", " ", reader.pages[-1].extract_text())) // 4
    for index in range(len(reader.pages)):
        assert len(page_text(reader, index)) > max(header_only, 200), f"page {index + 1} blank"


def test_the_pdf_prints_the_numbers_report_json_gives(client, diary_patient):
    patient, start, end = diary_patient(90, "letter")
    sign_in(client, patient)
    query = f"from={start}&to={end}"

    response = client.get(f"/report.json?{query}")
    data = response.json
    first = page_text(PdfReader(io.BytesIO(client.get(f"/report.pdf?{query}").data)), 0)

    assert response.headers["Cache-Control"] == "no-store"
    pain = data["pain"]
    assert f"At the start {pain['baseline']:.1f}" in first
    assert f"Best 7 days {pain['best_7']['mean']:.1f}" in first
    assert f"Last 7 days {pain['last_7']:.1f}" in first
    assert f"Change {pain['change_points']:+.1f} points" in first
    assert pain["worse_than_best_week"] is True
    assert pain["verdict"].startswith("Better than at the start, worse than in the week of")
    assert pain["verdict"][:60] in first
    assert f"Days at 7 or more {pain['days_at_7_or_more']} of {data['days_logged']}" in first
    weekly, shot = sorted(data["medicines"], key=lambda m: m["name"])
    assert weekly["taken_percent"] == 100 and weekly["missed"] == 0
    assert (shot["due"], shot["missed"]) == (1, 1)
    assert re.search(rf"{weekly['due']} {weekly['taken_on_time']} 0 0 100%", first)
    codes = [alert["code"] for alert in data["alerts"]]
    assert codes[0] == "fever" and {"fall", "new_location", "medicine_late"} <= set(codes)
    assert len(codes) <= 5 or "more in the events" in first
    for alert in data["alerts"][:5]:
        assert alert["label"][:30] in first
    fever = data["alerts"][0]
    assert fever["date"] == (end - timedelta(days=4)).isoformat()  # its diary day, not today
    assert fever["action"] == "Called my doctor"
    bone = data["bone_health"]
    assert (bone["dexa_date"], bone["weeks_since_fracture"]) == (
        None,
        (end - date(2026, 1, 5)).days // 7,
    )
    assert [(c["item"], c["state"]) for c in bone["checklist"]] == [
        (code, "not_yet")
        for code in ("dexa", "bloods", "medicine", "falls_review", "exercise", "fls")
    ]
    assert [m["name"] for m in bone["medicines"]] == ["Alendronate", "Denosumab"]  # known drugs
    assert "no_bone_scan" in codes  # no scan, and the fracture was more than 12 weeks before
    assert [len(v["questions"]) for v in data["questions"]] == [5, 2]
    assert data["questions"][0]["more"] == 2 and "2 more in the app" in first


def test_report_json_is_the_owners_only_and_checks_its_period(client, signed_in, app):
    assert client.get("/report.json?from=2026-11-05&to=2026-11-01").status_code == 400
    client.post("/logout")
    assert client.get("/report.json").status_code in (302, 401)


@pytest.mark.parametrize(
    ("last_week", "verdict"),
    [
        ([6] * 7, "Better than at the start, worse than in the week of 10 Nov"),
        ([9] * 7, "Worse than at the start, worse than in the week of 10 Nov"),
        ([3] * 7, "Meaningful improvement"),  # 1 point above the best week: no relapse wording
    ],
)
def test_a_relapse_after_the_best_week_changes_the_verdict(db, last_week, verdict):
    patient = make_patient()
    start = date(2026, 11, 1)
    make_diary(db, patient, start, [8] * 9 + [2] * 7 + last_week)

    end = start + timedelta(days=22)
    key = build_report(patient, start, end, now=datetime(2026, 11, 24, 17), session=db.session).key

    assert key.trend_text.startswith(verdict)
    assert (key.best.start, key.best.end) == (date(2026, 11, 10), date(2026, 11, 16))
    assert key.worse_than_best == (last_week[0] >= 4)
