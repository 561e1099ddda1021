"""The daily check-in page, the result screen with warning signs, history, edit and delete."""

from datetime import date, timedelta

from sqlalchemy import func, select

from pwa.models import CheckIn, WarningEvent

from .conftest import make_checkin, make_patient


def checkin_form(**overrides) -> dict:
    data = {"id": "5b0c3c8e-8a53-4a43-9d59-8a2cdb9d3f01", "date": "", "pain": "4", "worried": "no"}
    data.update(overrides)
    return data


def count(db, model, **filters) -> int:
    query = select(func.count()).select_from(model)
    for name, value in filters.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def test_checkin_page_shows_eleven_pain_buttons_named_pain(client, signed_in):
    html = client.get("/checkin").get_data(as_text=True)
    for value in range(11):
        assert f'name="pain" id="pain-{value}" value="{value}"' in html
    assert "0 = no pain" in html and "10 = worst pain imaginable" in html
    assert 'data-offline-form="entries"' in html


def test_saving_a_checkin_with_only_pain_redirects_to_result(client, signed_in, db):
    today = signed_in.today().isoformat()
    response = client.post("/checkin", data=checkin_form(date=today))
    assert response.status_code == 302
    assert "/done" in response.location
    checkin = db.session.scalar(select(CheckIn))
    assert (checkin.pain_avg, checkin.date.isoformat()) == (4, today)
    page = client.get(response.location).get_data(as_text=True)
    assert "Check-in saved" in page
    assert "If you are worried, call your doctor. Do not wait for the app." in page


def test_the_same_form_sent_twice_saves_once(client, signed_in, db):
    form = checkin_form(date=signed_in.today().isoformat())
    client.post("/checkin", data=form)
    client.post("/checkin", data=form)
    assert count(db, CheckIn) == 1


def test_all_fields_are_stored(client, signed_in, db):
    form = checkin_form(
        date=signed_in.today().isoformat(), pain_worst="7", pain_activity="6",
        locations=["middle_back", "legs"], limited_activity="yes", bed_rest="no",
        sleep_disturbed="yes", walking_aid="walker", minutes_walked="25",
        acetaminophen_doses="3", opioid_doses="1", osteoporosis_med_taken="yes", fell="yes",
        fall_injured="no", weekly_change="little_better", notes="Slept badly.",
    )  # fmt: skip
    client.post("/checkin", data=form)
    c = db.session.scalar(select(CheckIn))
    assert c.locations == ["middle_back", "legs"]
    assert (c.pain_worst, c.pain_activity, c.minutes_walked) == (7, 6, 25)
    assert (c.limited_activity, c.bed_rest, c.sleep_disturbed) == (True, False, True)
    assert (c.acetaminophen_doses, c.opioid_doses, c.nsaid_doses) == (3, 1, None)
    assert (c.walking_aid, c.fell, c.fall_injured) == ("walker", True, False)
    assert (c.weekly_change, c.notes) == ("little_better", "Slept badly.")


def test_bad_answers_get_messages_next_to_the_field_and_keep_the_rest(client, signed_in, db):
    future = (signed_in.today() + timedelta(days=2)).isoformat()
    response = client.post(
        "/checkin",
        data=checkin_form(
            date=future, pain="11", minutes_walked="2000", notes="x" * 2001,
            pain_worst="4.5", opioid_doses="two",
        ),
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert count(db, CheckIn) == 0
    assert 'id="date-error"' in html and "This date is in the future" in html
    assert 'id="pain-error"' in html and "Please choose a number from 0 to 10." in html
    assert 'id="pain_worst-error"' in html
    assert 'id="minutes_walked-error"' in html and "from 0 to 1440" in html
    assert 'id="notes-error"' in html and "under 2,000 characters" in html
    assert 'id="opioid_doses-error"' in html and "whole number" in html
    assert "x" * 2001 in html  # nothing the patient typed is thrown away
    assert 'value="2000"' in html


def test_missing_pain_is_explained(client, signed_in):
    html = client.post("/checkin", data=checkin_form(pain="")).get_data(as_text=True)
    assert 'id="pain-error"' in html


def test_ticking_an_emergency_sign_shows_call_button_and_asks_what_was_done(client, signed_in, db):
    form = checkin_form(date=signed_in.today().isoformat(), warning_signs=["chest_breath", "fever"])
    done = client.post("/checkin", data=form).location
    html = client.get(done).get_data(as_text=True)
    assert html.index("tier-emergency") < html.index("tier-urgent")  # emergency first
    assert 'href="tel:911"' in html
    assert "Do not drive yourself" in html
    assert 'href="/learn/warning-signs"' in html
    assert 'name="action"' in html
    events = db.session.scalars(select(WarningEvent)).all()
    assert {(e.sign, e.tier) for e in events} == {
        ("chest_breath", "emergency"),
        ("fever", "urgent"),
    }

    uuid = done.split("/")[-2]
    client.post(f"/checkin/{uuid}/action", data={"action": "called_emergency"})
    db.session.expire_all()
    assert {e.action for e in db.session.scalars(select(WarningEvent))} == {"called_emergency"}
    assert all(e.action_at is not None for e in db.session.scalars(select(WarningEvent)))


def test_emergency_number_follows_the_patients_setting(client, app, db):
    patient = make_patient(emergency_number="112")
    client.post("/login", data={"email": patient.email, "password": "correct horse battery"})
    form = checkin_form(date=patient.today().isoformat(), warning_signs=["legs_both"])
    html = client.get(client.post("/checkin", data=form).location).get_data(as_text=True)
    assert 'href="tel:112"' in html


def test_pain_three_points_above_the_seven_day_average_raises_the_urgent_tier(
    client, signed_in, db
):
    today = signed_in.today()
    for days_ago in range(1, 8):
        make_checkin(signed_in, date=today - timedelta(days=days_ago), pain_avg=3)
    done = client.post("/checkin", data=checkin_form(date=today.isoformat(), pain="6")).location
    html = client.get(done).get_data(as_text=True)
    assert "Call your doctor today" in html
    event = db.session.scalar(select(WarningEvent))
    assert (event.sign, event.tier, event.computed) == ("pain_jump", "urgent", True)


def test_a_small_rise_or_too_little_history_raises_nothing(client, signed_in, db):
    today = signed_in.today()
    for days_ago in (1, 2):
        make_checkin(signed_in, date=today - timedelta(days=days_ago), pain_avg=1)
    client.post("/checkin", data=checkin_form(date=today.isoformat(), pain="9"))
    assert count(db, WarningEvent) == 0  # only 2 days of history: no average yet


def test_history_lists_newest_first_with_an_svg_trend(client, signed_in):
    today = signed_in.today()
    make_checkin(signed_in, date=today - timedelta(days=3), pain_avg=7)
    make_checkin(signed_in, date=today, pain_avg=4)
    html = client.get("/history").get_data(as_text=True)
    chart = html[html.index('<svg class="trend-plot"') : html.index("</svg></div>")]
    assert "higher = worse" in chart and "<script" not in chart
    assert html.index("Pain <strong>4") < html.index("Pain <strong>7")


def test_several_checkins_on_one_day_all_stay_in_history(client, signed_in):
    first = make_checkin(signed_in, pain_avg=6)
    latest = make_checkin(signed_in, pain_avg=3)
    html = client.get("/history").get_data(as_text=True)
    assert "Pain <strong>3" in html and "Earlier that day: pain 6" in html
    assert f"/checkin/{first.uuid}/edit" in html and f"/checkin/{latest.uuid}/edit" in html


def test_edit_changes_the_checkin_and_keeps_its_id(client, signed_in, db):
    checkin = make_checkin(signed_in, pain_avg=6)
    page = client.get(f"/checkin/{checkin.uuid}/edit").get_data(as_text=True)
    assert 'value="6" checked' in page
    client.post(
        f"/checkin/{checkin.uuid}/edit",
        data=checkin_form(id=checkin.uuid, date=checkin.date.isoformat(), pain="2"),
    )
    db.session.expire_all()
    assert db.session.get(CheckIn, checkin.id).pain_avg == 2
    assert count(db, CheckIn) == 1


def test_delete_asks_first_then_deletes(client, signed_in, db):
    checkin = make_checkin(signed_in)
    confirm = client.get(f"/checkin/{checkin.uuid}/delete")
    assert "Delete this check-in?" in confirm.get_data(as_text=True)
    assert count(db, CheckIn) == 1
    client.post(f"/checkin/{checkin.uuid}/delete")
    assert count(db, CheckIn) == 0


def test_brace_hours_are_asked_only_when_a_brace_was_prescribed(client, app, auth):
    with_brace = make_patient(profile={"brace_prescribed": True})
    auth.login(with_brace.email)
    assert 'name="brace_hours"' in client.get("/checkin").get_data(as_text=True)
    auth.logout()
    without = make_patient(profile={"brace_prescribed": False})
    auth.login(without.email)
    assert 'name="brace_hours"' not in client.get("/checkin").get_data(as_text=True)


def test_checkin_pages_need_sign_in(client):
    assert client.get("/checkin").status_code == 302
    assert client.get("/history").status_code == 302


def test_default_date_is_today_in_the_patients_zone(client, app, auth):
    patient = make_patient(timezone="Pacific/Kiritimati")
    auth.login(patient.email)
    html = client.get("/checkin").get_data(as_text=True)
    assert f'value="{patient.today().isoformat()}"' in html
    assert patient.today() >= date.today() - timedelta(days=1)


def test_checkin_and_result_link_what_to_expect_for_the_treatment(client, app, auth):
    patient = make_patient(profile={"treatment": "kyphoplasty", "procedure_date": date.today()})
    auth.login(patient.email)
    form_page = client.get("/checkin").get_data(as_text=True)
    assert "What to expect" in form_page and 'href="/learn/kyphoplasty"' in form_page
    done = client.post(
        "/checkin", data=checkin_form(date=patient.today().isoformat(), warning_signs=["calf"])
    ).location
    html = client.get(done).get_data(as_text=True)
    assert 'href="/learn/recovering-at-home"' in html
    assert 'href="/learn/warning-signs"' in html


def test_nonsurgical_patients_are_pointed_to_nonsurgical_care(client, app, auth):
    patient = make_patient(profile={"treatment": "nonsurgical", "fracture_date": date.today()})
    auth.login(patient.email)
    assert 'href="/learn/nonsurgical-care"' in client.get("/checkin").get_data(as_text=True)
