"""The bone-health checklist (issue 12 point 1): the scan date's one truth, the page, its
seeding from the profile, the home card."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from markupsafe import escape
from sqlalchemy import select

from pwa.bone.checklist import ITEMS, dexa_date
from pwa.bone.nudges import bone_reminder
from pwa.data.deletion import delete_account
from pwa.extensions import db as _db
from pwa.models import Appointment, BoneCheckItem, utcnow

from .conftest import make_patient, sign_in_with_csrf


def _answer(db, patient, item: str, state: str, **fields) -> BoneCheckItem:
    row = BoneCheckItem(user_id=patient.id, item=item, state=state, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def test_dexa_date_is_the_profiles_without_a_done_scan_item(db):
    patient = make_patient(profile={"last_dexa_date": date(2026, 10, 20)})
    assert dexa_date(db.session, patient.id, patient.profile) == date(2026, 10, 20)
    _answer(db, patient, "dexa", "booked", on_date=date(2026, 12, 1))
    assert dexa_date(db.session, patient.id, patient.profile) == date(2026, 10, 20)


def test_dexa_date_is_the_done_scan_items_date(db):
    patient = make_patient(profile={"last_dexa_date": date(2025, 3, 1)})
    _answer(db, patient, "dexa", "done", on_date=date(2026, 11, 2))
    assert dexa_date(db.session, patient.id, patient.profile) == date(2026, 11, 2)


def test_dexa_date_done_without_a_date_falls_back_to_the_profile(db):
    patient = make_patient(profile={"last_dexa_date": date(2025, 3, 1)})
    _answer(db, patient, "dexa", "done")
    assert dexa_date(db.session, patient.id, patient.profile) == date(2025, 3, 1)


def test_dexa_date_without_profile_or_scan_is_none(db):
    patient = make_patient(profile=None)
    assert dexa_date(db.session, patient.id, None) is None
    other = make_patient()
    _answer(db, other, "dexa", "done", on_date=date(2026, 11, 2))
    assert dexa_date(db.session, patient.id, None) is None


# --- The page -------------------------------------------------------------------------------


def _today(patient) -> date:
    return patient.today(utcnow())


def _row(db, patient, item: str) -> BoneCheckItem | None:
    return db.session.scalar(
        select(BoneCheckItem).where(BoneCheckItem.user_id == patient.id, BoneCheckItem.item == item)
    )


def test_the_page_lists_the_six_steps_in_order_with_why_and_article(client, signed_in):
    page = client.get("/bone-health").get_data(as_text=True)
    positions = [page.index(f'id="item-{code}"') for code in ITEMS]
    assert positions == sorted(positions)
    for item in ITEMS.values():
        assert escape(item.why) in page
        assert f'href="/learn/{item.article}"' in page
        assert f'href="/bone-health/{item.code}"' in page
    assert page.count("<strong>Not yet</strong>") == 6
    assert "0 of 6 steps settled" in page
    assert "you are fine" not in page.lower()


def test_each_step_has_big_radio_buttons_and_the_scan_alone_a_t_score(client, signed_in):
    dexa = client.get("/bone-health/dexa").get_data(as_text=True)
    for value, label in (("done", "Done"), ("booked", "Booked"), ("not_yet", "Not yet"),
                         ("not_for_me", "Not for me")):  # fmt: skip
        assert f'type="radio" value="{value}"' in dexa and f"<span>{label}</span>" in dexa
    assert 'checked id="state-2" name="state" type="radio" value="not_yet"' in dexa
    assert 'name="t_score"' in dexa and 'type="date"' in dexa
    bloods = client.get("/bone-health/bloods").get_data(as_text=True)
    assert 'name="t_score"' not in bloods and 'name="on_date"' in bloods
    assert client.get("/bone-health/nonsense").status_code == 404


def test_booked_with_a_date_is_saved_and_shown(client, signed_in, db):
    day = _today(signed_in) + timedelta(days=10)
    response = client.post(
        "/bone-health/dexa",
        data={"state": "booked", "on_date": day.isoformat(), "detail": "St Mary's"},
    )
    assert response.status_code == 302 and response.location.endswith("/bone-health#item-dexa")
    row = _row(db, signed_in, "dexa")
    assert (row.state, row.on_date, row.t_score, row.detail) == ("booked", day, None, "St Mary's")
    page = client.get("/bone-health").get_data(as_text=True)
    assert "<strong>Booked</strong>, for" in page and "St Mary&#39;s" in page
    assert signed_in.profile.last_dexa_date is None  # booked is not done


def test_a_done_scan_keeps_its_t_score_and_becomes_the_profiles_last_scan(client, signed_in, db):
    day = _today(signed_in) - timedelta(days=3)
    client.post(
        "/bone-health/dexa", data={"state": "done", "on_date": day.isoformat(), "t_score": "−2,7"}
    )
    row = _row(db, signed_in, "dexa")
    assert (row.state, row.on_date, row.t_score) == ("done", day, -2.7)
    db.session.refresh(signed_in.profile)
    assert signed_in.profile.last_dexa_date == day
    assert dexa_date(db.session, signed_in.id, signed_in.profile) == day
    assert "T-score -2.7" in client.get("/bone-health").get_data(as_text=True)
    # Marked not done after all: the date it put in the profile goes with it.
    assert client.post("/bone-health/dexa", data={"state": "not_yet"}).status_code == 302
    db.session.refresh(signed_in.profile)
    assert signed_in.profile.last_dexa_date is None
    assert (_row(db, signed_in, "dexa").on_date, _row(db, signed_in, "dexa").t_score) == (None,) * 2


@pytest.mark.parametrize(
    ("score", "saved"),
    [("-6", -6.0), ("4", 4.0), ("+1.5", 1.5), ("-2.55", -2.5), ("", None)],
)
def test_t_score_within_bounds_is_saved(client, signed_in, db, score, saved):
    day = _today(signed_in).isoformat()
    response = client.post(
        "/bone-health/dexa", data={"state": "done", "on_date": day, "t_score": score}
    )
    assert response.status_code == 302
    assert _row(db, signed_in, "dexa").t_score == saved


@pytest.mark.parametrize("score", ["-6.1", "4.01", "-25", "abc", "2.5.1", "1e1"])
def test_a_t_score_out_of_bounds_is_refused_next_to_its_field_and_the_rest_kept(
    client, signed_in, db, score
):
    day = (_today(signed_in) - timedelta(days=1)).isoformat()
    response = client.post(
        "/bone-health/dexa",
        data={"state": "done", "on_date": day, "t_score": score, "detail": "City Hospital"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="field-error"') == 1
    assert 'id="t_score-error"' in page and "from -6 to +4" in page
    assert f'value="{escape(score)}"' in page and f'value="{day}"' in page
    assert 'value="City Hospital"' in page
    assert 'checked id="state-0" name="state" type="radio" value="done"' in page
    assert "Everything you typed is still here" in page
    assert _row(db, signed_in, "dexa") is None


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({}, "state", "Please choose where you are with this step."),
        ({"state": "maybe"}, "state", "Please choose one of the answers."),
        ({"state": "done", "on_date": "+10"}, "on_date", "still ahead"),
        ({"state": "booked", "on_date": "-10"}, "on_date", "This date has passed"),
        ({"state": "booked", "on_date": "31/12/2026"}, "on_date", "Please enter a real date"),
        ({"state": "booked", "t_score": "-2.5"}, "t_score", "comes from a scan that is done"),
        ({"state": "done", "detail": "x" * 201}, "detail", "200 characters or fewer"),
        ({"state": "done", "detail": "two\nlines"}, "detail", "on one line"),
    ],
)
def test_bad_answers_say_what_is_wrong_next_to_the_field(client, signed_in, db, data, field, words):
    data = dict(data)
    if data.get("on_date", "").lstrip("+-").isdigit():
        data["on_date"] = (_today(signed_in) + timedelta(days=int(data["on_date"]))).isoformat()
    page = client.post("/bone-health/dexa", data=data).get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page
    assert page.count('class="field-error"') == 1
    assert _row(db, signed_in, "dexa") is None


def test_not_for_me_drops_a_date_and_keeps_the_reason(client, signed_in, db):
    day = _today(signed_in).isoformat()
    client.post(
        "/bone-health/fls",
        data={"state": "not_for_me", "on_date": day, "detail": "No clinic near me"},
    )
    row = _row(db, signed_in, "fls")
    assert (row.state, row.on_date, row.detail) == ("not_for_me", None, "No clinic near me")
    assert "1 of 6 steps settled" in client.get("/bone-health").get_data(as_text=True)


def test_the_medicine_step_offers_the_known_names_and_fills_an_empty_profile(client, signed_in, db):
    page = client.get("/bone-health/medicine").get_data(as_text=True)
    assert 'list="medicine-names"' in page and '<datalist id="medicine-names">' in page
    for name in ("alendronate", "Prolia", "zoledronic acid"):
        assert f'<option value="{name}">' in page
    day = _today(signed_in) - timedelta(days=20)
    client.post(
        "/bone-health/medicine",
        data={"state": "done", "on_date": day.isoformat(), "detail": "My own pill"},
    )
    db.session.refresh(signed_in.profile)
    assert signed_in.profile.osteoporosis_medicine == "My own pill"  # free text is fine
    assert signed_in.profile.osteoporosis_medicine_start == day


def test_every_save_needs_the_csrf_token(csrf_app):
    patient = make_patient()
    client = csrf_app.test_client()
    sign_in_with_csrf(client, patient.email)
    refused = client.post("/bone-health/bloods", data={"state": "done"})
    assert refused.status_code == 400
    page = client.get("/bone-health/bloods").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    accepted = client.post("/bone-health/bloods", data={"state": "done", "csrf_token": token})
    assert accepted.status_code == 302
    assert _row(_db, patient, "bloods").state == "done"


def test_the_page_needs_a_signed_in_patient(client):
    for path in ("/bone-health", "/bone-health/dexa"):
        assert client.get(path).status_code == 302


# --- Nudge dates on the page ----------------------------------------------------------------


def test_without_a_fracture_date_the_page_works_and_says_when_nudges_would_come(client, auth):
    patient = make_patient(profile={"fracture_date": None})
    auth.login(patient.email)
    page = client.get("/bone-health").get_data(as_text=True)
    assert "Once you enter the date of your fracture" in page
    assert "2, 6, 12 and 16 weeks after it" in page
    assert client.post("/bone-health/exercise", data={"state": "booked"}).status_code == 302


def test_with_a_fracture_date_the_page_lists_the_nudges_still_to_come(client, auth):
    patient = make_patient()
    fracture = _today(patient) - timedelta(weeks=3)
    patient.profile.fracture_date = fracture
    _db.session.commit()
    auth.login(patient.email)
    page = client.get("/bone-health").get_data(as_text=True)
    assert "reminds you 3 more times" in page
    assert "6 weeks after your fracture" in page and "(2 weeks after your fracture)" not in page


# --- Started from the profile ---------------------------------------------------------------


PROFILE = {
    "fracture_levels": "L1",
    "fracture_date": "2026-09-01",
    "treatment": "kyphoplasty",
    "last_dexa_date": "2026-10-05",
    "osteoporosis_medicine": "Prolia",
    "osteoporosis_medicine_start": "2026-10-20",
}


def test_saving_the_profile_starts_the_checklist_from_it(client, auth, db):
    patient = make_patient(profile=None)
    auth.login(patient.email)
    assert client.post("/profile", data=PROFILE).status_code == 302
    dexa, medicine = _row(db, patient, "dexa"), _row(db, patient, "medicine")
    assert (dexa.state, dexa.on_date) == ("done", date(2026, 10, 5))
    assert (medicine.state, medicine.detail, medicine.on_date) == (
        "done", "Prolia", date(2026, 10, 20))  # fmt: skip
    page = client.get("/bone-health").get_data(as_text=True)
    assert "2 of 6 steps settled" in page
    assert "You had a kyphoplasty: tell the scan staff" in client.get("/bone-health/dexa").get_data(
        as_text=True
    )
    # A later scan in the profile moves the item's date; an older one leaves it.
    client.post("/profile", data={**PROFILE, "last_dexa_date": "2026-11-02"})
    assert _row(db, patient, "dexa").on_date == date(2026, 11, 2)


def test_a_scan_before_the_fracture_does_not_count_as_done(client, auth, db):
    patient = make_patient(profile=None)
    auth.login(patient.email)
    client.post("/profile", data={**PROFILE, "last_dexa_date": "2025-01-10",
                                  "osteoporosis_medicine": ""})  # fmt: skip
    assert _row(db, patient, "dexa") is None and _row(db, patient, "medicine") is None
    assert dexa_date(db.session, patient.id, patient.profile) == date(2025, 1, 10)


def test_the_profile_links_to_the_checklist(client, signed_in):
    assert 'href="/bone-health"' in client.get("/profile").get_data(as_text=True)
    assert 'href="/bone-health"' in client.get("/more").get_data(as_text=True)


# --- The home card --------------------------------------------------------------------------


def test_the_home_card_shows_progress_and_the_next_open_step_until_all_settled(
    client, signed_in, db
):
    page = client.get("/").get_data(as_text=True)
    assert "Bone health after your fracture: 0 of 6 settled" in page
    assert "Next step: Bone density scan (DEXA)." in page
    _answer(db, signed_in, "dexa", "done", on_date=date(2026, 11, 1))
    _answer(db, signed_in, "bloods", "booked", on_date=date(2030, 1, 1))  # booked: still open
    page = client.get("/").get_data(as_text=True)
    assert "1 of 6 settled" in page and "Next step: Blood tests" in page
    for code in ("bloods", "medicine", "falls_review", "exercise", "fls"):
        row = _row(db, signed_in, code) or _answer(db, signed_in, code, "not_for_me")
        row.state = "not_for_me"
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Bone health after your fracture" not in page
    assert 'href="/bone-health"' in page  # the tile stays


# --- The appointments page's scan suggestion --------------------------------------------------


def _appointment(db, patient, kind: str, days: int = 20) -> None:
    db.session.add(
        Appointment(user_id=patient.id, kind=kind, starts_at=utcnow() + timedelta(days=days))
    )
    db.session.commit()


def test_the_scan_suggestion_stays_while_the_scan_is_open_and_not_booked(client, signed_in, db):
    _appointment(db, signed_in, "spine")
    page = client.get("/appointments").get_data(as_text=True)
    assert "A bone density (DEXA) scan" in page  # another visit booked: still suggested
    assert "kind=bone_density" in page
    _appointment(db, signed_in, "bone_density", days=40)
    assert "A bone density (DEXA) scan" not in client.get("/appointments").get_data(as_text=True)


def test_the_scan_suggestion_goes_once_the_scan_is_done_or_not_for_me(client, signed_in, db):
    row = _answer(db, signed_in, "dexa", "not_for_me")
    assert "A bone density (DEXA) scan" not in client.get("/appointments").get_data(as_text=True)
    row.state = "booked"
    db.session.commit()
    assert "A bone density (DEXA) scan" in client.get("/appointments").get_data(as_text=True)


# --- Export and deletion --------------------------------------------------------------------


def test_the_answers_are_in_every_export(client, signed_in, db):
    _answer(db, signed_in, "medicine", "done", on_date=date(2026, 10, 20), detail="Prolia")
    _answer(db, signed_in, "dexa", "done", on_date=date(2026, 10, 5), t_score=-2.9)
    data = json.loads(client.get("/account/data/export.json").data)
    assert [(r["item"], r["state"]) for r in data["bone_checklist"]] == [
        ("dexa", "done"), ("medicine", "done")]  # fmt: skip
    assert data["bone_checklist"][0]["t_score"] == -2.9
    assert data["bone_checklist"][0]["on_date"] == "2026-10-05"

    archive = zipfile.ZipFile(io.BytesIO(client.get("/account/data/export.csv.zip").data))
    rows = list(csv.DictReader(io.StringIO(archive.read("bone_checklist.csv").decode("utf-8-sig"))))
    assert [(r["Step"], r["Where it stands"], r["Bone scan T-score"]) for r in rows] == [
        ("dexa", "done", "-2.9"), ("medicine", "done", "")]  # fmt: skip

    bundle = json.loads(client.get("/account/data/export.fhir.json").data)
    Bundle.model_validate(bundle)
    steps = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["system"].endswith("bone-checklist-step")
    ]
    for resource in steps:
        get_fhir_model_class("Observation").model_validate(resource)
    assert [s["valueCodeableConcept"]["text"] for s in steps] == ["Done", "Done"]
    assert steps[0]["component"][0]["valueQuantity"]["value"] == -2.9
    assert steps[1]["note"] == [{"text": "Prolia"}]


def test_the_answers_go_with_the_account(db):
    leaving, staying = make_patient(), make_patient()
    for patient in (leaving, staying):
        _answer(db, patient, "dexa", "done", on_date=date(2026, 10, 5), t_score=-2.9)
        _answer(db, patient, "fls", "not_for_me")
    assert delete_account(db.session, leaving)["bone_check_items"] == 2
    db.session.commit()
    owners = db.session.scalars(select(BoneCheckItem.user_id)).all()
    assert owners == [staying.id, staying.id]


# --- Caregivers: read-only -----------------------------------------------------------------


@pytest.mark.database
def test_a_caregiver_reads_the_checklist_but_cannot_change_it(tmp_path, mail):
    from .conftest import app_sending_mail
    from .test_caregivers import invite_and_accept, login

    for app in app_sending_mail(tmp_path, mail, PUBLIC_URL="http://upright.test"):
        ann = make_patient(name="Ann", email="ann@example.com")
        ben = make_patient(name="Ben", email="ben@example.com")
        carol = make_patient(name="Carol", email="carol@example.com", profile=None)
        _answer(_db, ann, "dexa", "booked", on_date=date(2030, 5, 6), detail="Ann's clinic")
        _answer(_db, ben, "dexa", "done", detail="Ben's secret clinic")
        invite_and_accept(app, mail, ann, carol, can_check_in=True)
        client = app.test_client()
        login(client, carol.email)
        response = client.get(f"/care/{ann.id}/bone-health")
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        assert "Ann&#39;s clinic" in page and "<strong>Booked</strong>" in page
        assert "<form" not in page.split("<main", 1)[1].split("</main>")[0]
        assert f'href="/care/{ann.id}/bone-health"' in client.get(f"/care/{ann.id}").get_data(
            as_text=True
        )
        assert client.get(f"/care/{ben.id}/bone-health").status_code == 404
        # Her own /bone-health is her own (empty) checklist, never Ann's.
        own = client.get("/bone-health/dexa").get_data(as_text=True)
        assert "Ann&#39;s clinic" not in own and "2030-05-06" not in own


def test_an_imported_export_brings_the_answers_without_overwriting_any(db):
    from pwa.data.export import export_data
    from pwa.data.importer import ImportRefused, import_export, read_export

    anna = make_patient()
    _answer(db, anna, "dexa", "done", on_date=date(2026, 10, 5), t_score=-2.9)
    _answer(db, anna, "fls", "not_for_me", detail="None near me")
    document = read_export(json.dumps(export_data(db.session, anna, utcnow(), "t")).encode())
    moved = make_patient(profile=None)
    _answer(db, moved, "fls", "booked", on_date=date(2030, 1, 1))
    result = import_export(db.session, moved, document, utcnow())
    db.session.commit()
    assert result.added == {"bone_checklist": 1}
    assert (_row(db, moved, "dexa").on_date, _row(db, moved, "dexa").t_score) == (
        date(2026, 10, 5), -2.9)  # fmt: skip
    assert _row(db, moved, "fls").state == "booked"  # its own answer stays
    # An imported profile starts the checklist and its nudges like a saved one.
    fresh = make_patient(profile=None)
    dates = {"fracture_date": "2030-02-01", "last_dexa_date": "2030-03-01"}
    profiled = {**document, "bone_checklist": [], "profile": dates}
    import_export(db.session, fresh, profiled, utcnow())
    db.session.commit()
    assert (_row(db, fresh, "dexa").state, _row(db, fresh, "dexa").on_date) == (
        "done", date(2030, 3, 1))  # fmt: skip
    assert bone_reminder(db.session, fresh.id).start_date == date(2030, 2, 1)
    damaged = {**document, "bone_checklist": [{"item": "dexa", "state": "sort of"}]}
    with pytest.raises(ImportRefused):
        import_export(db.session, make_patient(profile=None), damaged, utcnow())


def test_the_scan_date_stays_in_step_when_the_profile_is_saved_without_it(client, auth, db):
    patient = make_patient(profile=None)
    auth.login(patient.email)
    client.post("/profile", data=PROFILE)
    client.post("/bone-health/dexa", data={"state": "done", "on_date": "2026-11-20"})
    db.session.refresh(patient.profile)
    assert patient.profile.last_dexa_date == date(2026, 11, 20)
    # The profile saved with the old or no date: the checklist's later scan stays the truth.
    client.post("/profile", data={**PROFILE, "last_dexa_date": ""})
    db.session.refresh(patient.profile)
    assert patient.profile.last_dexa_date == date(2026, 11, 20)
    assert dexa_date(db.session, patient.id, patient.profile) == date(2026, 11, 20)


def test_not_for_me_on_the_medicine_step_survives_a_profile_save(client, auth, db):
    patient = make_patient(profile=None)
    auth.login(patient.email)
    client.post("/profile", data={**PROFILE, "osteoporosis_medicine": ""})
    client.post("/bone-health/medicine", data={"state": "not_for_me", "detail": "Kidneys"})
    client.post("/profile", data=PROFILE)
    assert _row(db, patient, "medicine").state == "not_for_me"
