"""The report's bone-health box in real Chromium on a phone: readable, accessible."""

from datetime import timedelta

import pytest

from pwa.extensions import db
from pwa.models import BoneCheckItem, CheckIn, HeightMeasurement, User

from .conftest import axe_violations

pytestmark = pytest.mark.browser


def test_the_bone_health_box_on_the_preview_is_accessible(patient_page, live_server):
    page = patient_page
    with live_server.app.app_context():
        patient = db.session.get(User, page.patient.id)
        today = patient.today()
        patient.profile.fracture_date = today - timedelta(weeks=13)
        patient.profile.osteoporosis_medicine = "Prolia"
        patient.profile.tallest_height_mm = 1700
        for i in range(5):
            db.session.add(
                CheckIn(
                    user_id=patient.id, date=today - timedelta(days=i), pain_avg=5,
                    vitamin_d_taken=i < 3, fell=i == 2,
                )
            )  # fmt: skip
        for days_ago, mm in ((80, 1650), (1, 1625)):
            db.session.add(
                HeightMeasurement(
                    user_id=patient.id, measured_on=today - timedelta(days=days_ago),
                    height_mm=mm, place="clinic",
                )
            )  # fmt: skip
        db.session.add(BoneCheckItem(user_id=patient.id, item="falls_review", state="done"))
        db.session.commit()

    page.goto(f"{live_server.url}/report")

    box = page.locator("section.bone")
    assert box.is_visible()
    text = box.inner_text()
    assert "none recorded in the 13 weeks since the fracture" in text
    assert "Prolia (denosumab): in the profile, not on the medicine list" in text
    assert "vitamin D taken 3 of 5 days logged" in text and "Falls in this period: 1" in text
    assert "2.5 cm less than the first" in text and "falls review Done" in text
    assert (
        "No bone density scan recorded in the 13 weeks" in page.locator(".alert-list").inner_text()
    )
    assert axe_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]  # no sideways scrolling on a phone
