"""The report's bone-health box (issue 12 point 5): report.json's `bone_health`, page 1's box in
the PDF, the "no bone density scan" alert at its threshold and the `medicine_late` alert.

A scripted patient: fracture 9 weeks before the report's end, two clinic heights 2.5 cm apart,
Prolia (denosumab) every 6 months with its dose in the period taken 5 weeks late, 2 falls,
vitamin D taken on 20 of 28 days, and a checklist with every state.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from pwa.models import (
    BoneCheckItem,
    CheckIn,
    HeightMeasurement,
    MedicineDose,
    Reminder,
    WarningEvent,
    utcnow,
)
from pwa.report import formatting
from pwa.report.bone import SCAN_ALERT_WEEKS
from pwa.report.data import report_data
from pwa.report.services import build_report
from pwa.timezones import local_to_utc

from .conftest import PASSWORD, make_patient
from .test_report_page_one import SUMMARY_END, page_text
from .test_report_page_one import diary_patient as diary_patient  # the fixture, re-exported

DAYS = 28


def sign_in(client, patient) -> None:
    client.post("/login", data={"email": patient.email, "password": PASSWORD})


def checklist(db, patient, **items) -> None:
    """checklist(db, p, dexa=("booked", date(...)), ...): one row per item given."""
    for code, (state, on_date, *more) in items.items():
        row = BoneCheckItem(user_id=patient.id, item=code, state=state, on_date=on_date)
        if more:
            row.t_score = more[0]
        db.session.add(row)
    db.session.commit()


def height(db, patient, day: date, mm: int, place: str = "clinic") -> None:
    db.session.add(
        HeightMeasurement(user_id=patient.id, measured_on=day, height_mm=mm, place=place)
    )
    db.session.commit()


@pytest.fixture
def scripted(db):
    """The scripted patient and the report's period: 28 days ending 40 days ago, so the late
    denosumab dose (due on the period's third day, taken 5 weeks later) is already taken."""
    now = utcnow()
    patient = make_patient(
        name="Ruth Example",
        paper_size="a4",
        profile={"fracture_levels": "T12", "osteoporosis_medicine": "Prolia"},
    )
    end = patient.today(now) - timedelta(days=40)
    start = end - timedelta(days=DAYS - 1)
    profile = patient.profile
    profile.fracture_date = end - timedelta(days=9 * 7 + 2)  # 9 whole weeks before the end
    profile.last_dexa_date = date(2023, 2, 3)  # before the fracture
    profile.tallest_height_mm = 1690
    for i in range(DAYS):
        db.session.add(
            CheckIn(
                user_id=patient.id,
                date=start + timedelta(days=i),
                pain_avg=4,
                vitamin_d_taken=i < 20,  # 20 of 28
                calcium_taken=(i % 2 == 0) if i < 24 else None,  # 12 of 24 answered
                fell=i in (5, 17),
                fall_injured=False if i in (5, 17) else None,
            )
        )
    shot = Reminder(
        user_id=patient.id, kind="medicine", name="Prolia", dose="60 mg", drug="denosumab",
        frequency="every_n_months", interval_months=6, times=["10:00"],
        start_date=start + timedelta(days=2),  # the first shot: due in the period
    )  # fmt: skip
    db.session.add(shot)
    db.session.flush()
    due = local_to_utc(start + timedelta(days=2), time(10), patient.timezone)
    db.session.add(
        MedicineDose(
            user_id=patient.id, reminder_id=shot.id, occurrence_at=due, status="taken",
            source="app", taken_at=due + timedelta(weeks=5),
        )
    )  # fmt: skip
    height(db, patient, profile.fracture_date + timedelta(days=3), 1650)
    height(db, patient, end - timedelta(days=2), 1625)
    height(db, patient, end + timedelta(days=10), 1600)  # after the period: not in this report
    checklist(
        db,
        patient,
        dexa=("booked", end + timedelta(days=20)),
        bloods=("done", end - timedelta(days=30)),
        medicine=("done", None),
        falls_review=("not_for_me", None),
        exercise=("booked", end + timedelta(days=5)),
    )  # fls: no row, so "not yet"
    db.session.commit()
    return patient, start, end


def test_report_json_bone_health_for_the_scripted_patient(client, scripted):
    patient, start, end = scripted
    sign_in(client, patient)

    data = client.get(f"/report.json?from={start}&to={end}").json
    bone = data["bone_health"]

    assert bone["dexa_date"] == "2023-02-03"  # the one truth: the profile's, the item is booked
    assert bone["weeks_since_fracture"] == 9
    assert bone["scan_since_fracture"] is False
    assert bone["scan_booked_for"] == (end + timedelta(days=20)).isoformat()
    assert bone["t_score"] is None
    assert [(c["item"], c["state"]) for c in bone["checklist"]] == [
        ("dexa", "booked"),
        ("bloods", "done"),
        ("medicine", "done"),
        ("falls_review", "not_for_me"),
        ("exercise", "booked"),
        ("fls", "not_yet"),
    ]
    assert bone["checklist"][4]["on_date"] == (end + timedelta(days=5)).isoformat()
    # The medicine: one line (the profile's "Prolia" is the list's), its adherence the table's.
    (shot,) = bone["medicines"]
    assert (shot["name"], shot["drug"], shot["on_medicine_list"]) == ("Prolia", "denosumab", True)
    table = next(m for m in data["medicines"] if m["name"] == "Prolia")
    assert shot["adherence"] == table
    assert (table["due"], table["taken_on_time"], table["late"], table["missed"]) == (1, 0, 1, 0)
    assert table["last_dose"] == (start + timedelta(days=2 + 35)).isoformat()
    assert bone["vitamin_d"] == {"taken_days": 20, "answered_days": 28, "days_logged": 28}
    assert bone["calcium"] == {"taken_days": 12, "answered_days": 24, "days_logged": 28}
    assert bone["blood_tests"] == {
        "state": "done",
        "on_date": (end - timedelta(days=30)).isoformat(),
    }
    assert bone["falls"] == {
        "count": 2,
        "days": [(start + timedelta(days=5)).isoformat(), (start + timedelta(days=17)).isoformat()],
    }
    assert bone["height"] == {
        "first": {
            "date": (end - timedelta(days=9 * 7 + 2 - 3)).isoformat(),
            "cm": 165.0,
            "place": "clinic",
        },
        "latest": {"date": (end - timedelta(days=2)).isoformat(), "cm": 162.5, "place": "clinic"},
        "measurements": 2,
        "change_cm": -2.5,
        "tallest_cm": 169.0,
        "below_tallest_cm": 6.5,
    }
    assert bone["referrals"] == {
        "falls_review": {"state": "not_for_me", "on_date": None},
        "exercise": {"state": "booked", "on_date": (end + timedelta(days=5)).isoformat()},
        "fls": {"state": "not_yet", "on_date": None},
    }
    assert "IOF Capture the Fracture" in bone["sources"]
    codes = [alert["code"] for alert in data["alerts"]]
    assert "no_bone_scan" not in codes  # 9 weeks: under the 12-week threshold
    assert "medicine_late" in codes  # the schedule's late dose


def test_the_pdf_prints_the_bone_health_box(client, scripted):
    patient, start, end = scripted
    sign_in(client, patient)

    response = client.get(f"/report.pdf?from={start}&to={end}")
    first = page_text(PdfReader(io.BytesIO(response.data)), 0)

    assert SUMMARY_END in first
    box = first[first.index("Bone health as reported") : first.index("The patient's questions")]
    assert "IOF Capture the Fracture; ASBMR fracture prevention coalition" in box
    booked, bloods = end + timedelta(days=20), end - timedelta(days=30)
    assert (
        "DEXA scan: none recorded in the 9 weeks since the fracture (last 3 Feb 2023, before the "
        f"fracture); booked for {booked.day} {booked:%b %Y}."
    ) in box
    assert "Bone medicine: Prolia (denosumab): 0 of 1 due on time, 1 late." in box
    assert (
        "Vitamin D, calcium: vitamin D taken 20 of 28 days logged; calcium taken 12 of 28 days "
        f"logged (24 answered); blood tests Done {bloods.day} {bloods:%b}."
    ) in box
    fall1, fall2 = start + timedelta(days=5), start + timedelta(days=17)
    assert f"Falls in this period: 2 ({fall1.day} {fall1:%b}, {fall2.day} {fall2:%b})." in box
    latest, first_day = end - timedelta(days=2), end - timedelta(days=9 * 7 + 2 - 3)
    assert (
        f"Height: 162.5 cm (clinic, {latest.day} {latest:%b %Y}); 2.5 cm less than the first, "
        f"165.0 cm (clinic, {first_day.day} {first_day:%b %Y}); 6.5 cm below the tallest "
        "remembered adult height (169.0 cm)."
    ) in box
    exercise = end + timedelta(days=5)
    assert (
        f"Checklist: scan Booked {booked.day} {booked:%b} · blood tests Done {bloods.day} "
        f"{bloods:%b} · medicine Done · falls review Not for me · exercise/physio Booked "
        f"{exercise.day} {exercise:%b} · fracture liaison Not yet."
    ) in box
    for word in ("fine", "normal", "good", "poor", "should", "well"):  # facts, not judgements
        assert word not in box.lower(), word


def test_the_doctors_shared_link_shows_the_box(app, client, scripted, db):
    patient, start, end = scripted
    sign_in(client, patient)
    form = {"preset": "custom", "start": start.isoformat(), "end": end.isoformat(), "days": "7"}
    response = client.post("/share", data=form)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    url = re.search(r'class="share-url"><a href="([^"]+)"', page).group(1)

    body = app.test_client().get(url.replace("http://localhost", "")).get_data(as_text=True)

    assert "Bone health" in body and "IOF Capture the Fracture" in body
    assert "Prolia (denosumab): 0 of 1 due on time, 1 late" in body
    assert "162.5 cm (clinic" in body and "fracture liaison Not yet" in body


def test_a_profile_medicine_not_on_the_list_and_a_scan_with_its_t_score(db):
    patient = make_patient(
        profile={
            "fracture_date": date(2026, 3, 1),
            "osteoporosis_medicine": "Reclast infusion",
            "osteoporosis_medicine_start": date(2026, 4, 2),
        }
    )
    checklist(db, patient, dexa=("done", date(2026, 3, 12), -2.8))
    end = date(2026, 6, 30)

    data = report_data(
        build_report(patient, date(2026, 6, 1), end, now=utcnow(), session=db.session)
    )
    bone = data["bone_health"]

    assert (bone["dexa_date"], bone["t_score"], bone["scan_since_fracture"]) == (
        "2026-03-12",
        -2.8,
        True,
    )
    assert bone["medicines"] == [
        {
            "name": "Reclast infusion",
            "drug": "zoledronic_acid",
            "generic": "zoledronic acid",
            "on_medicine_list": False,
            "since": "2026-04-02",
            "adherence": None,
        }
    ]
    assert bone["height"]["latest"] is None and bone["height"]["change_cm"] is None
    assert bone["falls"] == {"count": 0, "days": []}
    assert "no_bone_scan" not in [a["code"] for a in data["alerts"]]  # 17 weeks, but scanned


@pytest.mark.parametrize(
    ("days_after_fracture", "scan", "alert"),
    [
        (SCAN_ALERT_WEEKS * 7 - 1, None, False),  # 11 weeks and 6 days
        (SCAN_ALERT_WEEKS * 7, None, True),  # 12 whole weeks
        (SCAN_ALERT_WEEKS * 7, "before", True),  # an old scan is not one since the fracture
        (SCAN_ALERT_WEEKS * 7 + 30, "after", False),
        (SCAN_ALERT_WEEKS * 7 + 30, "not_for_me", True),  # still a fact for the doctor
    ],
)
def test_the_no_scan_alert_comes_at_12_weeks(db, days_after_fracture, scan, alert):
    end = date(2026, 11, 20)
    fracture = end - timedelta(days=days_after_fracture)
    patient = make_patient(profile={"fracture_date": fracture})
    if scan == "before":
        patient.profile.last_dexa_date = fracture - timedelta(days=400)
    elif scan == "after":
        patient.profile.last_dexa_date = fracture + timedelta(days=20)
    elif scan == "not_for_me":
        checklist(db, patient, dexa=("not_for_me", None))
    db.session.add(CheckIn(user_id=patient.id, date=end - timedelta(days=3), pain_avg=5, fell=True))
    db.session.commit()

    report = build_report(patient, end - timedelta(days=29), end, now=utcnow(), session=db.session)
    found = [a for a in report_data(report)["alerts"] if a["code"] == "no_bone_scan"]

    if not alert:
        assert found == []
        return
    weeks = days_after_fracture // 7
    assert found == [
        {
            "date": end.isoformat(),
            "tier": "routine",
            "code": "no_bone_scan",
            "label": f"No bone density scan recorded in the {weeks} weeks since the fracture"
            + (" (the patient marked it 'not for me')" if scan == "not_for_me" else ""),
            "action": None,
        }
    ]
    codes = [a["code"] for a in report_data(report)["alerts"]]
    assert codes.index("fall") < codes.index("no_bone_scan")  # with the falls, after them


def test_a_medicine_late_sign_is_an_urgent_alert_on_its_day(client, scripted, db):
    patient, start, end = scripted
    day = end - timedelta(days=3)
    urgent_fever = WarningEvent(
        user_id=patient.id, sign="fever", tier="urgent", day=start, action="called_doctor",
        occurred_at=datetime.combine(start, time(15)),
    )  # fmt: skip
    late = WarningEvent(
        user_id=patient.id, checkin_id=None, sign="medicine_late", tier="urgent", computed=True,
        day=day, occurred_at=datetime.combine(day, time(14)),
    )  # fmt: skip
    db.session.add_all([urgent_fever, late])
    db.session.commit()
    sign_in(client, patient)

    data = client.get(f"/report.json?from={start}&to={end}").json
    first = page_text(
        PdfReader(io.BytesIO(client.get(f"/report.pdf?from={start}&to={end}").data)), 0
    )

    lates = [a for a in data["alerts"] if a["code"] == "medicine_late"]
    assert len(lates) == 1  # the sign and the schedule's late dose are one line
    (alert,) = lates
    assert (alert["date"], alert["tier"]) == (day.isoformat(), "urgent")
    due = start + timedelta(days=2)
    assert alert["label"] == (
        f"A bone medicine dose is overdue (Prolia: the dose due {due.day} {due:%b %Y} is late)"
    )
    codes = [a["code"] for a in data["alerts"]]
    assert codes[:2] == ["medicine_late", "fever"]  # urgent signs first, latest first
    assert codes.index("medicine_late") < codes.index("fall")
    assert f"{day.day} {day:%b} · Urgent: A bone medicine dose is overdue" in first


def test_the_sign_alone_without_a_late_dose_on_the_schedule_still_shows(db):
    patient = make_patient(profile={"fracture_date": date(2026, 9, 1)})
    day = date(2026, 11, 10)
    db.session.add(
        WarningEvent(
            user_id=patient.id, sign="medicine_late", tier="urgent", computed=True, day=day,
            occurred_at=datetime(2026, 11, 10, 20),
        )
    )  # fmt: skip
    db.session.commit()

    report = build_report(
        patient, date(2026, 11, 1), date(2026, 11, 20), now=utcnow(), session=db.session
    )

    assert report_data(report)["alerts"][0] == {
        "date": "2026-11-10",
        "tier": "urgent",
        "code": "medicine_late",
        "label": "A bone medicine dose is overdue",
        "action": None,
    }


# --------------------------------------------------------------------------- page 1 still fits


def fill_the_box_to_its_longest(db, patient, start: date, end: date) -> None:
    """Every line of the box at its longest: a scan before the fracture and one booked, three
    bone medicines (two on the list, one from the profile only), falls on every day, vitamin D
    and calcium answered on some days, all heights, and every checklist item dated."""
    profile = patient.profile
    profile.last_dexa_date = profile.fracture_date - timedelta(days=900)
    profile.osteoporosis_medicine = "Zoledronic acid (Reclast) yearly infusion at the hospital"
    profile.osteoporosis_medicine_start = end - timedelta(days=100)
    profile.tallest_height_mm = 1705
    for n, checkin in enumerate(
        db.session.scalars(
            select(CheckIn).where(
                CheckIn.user_id == patient.id, CheckIn.date >= start, CheckIn.date <= end
            )
        )
    ):
        checkin.vitamin_d_taken = None if n % 3 == 0 else n % 2 == 0
        checkin.calcium_taken = None if n % 4 == 0 else n % 2 == 1
        checkin.fell = True
    height(db, patient, profile.fracture_date + timedelta(days=3), 1652, "home")
    height(db, patient, end, 1618, "clinic")
    booked = end + timedelta(days=11)
    checklist(
        db,
        patient,
        **{code: ("booked", booked) for code in ("dexa", "bloods", "medicine")},
        **{code: ("done", start) for code in ("falls_review", "exercise", "fls")},
    )
    db.session.commit()


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_page_one_stays_one_page_with_the_box_at_its_longest(
    client, db, diary_patient, days, paper
):
    patient, start, end = diary_patient(days, paper)
    fill_the_box_to_its_longest(db, patient, start, end)
    sign_in(client, patient)

    reader = PdfReader(io.BytesIO(client.get(f"/report.pdf?from={start}&to={end}").data))
    first = page_text(reader, 0)

    assert SUMMARY_END in first, f"page 1 overflows at {days} days on {paper}"
    box = first[first.index("Bone health as reported") : first.index("The patient's questions")]
    assert "before the fracture); booked for" in box
    assert "Bone medicine: Alendronate: " in box and "; Denosumab: " in box  # on the list
    assert "in the profile since" in box  # the third, from the profile
    assert "(first " in box and "answered)" in box
    assert "below the tallest remembered adult height" in box
    assert "fracture liaison Done" in box
    assert "Details" in page_text(reader, 1)


def test_the_box_words_a_medicine_with_no_dose_due_and_a_height_without_a_second():
    medicine = {"name": "Prolia", "generic": "denosumab", "since": None}
    counts = {"due": 0, "taken_on_time": 0, "late": 0, "missed": 0}
    assert formatting.bone_medicine({**medicine, "adherence": counts}) == (
        "Prolia (denosumab): no dose due in this period"
    )
    counts = {"due": 3, "taken_on_time": 1, "late": 1, "missed": 1}
    assert formatting.bone_medicine({**medicine, "adherence": counts}) == (
        "Prolia (denosumab): 1 of 3 due on time, 1 late, 1 missed"
    )
    one = {"date": "2026-11-02", "cm": 160.0, "place": "home"}
    bone = {
        "height": {
            "first": one,
            "latest": one,
            "measurements": 1,
            "change_cm": None,
            "tallest_cm": 160.0,
            "below_tallest_cm": 0.0,
        }
    }
    assert formatting.height(bone) == (
        "160.0 cm (home, 2 Nov 2026); the same as the tallest remembered adult height (160.0 cm)"
    )
    bone["height"] = {**bone["height"], "latest": None, "below_tallest_cm": None}
    assert formatting.height(bone) == "none recorded; tallest remembered adult height 160.0 cm"
