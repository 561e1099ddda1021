"""Issue 10: every check-in screens for red flags; the signs, the fall follow-up, the computed
signs and their 72-hour quiet after being acted on; profile filtering; the action page."""

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from pwa.checkin.signs import ALL_SIGNS, COMPUTED, SIGNS
from pwa.extensions import db as _db
from pwa.models import Profile, Reminder, WarningEvent

from .conftest import make_checkin, make_patient


def entry(patient, day: date | None = None, **overrides) -> dict:
    day = day or patient.today()
    return {"id": str(uuid.uuid4()), "date": day.isoformat(), "pain": 4, **overrides}


def raised(response) -> dict[str, tuple[str, bool]]:
    assert response.status_code == 201, response.json
    return {w["sign"]: (w["tier"], w["computed"]) for w in response.json["warnings_raised"]}


def set_profile(patient, **fields) -> None:
    if patient.profile is None:
        patient.profile = Profile()
    for name, value in fields.items():
        setattr(patient.profile, name, value)
    _db.session.commit()


# --- the catalogue and the API ---------------------------------------------------------------


def test_the_catalogue_holds_every_code_of_clinical_md_section_4():
    codes = {
        "chest_breath", "legs_both", "saddle_bladder", "serious_fall_pain", "fall_cannot_stand",
        "fall_head_blood_thinner", "opioid_overdose", "stroke", "gi_bleed", "fever",
        "needle_site", "one_side_nerve", "sudden_pain", "fall_injured", "pain_uncontrolled",
        "drowsy_confused", "calf", "cancer_flags", "pain_not_improving", "fall_no_injury",
        "near_fall", "height_loss", "brace_problem", "side_effects", "missed_osteo_medicine",
        "thigh_groin_ache", "jaw", "swallow_pain", "pain_jump", "bed_rest_days",
        "opioid_constipation", "medicine_late",
    }  # fmt: skip
    assert set(ALL_SIGNS) == codes
    assert set(COMPUTED) == {
        "pain_jump", "bed_rest_days", "opioid_constipation", "medicine_late", "fall_no_injury",
        "pain_not_improving",
    }  # fmt: skip
    assert ALL_SIGNS["opioid_overdose"].tier == ALL_SIGNS["stroke"].tier == "emergency"
    assert ALL_SIGNS["gi_bleed"].tier == "emergency"
    assert ALL_SIGNS["cancer_flags"].tier == "urgent"


@pytest.mark.parametrize("code", sorted(SIGNS))
def test_every_sign_through_the_api_raises_its_tier(client, signed_in, code):
    response = client.post("/api/v1/entries", json=entry(signed_in, warning_signs=[code]))
    assert raised(response) == {code: (SIGNS[code].tier, False)}


@pytest.mark.parametrize("code", sorted(COMPUTED))
def test_computed_signs_cannot_be_ticked(client, signed_in, code):
    response = client.post("/api/v1/entries", json=entry(signed_in, warning_signs=[code]))
    assert response.status_code == 422
    assert "warning_signs" in response.json["fields"]


def test_the_api_takes_the_screening_answer_but_does_not_need_it(client, signed_in):
    without = client.post("/api/v1/entries", json=entry(signed_in))
    with_it = client.post("/api/v1/entries", json=entry(signed_in, worried=True))
    assert without.status_code == with_it.status_code == 201
    assert without.json["worried"] is None and with_it.json["worried"] is True


# --- the fall follow-up ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "blood_thinner", "expected"),
    [
        ({"fall_injured": False}, False, {"fall_no_injury": ("routine", True)}),
        ({"fall_injured": True}, False, {"fall_injured": ("urgent", True)}),
        (
            {"fall_cannot_stand": True},
            False,
            {"fall_cannot_stand": ("emergency", True), "fall_injured": ("urgent", True)},
        ),
        (
            {"fall_hip_groin": True, "fall_injured": True},
            False,
            {"fall_cannot_stand": ("emergency", True), "fall_injured": ("urgent", True)},
        ),
        ({"fall_hit_head": True}, False, {"fall_injured": ("urgent", True)}),
        (
            {"fall_hit_head": True},
            True,
            {"fall_head_blood_thinner": ("emergency", True), "fall_injured": ("urgent", True)},
        ),
    ],
)
def test_a_fall_is_triaged_by_its_follow_up(client, signed_in, answers, blood_thinner, expected):
    set_profile(signed_in, blood_thinner=blood_thinner)
    response = client.post("/api/v1/entries", json=entry(signed_in, fell=True, **answers))
    assert raised(response) == expected


def test_fall_follow_up_answers_need_a_fall(client, signed_in):
    response = client.post(
        "/api/v1/entries", json=entry(signed_in, fell=False, fall_cannot_stand=True)
    )
    assert response.status_code == 422 and "fall_cannot_stand" in response.json["fields"]


# --- computed signs on a constructed diary ---------------------------------------------------


@pytest.fixture
def two_weeks_in(signed_in):
    """Issue 12: the patient is two weeks after the fracture, so `pain_not_improving` (6 to 12
    weeks) stays out of the diaries built for the other computed signs, whatever today is."""
    set_profile(signed_in, fracture_date=signed_in.today() - timedelta(days=14))
    return signed_in


def test_three_days_mostly_in_bed_raises_bed_rest_days(client, signed_in, two_weeks_in):
    today = signed_in.today()
    make_checkin(signed_in, date=today - timedelta(days=2), bed_rest=True)
    make_checkin(signed_in, date=today - timedelta(days=1), walking_aid="bed")
    response = client.post("/api/v1/entries", json=entry(signed_in, bed_rest=True))
    assert raised(response) == {"bed_rest_days": ("urgent", True)}


def test_bed_rest_with_a_day_up_or_a_gap_raises_nothing(client, signed_in, two_weeks_in):
    today = signed_in.today()
    make_checkin(signed_in, date=today - timedelta(days=3), bed_rest=True)
    make_checkin(signed_in, date=today - timedelta(days=1), bed_rest=True)  # day 2 not logged
    assert raised(client.post("/api/v1/entries", json=entry(signed_in, bed_rest=True))) == {}
    make_checkin(signed_in, date=today - timedelta(days=2), bed_rest=False)
    assert raised(client.post("/api/v1/entries", json=entry(signed_in, bed_rest=True))) == {}


def test_no_bowel_movement_on_three_opioid_days_raises_opioid_constipation(
    client, signed_in, two_weeks_in
):
    today = signed_in.today()
    for n in (2, 1):
        make_checkin(
            signed_in, date=today - timedelta(days=n), opioid_doses=2, bowel_movement=False
        )
    body = entry(signed_in, opioid_doses=1, bowel_movement=False)
    assert raised(client.post("/api/v1/entries", json=body)) == {
        "opioid_constipation": ("urgent", True)
    }


@pytest.mark.parametrize("change", [{"bowel_movement": True}, {"opioid_doses": 0}])
def test_a_bowel_movement_or_a_day_without_opioid_breaks_the_run(
    client, signed_in, two_weeks_in, change
):
    today = signed_in.today()
    make_checkin(signed_in, date=today - timedelta(days=2), opioid_doses=2, bowel_movement=False)
    make_checkin(
        signed_in,
        date=today - timedelta(days=1),
        **{"opioid_doses": 2, "bowel_movement": False, **change},
    )
    body = entry(signed_in, opioid_doses=1, bowel_movement=False)
    assert raised(client.post("/api/v1/entries", json=body)) == {}


def pain_diary(patient, start: date, days: int = 5, pain: int = 2) -> None:
    for n in range(days):
        make_checkin(patient, date=start + timedelta(days=n), pain_avg=pain)


def test_pain_jump_is_not_raised_again_within_72_hours_of_being_acted_on(
    client, signed_in, two_weeks_in, db
):
    today = signed_in.today()
    start = today - timedelta(days=12)
    pain_diary(signed_in, start, days=7)
    first_day = start + timedelta(days=7)
    first = client.post("/api/v1/entries", json=entry(signed_in, first_day, pain=7))
    assert raised(first) == {"pain_jump": ("urgent", True)}
    event = db.session.scalar(select(WarningEvent))
    event.action = "called_doctor"
    db.session.commit()

    # Days 1 to 3 after: quiet, each day noted on the acted-on event.
    for n in (1, 3):
        later = client.post(
            "/api/v1/entries", json=entry(signed_in, first_day + timedelta(days=n), pain=8)
        )
        assert raised(later) == {}
    db.session.refresh(event)
    noted = [(first_day + timedelta(days=n)).isoformat() for n in (1, 3)]
    assert event.also_on == noted

    # The history shows the repeat.
    html = client.get("/history").get_data(as_text=True)
    day = first_day + timedelta(days=1)
    assert f"also on {day.day} {day:%b}" in html

    # Ticked signs are never held back, and after 72 hours the computed one comes back.
    ticked = client.post(
        "/api/v1/entries",
        json=entry(signed_in, first_day + timedelta(days=2), pain=8, warning_signs=["fever"]),
    )
    assert raised(ticked) == {"fever": ("urgent", False)}
    again = client.post(
        "/api/v1/entries", json=entry(signed_in, first_day + timedelta(days=4), pain=9)
    )
    assert raised(again) == {"pain_jump": ("urgent", True)}


@pytest.mark.parametrize("action", ["nothing_yet", "will_mention"])
def test_a_sign_not_acted_on_is_raised_again(client, signed_in, db, action):
    today = signed_in.today()
    start = today - timedelta(days=10)
    pain_diary(signed_in, start, days=7)
    day = start + timedelta(days=7)
    raised(client.post("/api/v1/entries", json=entry(signed_in, day, pain=7)))
    event = db.session.scalar(select(WarningEvent))
    event.action = action
    db.session.commit()
    next_day = client.post(
        "/api/v1/entries", json=entry(signed_in, day + timedelta(days=1), pain=8)
    )
    assert raised(next_day) == {"pain_jump": ("urgent", True)}


@pytest.mark.parametrize("action", ["went_emergency", "saw_doctor", "called_emergency"])
def test_every_acted_on_answer_quiets_a_computed_fall_sign(client, signed_in, db, action):
    today = signed_in.today()
    yesterday = today - timedelta(days=1)
    first = client.post(
        "/api/v1/entries", json=entry(signed_in, yesterday, fell=True, fall_injured=True)
    )
    assert raised(first) == {"fall_injured": ("urgent", True)}
    event = db.session.scalar(select(WarningEvent))
    event.action = action
    db.session.commit()
    body = entry(signed_in, today, fell=True, fall_injured=True)
    assert raised(client.post("/api/v1/entries", json=body)) == {}


# --- the page: gate, profile filtering, action answers ---------------------------------------


def test_the_gate_comes_right_after_pain_and_before_any_save_button(client, signed_in):
    html = client.get("/checkin").get_data(as_text=True)
    pain = html.index('name="pain"')
    gate = html.index('name="worried" id="worried-no" value="no" required')
    assert 'name="worried" id="worried-yes" value="yes" required' in html
    checklist = html.index('name="warning_signs"')
    save = html.index('type="submit"')
    assert pain < gate < checklist < save


def test_the_page_needs_the_screening_answer_and_keeps_the_rest(client, signed_in, db):
    form = {"id": str(uuid.uuid4()), "date": "", "pain": "6", "notes": "Sore."}
    html = client.post("/checkin", data=form).get_data(as_text=True)
    assert "Please answer: is there anything new or worrying today?" in html
    assert 'id="worried-error"' in html and "Sore." in html
    assert db.session.scalar(select(WarningEvent)) is None


def test_a_ticked_sign_shows_its_advice_and_call_buttons_next_to_it(client, signed_in):
    set_profile(signed_in, clinic_phone="555-0100")
    html = client.get("/checkin").get_data(as_text=True)
    sign = re.search(
        r'<div class="sign">\s*<label[^>]*warning_signs-stroke.*?</div>\s*</div>', html, re.S
    )
    assert sign, "the stroke sign and its advice"
    block = sign.group(0)
    assert 'href="tel:911"' in block and 'href="tel:555-0100"' in block
    assert "Call 911 now. Do not drive yourself." in block


def test_signs_that_cannot_apply_are_not_shown(client, signed_in):
    set_profile(signed_in, treatment="nonsurgical", brace_prescribed=False)
    html = client.get("/checkin").get_data(as_text=True)
    for code in ("needle_site", "brace_problem", "thigh_groin_ache", "jaw", "swallow_pain"):
        assert f'value="{code}"' not in html, code
    assert 'value="stroke"' in html and 'value="opioid_overdose"' in html


def test_profile_dependent_signs_are_shown_with_why(client, signed_in, db):
    set_profile(signed_in, treatment="kyphoplasty", brace_prescribed=True, blood_thinner=True)
    db.session.add(Reminder(user_id=signed_in.id, kind="medicine", name="Alendronate 70 mg"))
    db.session.commit()
    html = client.get("/checkin").get_data(as_text=True)
    for code in ("needle_site", "brace_problem", "thigh_groin_ache", "jaw", "swallow_pain"):
        assert f'value="{code}"' in html, code
    assert "Asked because you had a procedure on your spine." in html
    assert "Asked because your doctor gave you a brace." in html
    assert "Asked because you take alendronate 70 mg." in html
    assert "Asked because you take a blood thinner" in html


def test_a_cancer_history_says_why_the_cancer_flags_matter(client, signed_in):
    note = "You told us you have had cancer"
    assert note not in client.get("/checkin").get_data(as_text=True)
    set_profile(signed_in, cancer_ever=True)
    assert note in client.get("/checkin").get_data(as_text=True)


def test_denosumab_asks_thigh_and_jaw_but_not_swallowing(client, signed_in):
    set_profile(signed_in, osteoporosis_medicine="Prolia (denosumab)")
    html = client.get("/checkin").get_data(as_text=True)
    assert 'value="thigh_groin_ache"' in html and 'value="jaw"' in html
    assert 'value="swallow_pain"' not in html


def test_the_offline_form_shows_every_sign_saying_when_it_applies(client):
    html = client.get("/offline/shell/checkin").get_data(as_text=True)
    assert 'value="needle_site"' in html and "Only if you had a procedure on your spine." in html


def test_the_profile_saves_the_triage_questions(client, signed_in, db):
    response = client.post(
        "/profile",
        data={
            "blood_thinner": "yes",
            "cancer_ever": "no",
            "steroid_tablets": "",
            "earlier_fractures": "wrist 2019",
        },
    )
    assert response.status_code == 302
    profile = db.session.scalar(select(Profile))
    assert (profile.blood_thinner, profile.cancer_ever, profile.steroid_tablets) == (
        True, False, None,
    )  # fmt: skip
    assert profile.earlier_fractures == "wrist 2019"


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("went_emergency", "Went to the emergency department or urgent care"),
        ("saw_doctor", "Saw a doctor"),
    ],
)
def test_the_new_action_answers_are_offered_and_stored(client, signed_in, db, action, words):
    today = signed_in.today().isoformat()
    form = {"id": str(uuid.uuid4()), "date": today, "pain": "4", "worried": "yes"}
    done = client.post("/checkin", data={**form, "warning_signs": "fever"}).headers["Location"]
    assert words in client.get(done).get_data(as_text=True)
    client.post(done.replace("/done", "/action"), data={"action": action})
    assert db.session.scalar(select(WarningEvent.action)) == action


def test_a_second_checkin_the_same_day_offers_changing_the_first(client, signed_in):
    first = make_checkin(signed_in, pain_avg=5)
    html = client.get("/checkin").get_data(as_text=True)
    change = html.index(f'href="/checkin/{first.uuid}/edit">Change today\'s check-in')
    assert change < html.index('name="pain"')


def test_the_weekly_question_is_asked_when_never_answered(client, signed_in):
    assert 'name="weekly_change"' in client.get("/checkin").get_data(as_text=True)


@pytest.mark.parametrize(("days_ago", "asked"), [(0, False), (6, False), (7, True), (9, True)])
def test_the_weekly_question_comes_on_the_seventh_day(client, signed_in, days_ago, asked):
    today = signed_in.today()
    make_checkin(signed_in, date=today - timedelta(days=days_ago), weekly_change="much_better")
    make_checkin(signed_in, date=today - timedelta(days=1), weekly_change=None)
    html = client.get("/checkin").get_data(as_text=True)
    assert ('name="weekly_change"' in html) is asked


def test_the_weekly_question_is_anchored_to_the_procedure_or_the_fracture(client, signed_in):
    set_profile(signed_in, treatment="kyphoplasty")
    html = client.get("/checkin").get_data(as_text=True)
    assert "Compared with before your procedure, your back is now:" in html
    signed_in.profile.treatment = "nonsurgical"
    _db.session.commit()
    html = client.get("/checkin").get_data(as_text=True)
    assert "Compared with right after your fracture, your back is now:" in html


def test_the_groups_are_collapsible_and_open_when_they_hold_answers(client, signed_in):
    html = client.get("/checkin").get_data(as_text=True)
    for name in ("pain", "moving", "medicines", "sleep"):
        assert f'<details class="checkin-group" data-group="{name}">' in html
    checkin = make_checkin(signed_in, minutes_walked=20)
    html = client.get(f"/checkin/{checkin.uuid}/edit").get_data(as_text=True)
    assert '<details class="checkin-group" data-group="moving" open>' in html


# --- the action page -------------------------------------------------------------------------


def test_the_action_page_puts_call_buttons_first_then_tiers_then_the_article(client, app):
    patient = make_patient(emergency_number="112", profile={"clinic_phone": "555-0199"})
    client.post("/login", data={"email": patient.email, "password": "correct horse battery"})
    html = client.get("/warning-signs").get_data(as_text=True)
    emergency = html.index('href="tel:112"')
    clinic = html.index('href="tel:555-0199"')
    tiers = [html.index(f'id="act-{tier}"') for tier in ("emergency", "urgent", "routine")]
    article = html.index('href="/learn/warning-signs"')
    assert emergency < clinic < tiers[0] < tiers[1] < tiers[2] < article
    assert 'class="header-warning" href="/warning-signs"' in html


def test_the_action_page_is_public_and_offline_with_the_default_number(client, app):
    public = client.get("/warning-signs").get_data(as_text=True)
    assert 'href="tel:911"' in public and "Call my clinic" not in public
    shell = client.get("/offline/shell/warning-signs").get_data(as_text=True)
    assert 'href="tel:911"' in shell and "Call my clinic" not in shell
    build = client.get("/offline/precache.json").json
    assert "/offline/shell/warning-signs" in build["precache"]
    assert '"/warning-signs":"/offline/shell/warning-signs"' in client.get("/sw.js").get_data(
        as_text=True
    )
