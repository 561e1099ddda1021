"""The bone-health checklist (issue 12 point 1): the scan date's one truth, the page, its
seeding from the profile, the home card."""

from __future__ import annotations

from datetime import date

from pwa.bone.checklist import dexa_date
from pwa.models import BoneCheckItem

from .conftest import make_patient


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
