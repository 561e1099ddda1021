"""The report page in real Chromium: accessible, works without JavaScript, prints like the PDF."""

from datetime import timedelta

import pytest

from pwa.extensions import db
from pwa.models import User

from ..test_report import known_diary, make_diary
from .conftest import axe_violations

pytestmark = pytest.mark.browser


def test_report_page_has_no_axe_violations_and_its_download_is_a_pdf(patient_page, live_server):
    page = patient_page
    with live_server.app.app_context():
        patient = db.session.get(User, page.patient.id)
        today = patient.today()
        make_diary(db, patient, today - timedelta(days=27), known_diary(), limited_activity=True)

    page.goto(f"{live_server.url}/report")
    assert page.locator("h1").inner_text() == "Report for your doctor"
    assert page.locator(".verdict").inner_text().startswith("Meaningful improvement")
    assert axe_violations(page) == []

    # The period picker works without JavaScript: a GET form.
    page.get_by_label("Last 2 weeks").check()
    page.get_by_role("button", name="Show this period").click()
    page.wait_for_load_state()
    assert "(14 days)" in page.locator(".report-period").inner_text()

    # A bad date is explained next to the field, and the page stays accessible.
    page.goto(f"{live_server.url}/report?preset=custom&from=2026-03-10&to=2026-03-01")
    assert "The first day is after the last day" in page.locator(".field-error").inner_text()
    assert axe_violations(page) == []

    page.goto(f"{live_server.url}/report")
    link = page.get_by_role("link", name="Download the report (PDF)")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    assert response.body().startswith(b"%PDF-")

    # Printing the preview (the offline fallback) leaves out the picker and the site chrome.
    page.emulate_media(media="print")
    assert not page.locator(".report-picker").is_visible()
    assert not page.locator(".site-header").is_visible()
    assert page.locator(".report-doc").is_visible()
