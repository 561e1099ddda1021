"""Issue 12 point 3: measured height, the routine sign `height_loss` (2 cm since the first
clinic measurement, more than 6 cm below the tallest remembered height, once per crossing),
and the routine sign `pain_not_improving` at 6 to 12 weeks."""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pwa.bone.height_services import (
    HeightError,
    HeightValues,
    add_height,
    delete_height,
    home_note,
    list_heights,
    parse_height,
    set_tallest_height,
    update_height,
)
from pwa.checkin.services import save_checkin
from pwa.checkin.signs import ALL_SIGNS
from pwa.models import HeightMeasurement, WarningEvent

from .conftest import make_checkin, make_patient

NOW = datetime(2026, 11, 20, 15, 0)
FIRST_DAY = date(2025, 3, 1)


# --- reading what the patient types ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "mm"),
    [
        ("162", 1620), ("162.5", 1625), ("162,5", 1625), (" 162 cm ", 1620), ("162.54", 1625),
        ("162.55", 1626), ("1.62 m", 1620), ("1,62", 1620), ("5'4\"", 1626), ("5' 4\"", 1626),
        ("5'4", 1626), ("5 ft 4 in", 1626), ("5ft 4in", 1626), ("5 feet 4 inches", 1626),
        ("5’4”", 1626), ("5 ft", 1524), ("64 in", 1626), ("5'4.5\"", 1638), ("100", 1000),
        ("230", 2300),
    ],
)  # fmt: skip
def test_heights_are_read_in_centimetres_or_feet_and_inches(typed, mm):
    assert parse_height(typed) == mm


@pytest.mark.parametrize(
    "typed", ["", "tall", "162 kg", "5'13\"", "16 2", "99.9", "99,9 cm", "230.1", "3'", "700"]
)
def test_what_is_not_a_grown_ups_height_is_refused_with_a_plain_message(typed):
    with pytest.raises(HeightError) as error:
        parse_height(typed)
    message = str(error.value)
    assert "centimetres" in message and "5'4\"" in message


def test_an_out_of_range_height_says_what_it_read():
    with pytest.raises(HeightError, match=r"99\.9 cm is not a grown-up's height"):
        parse_height("99.9")


# --- the rule --------------------------------------------------------------------------------


def measure(patient, mm, day, place="clinic", method=None, now=NOW):
    values = HeightValues(day, mm, place, method)
    return add_height(_session(), patient, values, now)


def _session():
    from pwa.extensions import db

    return db.session


def events(patient, live_only=True):
    query = select(WarningEvent).where(
        WarningEvent.user_id == patient.id, WarningEvent.sign == "height_loss"
    )
    if live_only:
        query = query.where(WarningEvent.entry_deleted_at.is_(None))
    return list(_session().scalars(query.order_by(WarningEvent.day)))


@pytest.fixture
def anna(app):
    return make_patient(email="anna@example.com")


def test_a_loss_of_1_9_cm_since_the_first_raises_nothing_and_2_0_cm_raises_the_routine_sign(
    anna,
):
    measure(anna, 1650, FIRST_DAY)
    _, raised = measure(anna, 1631, FIRST_DAY + timedelta(days=200))
    assert raised == [] and events(anna) == []
    third_day = FIRST_DAY + timedelta(days=400)
    _, raised = measure(anna, 1630, third_day)
    _session().commit()
    [event] = events(anna)
    assert raised == [event]
    assert (event.sign, event.tier, event.computed, event.checkin_id, event.day) == (
        "height_loss", "routine", True, None, third_day,
    )  # fmt: skip
    assert event.action is None and event.occurred_at == NOW


def test_6_0_cm_below_the_tallest_height_raises_nothing_and_6_1_cm_raises_the_sign(app):
    exactly = make_patient(profile={"tallest_height_mm": 1700})
    measure(exactly, 1640, FIRST_DAY)
    assert events(exactly) == []
    beyond = make_patient(profile={"tallest_height_mm": 1700})
    measure(beyond, 1639, FIRST_DAY)
    assert [e.day for e in events(beyond)] == [FIRST_DAY]


def test_the_sign_comes_once_per_crossing_and_again_after_a_further_2_cm(anna):
    days = [FIRST_DAY + timedelta(days=100 * n) for n in range(6)]
    for day, mm in zip(days, (1650, 1630, 1629, 1625, 1611, 1610), strict=True):
        measure(anna, mm, day)
    # 2.0 cm raises it; 2.1 and 2.5 cm are the same loss; 3.9 cm is not 2 cm more; 4.0 cm is.
    assert [e.day for e in events(anna)] == [days[1], days[5]]


def test_below_the_tallest_it_comes_again_over_8_cm_and_each_rule_counts_its_own_steps(app):
    patient = make_patient(profile={"tallest_height_mm": 1720})
    days = [FIRST_DAY + timedelta(days=100 * n) for n in range(4)]
    measure(patient, 1655, days[0])  # 6.5 cm below the tallest: raised
    measure(patient, 1645, days[1])  # 7.5 cm below, 1 cm since the first: nothing new
    measure(patient, 1639, days[2])  # 8.1 cm below the tallest (and 1.6 since the first)
    measure(patient, 1635, days[3])  # 2.0 cm since the first: the other rule's first step
    assert [e.day for e in events(patient)] == [days[0], days[2], days[3]]


def test_a_measurement_that_still_shows_the_same_loss_after_the_sign_was_acted_on_is_quiet(
    anna,
):
    measure(anna, 1650, FIRST_DAY)
    measure(anna, 1625, FIRST_DAY + timedelta(days=100))
    [event] = events(anna)
    event.action, event.action_at = "will_mention", NOW
    measure(anna, 1624, FIRST_DAY + timedelta(days=200), now=NOW + timedelta(days=100))
    assert events(anna) == [event]


def test_deleting_the_measurement_that_raised_the_sign_removes_the_unanswered_event(anna):
    measure(anna, 1650, FIRST_DAY)
    loss, _ = measure(anna, 1625, FIRST_DAY + timedelta(days=100))
    assert len(events(anna)) == 1
    delete_height(_session(), anna, loss, NOW)
    _session().commit()
    assert events(anna, live_only=False) == []
    assert [m.height_mm for m in list_heights(_session(), anna)] == [1650]


def test_deleting_it_keeps_an_event_the_patient_acted_on_marked_entry_deleted(anna):
    measure(anna, 1650, FIRST_DAY)
    loss, _ = measure(anna, 1625, FIRST_DAY + timedelta(days=100))
    [event] = events(anna)
    event.action, event.action_at = "called_doctor", NOW
    later = NOW + timedelta(days=2)
    delete_height(_session(), anna, loss, later)
    _session().commit()
    assert events(anna) == []
    [kept] = events(anna, live_only=False)
    assert (kept.action, kept.entry_deleted_at) == ("called_doctor", later)


def test_correcting_a_mistyped_measurement_moves_or_clears_the_sign(anna):
    measure(anna, 1650, FIRST_DAY)
    typo, _ = measure(anna, 1560, FIRST_DAY + timedelta(days=100))  # meant 1650
    assert len(events(anna)) == 1
    update_height(_session(), anna, typo, HeightValues(typo.measured_on, 1650, "clinic", None), NOW)
    assert events(anna) == []


def test_a_home_measurement_never_raises_the_sign_but_asks_for_a_measurement_at_the_visit(app):
    patient = make_patient(profile={"tallest_height_mm": 1700})
    measure(patient, 1650, FIRST_DAY)
    measure(patient, 1600, FIRST_DAY + timedelta(days=100), "home", "against a wall, barefoot")
    assert events(patient) == []
    note = home_note(list_heights(_session(), patient), 1700)
    assert note and "measured at your next visit" in note
    # The next clinic measurement is what counts.
    measure(patient, 1628, FIRST_DAY + timedelta(days=150))
    assert len(events(patient)) == 1
    assert home_note(list_heights(_session(), patient), 1700) is None


def test_a_home_reading_is_not_the_starting_point_clinic_measurements_are_compared_with(anna):
    measure(anna, 1660, FIRST_DAY, "home", "tape measure against the door")
    measure(anna, 1635, FIRST_DAY + timedelta(days=100))  # the first clinic measurement
    measure(anna, 1630, FIRST_DAY + timedelta(days=200))
    assert events(anna) == []


def test_a_home_reading_that_shows_no_loss_says_nothing(anna):
    measure(anna, 1650, FIRST_DAY)
    measure(anna, 1645, FIRST_DAY + timedelta(days=100), "home", "against a wall")
    assert home_note(list_heights(_session(), anna), None) is None


def test_giving_the_tallest_height_later_judges_the_measurements_again(anna):
    measure(anna, 1600, FIRST_DAY)
    assert events(anna) == []
    set_tallest_height(_session(), anna, 1670, NOW)
    assert [e.day for e in events(anna)] == [FIRST_DAY]
    set_tallest_height(_session(), anna, 1650, NOW)  # a mistake corrected: 5 cm only
    assert events(anna) == []


def test_the_catalogue_entry_gives_the_advice_and_its_basis():
    sign = ALL_SIGNS["height_loss"]
    assert sign.tier == "routine"
    assert "spine x-ray or a vertebral fracture assessment" in sign.advice
    assert "Siminoski 2006" in sign.why and "no pain" in sign.why


# --- the pages -------------------------------------------------------------------------------


def form(day, height, place="clinic", method="", **extra):
    return {"measured_on": day.isoformat(), "height": height, "place": place, "method": method,
            **extra}  # fmt: skip


def test_the_page_explains_why_height_is_measured(client, signed_in):
    page = client.get("/height").get_data(as_text=True)
    assert "new spine fracture" in page and "no pain" in page
    assert 'href="/height/new"' in page


def test_a_measurement_is_saved_and_the_loss_shows_with_its_advice(client, signed_in, db):
    client.post("/height/new", data=form(FIRST_DAY, "165"))
    response = client.post("/height/new", data=form(date(2026, 11, 1), "5'4\""))
    assert response.status_code == 302 and "/saved" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "Height saved: tell your doctor" in page
    assert "spine x-ray or a vertebral fracture assessment" in page
    assert "162.6 cm (5 ft 4 in)" in page and "2.4 cm shorter" in page
    assert "you are fine" not in page.lower()
    assert "If you are worried, call your doctor" in page
    uuid = response.location.split("/")[-2]
    client.post(f"/height/{uuid}/action", data={"action": "will_mention"})
    assert db.session.scalar(select(WarningEvent.action)) == "will_mention"
    listing = client.get("/height").get_data(as_text=True)
    assert "162.6 cm" in listing and "165 cm" in listing and "2.4 cm shorter" in listing


def test_without_a_loss_the_result_states_the_figures_and_no_reassurance(client, signed_in):
    response = client.post("/height/new", data=form(FIRST_DAY, "165"))
    page = client.get(response.location).get_data(as_text=True)
    assert "<h1>Height saved</h1>" in page and "165 cm" in page
    assert "fine" not in page.lower() and "If you are worried, call your doctor" in page


def test_bad_input_is_kept_with_a_message_next_to_the_field(client, signed_in, db):
    response = client.post("/height/new", data=form(FIRST_DAY, "5 foot 13", "home", ""))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="5 foot 13"' in page
    assert re.search(r'id="height-error">.*in centimetres', page)
    assert re.search(r'id="method-error">.*how you measured it', page)
    assert 'value="home" checked' in page or "checked" in page
    response = client.post("/height/new", data=form(FIRST_DAY, "95"))
    assert "95 cm is not a grown-up&#39;s height" in response.get_data(as_text=True)
    response = client.post("/height/new", data=form(date(2999, 1, 1), "160"))
    assert "future" in response.get_data(as_text=True)
    response = client.post("/height/new", data=form(FIRST_DAY, "160", place="roof"))
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(HeightMeasurement)) == 0


def test_the_same_form_sent_twice_saves_one_measurement(client, signed_in, db):
    data = form(FIRST_DAY, "160", id="9d4e1c1e-52b8-4f5e-9a55-0b7c1d3b9e16")
    first = client.post("/height/new", data=data)
    again = client.post("/height/new", data=data)
    assert first.location == again.location
    assert db.session.scalar(select(func.count()).select_from(HeightMeasurement)) == 1


def test_a_mistaken_measurement_is_changed_and_deleted_from_its_pages(client, signed_in, db):
    client.post("/height/new", data=form(FIRST_DAY, "165"))
    client.post("/height/new", data=form(date(2026, 11, 1), "155"))
    assert db.session.scalar(select(func.count()).select_from(WarningEvent)) == 1
    uuid = db.session.scalar(
        select(HeightMeasurement.uuid).where(HeightMeasurement.height_mm == 1550)
    )
    edit = client.get(f"/height/{uuid}/edit").get_data(as_text=True)
    assert 'value="155"' in edit
    client.post(f"/height/{uuid}/edit", data=form(date(2026, 11, 1), "164.5"))
    assert db.session.scalar(select(func.count()).select_from(WarningEvent)) == 0
    assert "Delete this measurement?" in client.get(f"/height/{uuid}/delete").get_data(as_text=True)
    response = client.post(f"/height/{uuid}/delete")
    assert response.status_code == 302
    assert [m.height_mm for m in db.session.scalars(select(HeightMeasurement))] == [1650]


def test_the_tallest_height_is_set_on_its_page_and_on_the_profile(client, signed_in, db):
    response = client.post("/height/tallest", data={"tallest": "5 ft 7 in"})
    assert response.status_code == 302
    assert signed_in.profile.tallest_height_mm == 1702
    assert "170.2 cm (5 ft 7 in)" in client.get("/height").get_data(as_text=True)
    page = client.get("/profile").get_data(as_text=True)
    assert 'value="170.2"' in page
    client.post("/height/new", data=form(FIRST_DAY, "163.5"))
    assert db.session.scalar(select(func.count()).select_from(WarningEvent)) == 1
    response = client.post("/profile", data={"tallest_height": "169"})
    assert response.status_code == 302
    assert signed_in.profile.tallest_height_mm == 1690
    assert db.session.scalar(select(func.count()).select_from(WarningEvent)) == 0  # 5.5 cm
    response = client.post("/profile", data={"tallest_height": "6 feet 20"})
    assert 'value="6 feet 20"' in response.get_data(as_text=True)
    assert signed_in.profile.tallest_height_mm == 1690


def test_the_tallest_height_can_be_left_empty(client, signed_in):
    client.post("/height/tallest", data={"tallest": "165"})
    client.post("/height/tallest", data={"tallest": ""})
    assert signed_in.profile.tallest_height_mm is None


def test_writes_need_the_csrf_token(csrf_app):
    patient = make_patient()
    client = csrf_app.test_client()
    from .conftest import sign_in_with_csrf

    sign_in_with_csrf(client, patient.email)
    response = client.post("/height/new", data=form(FIRST_DAY, "160"))
    assert response.status_code in (400, 200)
    assert list_heights(_session(), patient) == []
    assert client.post("/height/tallest", data={"tallest": "170"}).status_code in (400, 200)
    assert patient.profile.tallest_height_mm is None


# --- pain_not_improving ----------------------------------------------------------------------

FRACTURE = date(2026, 10, 1)  # make_patient's fracture date


def diary(patient, baseline, week_days, day):
    """Baseline pain on the first days after the fracture, then `week_days` pains on the days
    just before `day` (oldest first)."""
    for n, pain in enumerate(baseline):
        make_checkin(patient, date=FRACTURE + timedelta(days=n), pain_avg=pain)
    for n, pain in enumerate(week_days):
        make_checkin(patient, date=day - timedelta(days=len(week_days) - n), pain_avg=pain)


def check_in(patient, day, pain, now=NOW):
    checkin, _ = save_checkin(_session(), patient, {"date": day, "pain_avg": pain}, [], now=now)
    _session().commit()
    return [e.sign for e in checkin.warning_events]


def test_in_week_5_pain_not_improving_is_never_raised(anna):
    day = FRACTURE + timedelta(weeks=5)
    diary(anna, [7, 7, 7], [7, 7, 7, 7], day)
    assert "pain_not_improving" not in check_in(anna, day, 7)


def test_in_week_8_a_7_day_average_of_5_raises_it(anna):
    day = FRACTURE + timedelta(weeks=8, days=2)
    diary(anna, [8, 8, 8], [5, 5, 5, 5], day)
    assert "pain_not_improving" in check_in(anna, day, 5)
    [event] = [e for e in events_of_sign(anna, "pain_not_improving")]
    assert (event.tier, event.computed, event.day) == ("routine", True, day)


def test_in_week_8_pain_3_only_20_percent_better_than_the_start_raises_it(anna):
    day = FRACTURE + timedelta(weeks=8)
    diary(anna, [4, 4, 4], [3, 3, 3, 4], day)  # average 3.2: 20% better than 4
    assert "pain_not_improving" in check_in(anna, day, 3)


def test_in_week_8_exactly_30_percent_better_is_not_raised(anna):
    day = FRACTURE + timedelta(weeks=8)
    diary(anna, [5, 5, 5], [4, 3, 3, 4], day)  # average 3.5: 30% better than 5
    assert "pain_not_improving" not in check_in(anna, day, 3)


def test_in_week_8_a_meaningful_improvement_raises_nothing(anna):
    day = FRACTURE + timedelta(weeks=8)
    diary(anna, [7, 8, 7], [3, 2, 3, 3, 2, 3], day)
    assert "pain_not_improving" not in check_in(anna, day, 2)


def test_in_week_13_it_is_never_raised(anna):
    day = FRACTURE + timedelta(weeks=13)
    diary(anna, [7, 7, 7], [7, 7, 7, 7], day)
    assert "pain_not_improving" not in check_in(anna, day, 7)


def test_fewer_than_3_days_in_the_week_is_not_enough_to_judge(anna):
    day = FRACTURE + timedelta(weeks=8)
    diary(anna, [8, 8, 8], [6], day)
    assert "pain_not_improving" not in check_in(anna, day, 6)


def test_after_a_procedure_the_weeks_count_from_the_procedure(app):
    patient = make_patient(profile={"procedure_date": FRACTURE + timedelta(weeks=4)})
    day = FRACTURE + timedelta(weeks=8)  # 8 weeks after the fracture, 4 after the procedure
    diary(patient, [8, 8, 8], [6, 6, 6], day)
    assert "pain_not_improving" not in check_in(patient, day, 6)
    later = FRACTURE + timedelta(weeks=11)
    diary(patient, [], [6, 6, 6], later)
    assert "pain_not_improving" in check_in(patient, later, 6)


def events_of_sign(patient, sign):
    return list(
        _session().scalars(
            select(WarningEvent)
            .where(WarningEvent.user_id == patient.id, WarningEvent.sign == sign)
            .order_by(WarningEvent.day)
        )
    )


def test_it_is_raised_at_most_once_a_week_while_it_lasts(anna):
    day = FRACTURE + timedelta(weeks=7)
    diary(anna, [8, 8, 8], [6, 6, 6], day)
    raised_on = []
    for n in range(10):
        if "pain_not_improving" in check_in(anna, day + timedelta(days=n), 6):
            raised_on.append(n)
    assert raised_on == [0, 7]


def test_within_72_hours_of_acting_on_it_the_day_is_noted_instead(anna):
    day = FRACTURE + timedelta(weeks=7)
    diary(anna, [8, 8, 8], [6, 6, 6], day)
    check_in(anna, day, 6)
    [event] = events_of_sign(anna, "pain_not_improving")
    event.action, event.action_at = "called_doctor", NOW
    _session().commit()
    assert "pain_not_improving" not in check_in(anna, day + timedelta(days=2), 6)
    assert event.also_on == [(day + timedelta(days=2)).isoformat()]


# --- export, import, deletion ----------------------------------------------------------------


def test_heights_are_in_every_export_and_import_once(app):
    import csv
    import io
    import json
    import zipfile

    from fhir.resources.R4B.bundle import Bundle

    from pwa.data.export import csv_zip, export_data
    from pwa.data.fhir import fhir_bundle
    from pwa.data.importer import import_export, read_export

    anna = make_patient(profile={"tallest_height_mm": 1700})
    measure(anna, 1650, FIRST_DAY)
    measure(anna, 1628, date(2026, 11, 1), "home", "against a wall, barefoot")
    data = export_data(_session(), anna, NOW, "test")
    assert [
        (h["measured_on"], h["height_mm"], h["place"], h["method"]) for h in data["heights"]
    ] == [
        ("2025-03-01", 1650, "clinic", None),
        ("2026-11-01", 1628, "home", "against a wall, barefoot"),
    ]
    assert data["profile"]["tallest_height_mm"] == 1700
    archive = zipfile.ZipFile(io.BytesIO(csv_zip(data)))
    rows = list(csv.DictReader(io.StringIO(archive.read("heights.csv").decode("utf-8-sig"))))
    assert rows[0]["Height (mm)"] == "1650" and rows[1]["Where measured"] == "home"

    bundle = fhir_bundle(data)
    Bundle.model_validate(bundle)
    heights = [
        e["resource"] for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == "8302-2"
    ]  # fmt: skip
    assert [(o["effectiveDateTime"], o["valueQuantity"]["value"]) for o in heights] == [
        ("2025-03-01", 165.0), ("2026-11-01", 162.8)]  # fmt: skip
    assert heights[1]["valueQuantity"]["code"] == "cm"
    assert heights[1]["note"][0]["text"] == "Measured at home: against a wall, barefoot"

    bea = make_patient(email="bea@example.com", profile=None)
    document = read_export(json.dumps(data).encode())
    assert import_export(_session(), bea, document, NOW).added["heights"] == 2
    assert "heights" not in import_export(_session(), bea, document, NOW).added
    assert [m.height_mm for m in list_heights(_session(), bea)] == [1650, 1628]


def test_deleting_the_account_deletes_the_heights(app):
    from pwa.data.deletion import delete_account

    anna = make_patient()
    measure(anna, 1650, FIRST_DAY)
    measure(anna, 1620, date(2026, 11, 1))
    keep = make_patient(email="keep@example.com")
    measure(keep, 1700, FIRST_DAY)
    delete_account(_session(), anna)
    _session().commit()
    assert _session().scalars(select(HeightMeasurement.user_id)).all() == [keep.id]
    assert _session().scalars(select(WarningEvent.user_id)).all() == []


def test_the_sign_reaches_the_report_on_the_measurements_day(client, signed_in):
    client.post("/height/new", data=form(date(2026, 10, 20), "165"))
    client.post("/height/new", data=form(date(2026, 11, 2), "162.9"))
    page = client.get("/report?from=2026-10-15&to=2026-11-20").get_data(as_text=True)
    assert "You seem to have lost height" in page
    # A routine sign is not one of page 1's alerts (emergency, urgent, falls, late doses).
    data = client.get("/report.json?from=2026-10-15&to=2026-11-20").json
    assert data["alerts"] == []
    assert client.get("/report.pdf?from=2026-10-15&to=2026-11-20").status_code == 200


def test_the_check_in_result_gives_pain_not_improvings_advice(client, signed_in):
    today = signed_in.today()
    signed_in.profile.fracture_date = today - timedelta(weeks=8)
    _session().commit()
    for n in (3, 2, 1):
        make_checkin(signed_in, date=today - timedelta(days=n), pain_avg=6)
    response = client.post("/checkin", data={"date": today.isoformat(), "pain": "6",
                                              "worried": "no"})  # fmt: skip
    page = client.get(response.location).get_data(as_text=True)
    assert "Check-in saved: tell your doctor" in page
    assert "whether your fracture is healing" in page


def test_answering_on_a_measurement_without_a_sign_changes_nothing(client, signed_in, db):
    response = client.post("/height/new", data=form(FIRST_DAY, "165"))
    uuid = response.location.split("/")[-2]
    after = client.post(f"/height/{uuid}/action", data={"action": "called_doctor"})
    assert after.status_code == 302
    assert "Thank you" not in client.get(after.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(WarningEvent)) == 0
