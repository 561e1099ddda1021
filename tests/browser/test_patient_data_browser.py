"""Your data in real Chromium at 390 px: the export download, deleting the account, a doctor's
link opened in another browser. Each page axe-clean and without sideways scrolling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import PASSWORD, make_checkin
from .conftest import axe_violations, guard_loopback

pytestmark = pytest.mark.browser


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_json_export_downloads_and_reads_back(patient_page, live_server):
    page = patient_page
    page.goto(f"{live_server.url}/account/data")
    assert page.locator("h1").inner_text() == "Your data"
    assert axe_violations(page) == [] and fits_the_phone(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download a copy to keep (JSON)").click()
    download = info.value
    assert download.suggested_filename.startswith("upright-export-")
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["format"] == "upright-export" and data["version"] == 1
    assert data["account"]["email"] == page.patient.email

    page.goto(f"{live_server.url}/account/access-log")
    assert "JSON file" in page.locator("main").inner_text()
    assert axe_violations(page) == []


def test_deleting_the_account_asks_twice_then_clears_the_browser(patient_page, live_server):
    page = patient_page
    page.goto(f"{live_server.url}/account/delete")
    page.wait_for_function("() => self.UprightSync !== undefined")
    page.evaluate("() => self.UprightSync.setMeta('probe', 'kept on this phone')")
    assert axe_violations(page) == [] and fits_the_phone(page)

    page.get_by_label("Your password").fill("not my password")
    page.get_by_label("Type DELETE MY ACCOUNT to confirm").fill("DELETE MY ACCOUNT")
    page.get_by_role("button", name="Delete my account and all my data").click()
    page.wait_for_load_state()
    assert "That is not your password." in page.locator(".field-error").inner_text()
    assert axe_violations(page) == []

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Type DELETE MY ACCOUNT to confirm").fill("delete my account")
    page.get_by_role("button", name="Delete my account and all my data").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Your account is deleted"
    page.wait_for_selector("[data-cleared='1']")
    left = page.evaluate(
        """() => new Promise((resolve) => {
             const open = indexedDB.open('upright');
             open.onsuccess = () => {
               const db = open.result;
               const names = Array.from(db.objectStoreNames);
               if (!names.length) { resolve(0); return; }
               const tx = db.transaction(names);
               let total = 0;
               names.forEach((n) => {
                 tx.objectStore(n).count().onsuccess = (e) => { total += e.target.result; };
               });
               tx.oncomplete = () => resolve(total);
             };
           })"""
    )
    assert left == 0
    assert axe_violations(page) == [] and fits_the_phone(page)
    page.goto(f"{live_server.url}/history")
    assert "/login" in page.url


def test_a_doctor_opens_the_shared_link_in_another_browser(patient_page, live_server, browser):
    page = patient_page
    with live_server.app.app_context():
        from pwa.extensions import db
        from pwa.models import User

        make_checkin(db.session.get(User, page.patient.id), pain_avg=4)
    page.goto(f"{live_server.url}/share")
    assert axe_violations(page) == [] and fits_the_phone(page)
    page.get_by_label("Last 2 weeks").check()
    page.get_by_label("How many days should the link work?").fill("3")
    page.get_by_role("button", name="Make the link").click()
    page.wait_for_load_state()
    url = page.locator(".share-url a").inner_text()
    assert page.locator(".share-qr-box svg").count() == 1
    assert axe_violations(page) == [] and fits_the_phone(page)

    doctor = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    outside: list[str] = []
    guard_loopback(doctor, outside)
    try:
        tab = doctor.new_page()
        response = tab.goto(url)
        assert response.status == 200 and "noindex" in response.headers["x-robots-tag"]
        assert page.patient.name in tab.locator(".share-banner").inner_text()
        assert tab.locator("form").count() == 0
        assert axe_violations(tab) == []
        assert fits_the_phone(tab)
    finally:
        doctor.close()
    assert outside == []

    page.goto(f"{live_server.url}/share")
    assert "Opened 1 time" in page.locator("main").inner_text()


def test_a_caregiver_follows_the_patient_read_only(patient_page, live_server, browser):
    page = patient_page
    carer = live_server.create_patient(name="Carol Carer", profile=None)
    with live_server.app.app_context():
        from pwa.extensions import db
        from pwa.models import User

        make_checkin(db.session.get(User, page.patient.id), pain_avg=5, notes="stiff today")
    live_server.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # no mail server here
    page.goto(f"{live_server.url}/caregivers")
    assert axe_violations(page) == [] and fits_the_phone(page)
    page.get_by_label("Your caregiver's e-mail address").fill(carer.email)
    page.get_by_label("They may enter a check-in for me").check()
    page.get_by_role("button", name="Send the invitation").click()
    page.wait_for_load_state()
    invitation = page.locator(".share-url a").inner_text()
    assert axe_violations(page) == [] and fits_the_phone(page)

    other = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    outside: list[str] = []
    guard_loopback(other, outside)
    try:
        tab = other.new_page()
        tab.goto(f"{live_server.url}/login")
        tab.fill("input[name=email]", carer.email)
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_load_state()
        tab.goto(invitation)
        assert axe_violations(tab) == []
        tab.get_by_role("button", name="Accept as Carol Carer").click()
        tab.wait_for_load_state()
        assert page.patient.name in tab.locator("h1").inner_text()
        assert axe_violations(tab) == [] and fits_the_phone(tab)
        tab.get_by_role("link", name=f"History of {page.patient.name}").click()
        tab.wait_for_load_state()
        assert "stiff today" in tab.locator("main").inner_text()
        assert axe_violations(tab) == [] and fits_the_phone(tab)
        tab.get_by_role("link", name=f"Report of {page.patient.name}").click()
        tab.wait_for_load_state()
        assert axe_violations(tab) == []
    finally:
        other.close()
    assert outside == []

    page.goto(f"{live_server.url}/account/access-log")
    assert "A caregiver looked at the diary" in page.locator("main").inner_text()
