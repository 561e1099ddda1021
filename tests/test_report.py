"""The doctor's report: the numbers (build_report) and the pages (/report, /report.pdf)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from fractions import Fraction

import pytest

from pwa.models import Appointment, CheckIn, WarningEvent
from pwa.report.charts import activity_chart, pain_chart, walking_chart
from pwa.report.services import build_report, one_decimal, signed_percent, signed_points
from pwa.timezones import local_to_utc

from .conftest import make_checkin, make_patient

NOW = datetime(2026, 11, 20, 17, 0)  # naive UTC: noon in New York on 20 Nov 2026


def make_diary(db, patient, start: date, pains: list[int | None], **fields) -> list[CheckIn]:
    """One check-in per day from `start`, pain from `pains` (None = a day not logged)."""
    rows = []
    for i, pain in enumerate(pains):
        if pain is None:
            continue
        day = start + timedelta(days=i)
        row = CheckIn(
            user_id=patient.id,
            date=day,
            pain_avg=pain,
            created_at=datetime.combine(day, time(22)),
            **fields,
        )
        rows.append(row)
    db.session.add_all(rows)
    db.session.commit()
    return rows


def known_diary() -> list[int]:
    """28 days: 3 days at 8, 18 days at 6, the last 7 days at 4."""
    return [8] * 3 + [6] * 18 + [4] * 7


def report_for(db, patient, start: date, end: date, now: datetime = NOW):
    return build_report(patient, start, end, now=now, session=db.session)


# --------------------------------------------------------------------------- the numbers


def test_known_diary_gives_baseline_8_last_week_4_and_a_meaningful_improvement(db):
    patient = make_patient()
    start = date(2026, 10, 24)
    make_diary(db, patient, start, known_diary())

    key = report_for(db, patient, start, start + timedelta(days=27)).key

    assert key.baseline.value == 8
    assert key.baseline.days == (start, start + timedelta(days=1), start + timedelta(days=2))
    assert not key.baseline.before_procedure
    assert key.recent == 4
    assert key.change_points == -4
    assert key.change_percent == -50
    assert key.meaningful
    assert one_decimal(key.baseline.value) == "8.0"
    assert signed_points(key.change_points) == "-4.0"
    assert signed_percent(key.change_percent) == "-50%"
    assert key.trend_text.startswith("Meaningful improvement")


@pytest.mark.parametrize(
    ("start_pains", "recent_pains", "meaningful"),
    [
        ([9, 9, 9], [7] * 7, False),  # 2 points, but only 22%
        ([5, 5, 5], [4, 3, 4, 3, 4, 3, 4], False),  # 1.4 points, 29%
        ([3, 3, 3], [1] * 7, True),  # 2 points and 67%
        ([8, 8, 8], [5] * 7, True),  # 3 points and 38%
        ([10, 10, 10], [7] * 7, True),  # 3 points and exactly 30%
        ([4, 4, 4], [6] * 7, False),  # worse
    ],
)
def test_meaningful_improvement_needs_both_2_points_and_30_percent(
    db, start_pains, recent_pains, meaningful
):
    patient = make_patient()
    start = date(2026, 10, 1)
    make_diary(db, patient, start, start_pains + [None] * 10 + recent_pains)
    end = start + timedelta(days=len(start_pains) + 10 + len(recent_pains) - 1)

    key = report_for(db, patient, start, end).key

    assert key.meaningful is meaningful
    assert key.trend_text.startswith("Meaningful") is meaningful


def test_exactly_2_points_and_exactly_30_percent_counts_without_rounding_errors(db):
    """Baseline 20/3, recent 14/3: a fall of exactly 2 points and exactly 30%."""
    patient = make_patient()
    start = date(2026, 10, 1)
    make_diary(db, patient, start, [7, 7, 6] + [None] * 11 + [5, 5, 4])

    key = report_for(db, patient, start, start + timedelta(days=16)).key

    assert key.baseline.value == Fraction(20, 3)
    assert key.recent == Fraction(14, 3)
    assert key.meaningful
    assert one_decimal(key.baseline.value) == "6.7"
    assert signed_percent(key.change_percent) == "-30%"


def test_baseline_uses_the_days_before_the_procedure_when_there_are_any(db):
    patient = make_patient(
        profile={"treatment": "kyphoplasty", "procedure_date": date(2026, 10, 5)}
    )
    start = date(2026, 10, 1)
    make_diary(db, patient, start, [9, 9, 8, 8] + [5] * 20)

    key = report_for(db, patient, date(2026, 10, 10), date(2026, 10, 24)).key

    assert key.baseline.before_procedure
    assert key.baseline.value == Fraction(34, 4)
    assert key.baseline.days[-1] == date(2026, 10, 4)
    assert "before the procedure" in key.baseline.description


def test_baseline_is_the_diary_start_even_when_the_period_starts_later(db):
    patient = make_patient()
    make_diary(db, patient, date(2026, 9, 1), [9, 9, 9] + [3] * 60)

    key = report_for(db, patient, date(2026, 10, 20), date(2026, 10, 30)).key

    assert key.baseline.value == 9
    assert key.baseline.days[0] == date(2026, 9, 1)
    assert key.meaningful


def test_the_latest_check_in_of_a_day_counts(db):
    patient = make_patient()
    day = date(2026, 11, 2)
    later = make_checkin(patient, date=day, pain_avg=2, created_at=datetime(2026, 11, 2, 23))
    make_checkin(patient, date=day, pain_avg=9, created_at=datetime(2026, 11, 2, 8))

    report = report_for(db, patient, day, day)

    (row,) = report.rows
    assert row.entry.pain == later.pain_avg
    assert row.entry.entries == 2
    assert report.completeness.text == "1 of 1 day logged"


def test_a_period_without_check_ins_says_so(db):
    patient = make_patient()
    make_diary(db, patient, date(2026, 9, 1), [6] * 5)

    report = report_for(db, patient, date(2026, 11, 1), date(2026, 11, 14))

    assert report.empty
    assert report.completeness.text == "0 of 14 days logged"
    assert report.key.change_points is None
    assert report.key.trend_text == "No check-ins in this period."
    assert all(row.entry is None for row in report.rows)


def test_a_single_check_in_is_shown_but_not_compared_with_itself(db):
    patient = make_patient()
    make_checkin(patient, date=date(2026, 11, 10), pain_avg=6)

    report = report_for(db, patient, date(2026, 11, 1), date(2026, 11, 14))

    assert report.key.baseline.value == 6
    assert report.key.recent == 6
    assert report.key.change_points is None
    assert "Not enough days" in report.key.trend_text
    assert report.completeness.logged == 1
    assert pain_chart(report.chart, report.markers).count("<path") == 1  # the one dot


def test_no_diary_at_all_means_no_baseline(db):
    patient = make_patient(profile=None)

    report = report_for(db, patient, date(2026, 11, 1), date(2026, 11, 7))

    assert report.key.baseline is None
    assert report.header.fracture_date is None
    assert report.header.treatment is None


def test_weekly_blocks_count_back_from_the_end_so_the_last_block_is_the_last_7_days(db):
    patient = make_patient()
    start = date(2026, 11, 1)
    make_diary(
        db, patient, start, [7] * 10, limited_activity=True, bed_rest=False, minutes_walked=20
    )

    report = report_for(db, patient, start, start + timedelta(days=9))

    assert [(w.start, w.end) for w in report.weeks] == [
        (date(2026, 11, 1), date(2026, 11, 3)),
        (date(2026, 11, 4), date(2026, 11, 10)),
    ]
    assert report.weeks[-1].limited == 7
    assert report.weeks[-1].bed_rest == 0
    assert report.key.limited_last.text == "7 of 7 answered"
    assert report.key.high_pain_days == 10


def test_medicines_count_opioid_days_doses_and_osteoporosis_adherence(db):
    patient = make_patient()
    start = date(2026, 11, 1)
    for i in range(8):
        make_checkin(
            patient,
            date=start + timedelta(days=i),
            pain_avg=5,
            opioid_doses=2 if i < 3 else 0,
            nsaid_doses=1 if i % 2 else 0,
            acetaminophen_doses=3,
            osteoporosis_med_taken=i != 0,
        )

    med = report_for(db, patient, start, start + timedelta(days=7)).medicines

    assert (med.opioid_days, med.opioid_doses, med.opioid_doses_per_day) == (3, 6, 2)
    assert med.opioid_days_recent == 2  # 2 and 3 Nov are in the last 7 days (2-8 Nov)
    assert (med.nsaid_days, med.acetaminophen_days, med.answered_days) == (4, 8, 8)
    assert med.osteoporosis_percent == 88  # 7 of 8, rounded half up


def test_events_use_the_patients_local_days_across_a_daylight_saving_change(db):
    """US clocks go forward on 8 Mar 2026; every day still counts once, events land locally."""
    patient = make_patient(timezone="America/New_York")
    start, end = date(2026, 3, 1), date(2026, 3, 14)
    make_diary(db, patient, start, [5] * 14)
    events = [
        ("2026-03-01T04:30", "fever"),  # 28 Feb, 11:30 pm EST: before the period
        ("2026-03-09T03:30", "calf"),  # 8 Mar, 11:30 pm EDT
        ("2026-03-15T03:59", "fever"),  # 14 Mar, 11:59 pm EDT: last minute of the period
        ("2026-03-15T04:00", "calf"),  # 15 Mar, midnight EDT: after the period
    ]
    for at, sign in events:
        occurred = datetime.fromisoformat(at)
        db.session.add(
            WarningEvent(
                user_id=patient.id,
                sign=sign,
                tier="urgent",
                occurred_at=occurred,
                day=patient.today(occurred),
                action="called_doctor",
            )
        )
    db.session.commit()

    report = report_for(db, patient, start, end)

    assert report.completeness.text == "14 of 14 days logged"
    assert [(e.day, e.at.strftime("%H:%M")) for e in report.events] == [
        (date(2026, 3, 8), "23:30"),
        (date(2026, 3, 14), "23:59"),
    ]
    assert report.events[0].action == "Called my doctor"
    assert [m.day for m in report.markers if m.kind == "warning"] == [
        date(2026, 3, 8),
        date(2026, 3, 14),
    ]
    assert len(report.chart) == 14


def test_next_appointment_and_its_questions_are_the_patients_own(db):
    patient = make_patient()
    other = make_patient()
    for owner, question in ((patient, "Can I drive?"), (other, "Someone else's question")):
        db.session.add(
            Appointment(
                user_id=owner.id,
                starts_at=datetime(2026, 11, 24, 15, 30),
                kind="spine",
                questions=[question, " "],
            )
        )
    db.session.add(
        Appointment(
            user_id=patient.id,
            starts_at=datetime(2026, 11, 22, 15),
            kind="spine",
            questions=["Cancelled one"],
            cancelled_at=datetime(2026, 11, 1),
        )
    )
    db.session.commit()

    report = report_for(db, patient, date(2026, 11, 1), date(2026, 11, 20))

    assert report.questions.questions == ("Can I drive?",)
    assert report.header.next_appointment.starts_at.hour == 10  # 10:30 am in New York


def test_charts_state_the_scale_and_mark_procedure_visits_falls_and_warnings(db):
    patient = make_patient(profile={"procedure_date": date(2026, 11, 3)})
    start = date(2026, 11, 1)
    make_diary(db, patient, start, [8, 8, 7, 6, 6, 5, 5, 4, 4, 4])
    make_checkin(patient, date=date(2026, 11, 6), pain_avg=5, fell=True, fall_injured=False)
    db.session.add(
        Appointment(user_id=patient.id, starts_at=datetime(2026, 11, 8, 15), kind="spine")
    )
    db.session.add(
        WarningEvent(
            user_id=patient.id,
            sign="fever",
            tier="urgent",
            occurred_at=NOW - timedelta(days=15),
            day=patient.today(NOW - timedelta(days=15)),
        )
    )
    db.session.commit()

    report = report_for(db, patient, start, start + timedelta(days=9))
    svg = pain_chart(report.chart, report.markers)

    assert "higher = worse" in svg
    assert 'stroke-dasharray="4 3"' in svg  # the visit
    assert "Procedure" in svg
    assert "<polygon" in svg  # fall triangle and warning diamond
    assert "<polyline" in svg  # the 7-day mean
    assert {m.kind for m in report.markers} == {"procedure", "visit", "fall", "warning"}
    assert "<script" not in svg
    assert activity_chart(report.weeks).startswith("<svg")
    assert "Minutes walked" in walking_chart(report.chart)


# --------------------------------------------------------------------------- the pages


def test_report_pages_need_sign_in(client):
    for path in ("/report", "/report.pdf"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_preview_defaults_to_the_last_30_days_and_is_not_cached(client, signed_in, db):
    today = signed_in.today()
    make_diary(db, signed_in, today - timedelta(days=27), known_diary())

    response = client.get("/report")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    start = today - timedelta(days=29)
    assert f"{start.day} {start:%b %Y} to {today.day} {today:%b %Y}" in page
    assert "28 of 30 days logged" in page
    assert "Meaningful improvement" in page
    assert "patient diary items (not a validated questionnaire)" in page.lower()
    assert f"/report.pdf?from={start.isoformat()}&amp;to={today.isoformat()}" in page
    assert "If you are worried, call your doctor. Do not wait for the app." in page


@pytest.mark.parametrize(("preset", "days"), [("14", 14), ("30", 30), ("90", 90)])
def test_presets_cover_the_last_days_up_to_today(client, signed_in, preset, days):
    response = client.get(f"/report?preset={preset}")

    assert response.status_code == 200
    assert f"({days} days)" in response.get_data(as_text=True)


def test_since_preset_starts_at_the_procedure(client, signed_in, db):
    signed_in.profile.procedure_date = signed_in.today() - timedelta(days=20)
    db.session.commit()

    page = client.get("/report?preset=since").get_data(as_text=True)

    assert "(21 days)" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("preset=custom&from=2026-02-30&to=2026-03-01", "Please enter the first day as a date"),
        ("preset=custom&from=2026-03-10&to=2026-03-01", "The first day is after the last day"),
        ("preset=custom&from=2026-03-01", "Please enter the last day"),
        ("from=2020-01-01&to=2023-01-01", "Please choose at most 2 years"),
        ("preset=custom&from=2026-01-01&to=2999-01-01", "cannot be after today"),
        ("preset=yesterday", "Please choose one of the periods"),
    ],
)
def test_bad_dates_get_a_clear_message_not_an_error(client, signed_in, query, message):
    for path in ("/report", "/report.pdf"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        assert response.mimetype == "text/html"
        assert response.headers["Cache-Control"] == "no-store"
        assert message in response.get_data(as_text=True)


def test_since_preset_without_dates_in_the_profile_explains_what_to_do(client, auth, db):
    patient = make_patient(profile=None)
    auth.login(patient.email)

    response = client.get("/report?preset=since")

    assert response.status_code == 400
    assert "no fracture or procedure date yet" in response.get_data(as_text=True)


def test_custom_dates_are_kept_in_the_form(client, signed_in):
    today = signed_in.today()
    start = today - timedelta(days=3)

    page = client.get(f"/report?from={start}&to={today}").get_data(as_text=True)

    assert f'value="{start.isoformat()}"' in page
    assert "(4 days)" in page


def test_each_patient_sees_only_their_own_report(client, auth, db):
    alice = make_patient(name="Alice Owner")
    bob = make_patient(name="Bob Other")
    make_checkin(alice, date=alice.today(), pain_avg=3, notes="Alice's private note")
    make_checkin(bob, date=bob.today(), pain_avg=9, notes="Bob's private note")
    auth.login(bob.email)

    page = client.get(f"/report?user_id={alice.id}&patient={alice.id}").get_data(as_text=True)

    assert "Bob Other" in page and "Bob&#39;s private note" in page
    assert "Alice" not in page
    assert client.get(f"/report/{alice.id}").status_code == 404
    assert client.get(f"/report.pdf/{alice.id}").status_code == 404


def test_pdf_download_is_an_attachment_named_by_date_and_not_cached(client, signed_in):
    today = signed_in.today()

    response = client.get(f"/report.pdf?from={today - timedelta(days=6)}&to={today}")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="upright-report-{today:%Y-%m-%d}.pdf"'
    )


def test_event_times_are_shown_in_the_patients_zone(client, signed_in, db):
    today = signed_in.today()
    make_checkin(signed_in, date=today, pain_avg=4)
    at = local_to_utc(today, time(9, 15), signed_in.timezone)
    db.session.add(
        WarningEvent(
            user_id=signed_in.id,
            sign="fever",
            tier="urgent",
            occurred_at=at,
            day=today,
            action="called_doctor",
        )
    )
    db.session.commit()

    page = client.get("/report?preset=14").get_data(as_text=True)

    assert "9:15 am" in page
    assert "Called my doctor" in page
    assert "Urgent:" in page
