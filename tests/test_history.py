"""The history page a patient can read (issue 17): weeks, words, warning-sign names, filters."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pwa.checkin.history import Comparison, build_history, week_average
from pwa.checkin.trend import rolling_mean
from pwa.models import WarningEvent
from pwa.timezones import local_to_utc

from .conftest import make_checkin, make_patient

NOW = datetime(2026, 11, 29, 17, 0)  # Sun 29 Nov 2026, noon in New York


def days_ago(n: int) -> date:
    return date(2026, 11, 29) - timedelta(days=n)


def saved_on(day: date, zone: str = "America/New_York") -> datetime:
    return local_to_utc(day, time(9), zone)


def test_the_seven_day_line_needs_three_logged_days_like_the_report():
    daily = {days_ago(0): 4, days_ago(3): 6}
    assert rolling_mean(daily, days_ago(0)) is None
    daily[days_ago(6)] = 8
    assert rolling_mean(daily, days_ago(0)) == 6
    daily[days_ago(7)] = 1  # outside the 7 days
    assert rolling_mean(daily, days_ago(0)) == 6


def test_this_week_against_last_week_in_words():
    assert Comparison(3.4, 4.6).verdict == "better"
    assert Comparison(4.6, 3.4).verdict == "worse"
    assert Comparison(3.4, 3.6).verdict == "about the same"
    assert Comparison(3.4, None).verdict is None
    daily = {days_ago(n): p for n, p in [(0, 3), (1, 4), (2, 3), (7, 5), (8, 4)]}
    assert week_average(daily, days_ago(0)) == 3.3
    assert week_average(daily, days_ago(7)) is None  # only 2 days logged that week


def test_history_page_says_the_weekly_averages_and_never_judges(client, signed_in):
    today = signed_in.today()
    for n, pain in [(0, 3), (1, 4), (2, 3), (7, 5), (8, 5), (9, 4)]:
        make_checkin(signed_in, date=today - timedelta(days=n), pain_avg=pain)
    html = client.get("/history").get_data(as_text=True)
    assert (
        "Your average this week: <strong>3.3</strong>, last week: <strong>4.7</strong>"
        " - <strong>better</strong>." in html
    )
    assert "fine" not in html.lower()
    assert html.index(">This week <") < html.index(">Last week <")


def test_each_day_shows_pain_walking_and_the_names_of_its_warning_signs(app, db):
    patient = make_patient()
    checkin = make_checkin(
        patient, date=days_ago(1), pain_avg=6, minutes_walked=20, walking_aid="walker"
    )
    db.session.add(
        WarningEvent(user_id=patient.id, checkin_id=checkin.id, sign="fever", tier="urgent")
    )
    db.session.commit()
    history = build_history([checkin], patient, NOW)
    day = history.weeks[0].days[0]
    assert day.walking == "Walked 20 min, with a walker"
    assert day.sign_names == ["Fever of 38.0 °C (100.4 °F) or more, or chills"]


def test_filters_show_only_days_with_warning_signs_or_falls_without_javascript(
    client, signed_in, db
):
    today = signed_in.today()
    plain = make_checkin(signed_in, date=today, pain_avg=2)
    fell = make_checkin(signed_in, date=today - timedelta(days=2), pain_avg=5, fell=True)
    with_sign = make_checkin(signed_in, date=today - timedelta(days=4), pain_avg=7)
    db.session.add(
        WarningEvent(user_id=signed_in.id, checkin_id=with_sign.id, sign="calf", tier="urgent")
    )
    db.session.commit()

    def listed(query: str) -> set[str]:
        html = client.get("/history" + query).get_data(as_text=True)
        return {c.uuid for c in (plain, fell, with_sign) if f"/checkin/{c.uuid}/edit" in html}

    assert listed("") == {plain.uuid, fell.uuid, with_sign.uuid}
    assert listed("?show=signs") == {with_sign.uuid}
    assert listed("?show=falls") == {fell.uuid}
    assert listed("?show=nonsense") == {plain.uuid, fell.uuid, with_sign.uuid}
    html = client.get("/history?show=falls").get_data(as_text=True)
    assert 'aria-current="page">Days with a fall</a>' in html


def test_a_back_dated_entry_shows_the_day_it_was_entered(client, signed_in):
    today = signed_in.today()
    make_checkin(signed_in, date=today - timedelta(days=3), created_at=saved_on(today))
    make_checkin(signed_in, date=today - timedelta(days=1), created_at=saved_on(today, "UTC"))
    html = client.get("/history").get_data(as_text=True)
    assert html.count("Entered on ") == 2
    assert f"Entered on {today:%a} {today.day} {today:%b %Y}" in html


def test_the_chart_marks_the_procedure_and_the_weeks(app):
    patient = make_patient(
        profile={
            "fracture_date": days_ago(40),
            "treatment": "kyphoplasty",
            "procedure_date": days_ago(10),
        }
    )
    checkins = [make_checkin(patient, date=days_ago(n), pain_avg=5) for n in range(12)]
    history = build_history(checkins, patient, NOW)
    chart = str(history.chart)
    assert "Kyphoplasty</text>" in chart and "Fracture" not in chart  # before the 4 weeks
    assert [m.label for m in history.markers] == ["Kyphoplasty"]
    for week_start in ("2 Nov", "9 Nov", "16 Nov", "23 Nov"):
        assert f">{week_start}</text>" in chart
    assert "viewBox" not in chart  # drawn at the page's text size, not scaled down


def test_weeks_come_five_to_a_page(client, signed_in):
    today = signed_in.today()
    for n in range(0, 60, 3):
        make_checkin(signed_in, date=today - timedelta(days=n))
    first = client.get("/history").get_data(as_text=True)
    assert "4 weeks ago" in first and "5 weeks ago" not in first and "Older weeks" in first
    second = client.get("/history?page=2").get_data(as_text=True)
    assert "5 weeks ago" in second and "Newer weeks" in second
