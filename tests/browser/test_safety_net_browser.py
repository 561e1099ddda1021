"""Issue 10 in real Chromium at 390 x 844: the screening gate, advice in view right after
ticking, the fall follow-up, remembered groups, the action page online and offline."""

import pytest
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import CheckIn, Profile, User

from .conftest import axe_violations, guard_loopback, sign_in
from .test_offline import wait_for_worker

pytestmark = pytest.mark.browser
SCREEN = 844


def in_view(locator) -> bool:
    """Wholly on screen, and not under the fixed bottom bar."""
    box = locator.bounding_box()
    bottom = locator.page.evaluate(
        """() => { const nav = document.querySelector('.has-bottom-nav .bottom-nav');
                   const fixed = nav && getComputedStyle(nav).position === 'fixed';
                   return fixed ? nav.getBoundingClientRect().top : window.innerHeight; }"""
    )
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= min(bottom, SCREEN)


def set_profile(live_server, patient_id: int, **fields) -> None:
    with live_server.app.app_context():
        user = db.session.get(User, patient_id)
        if user.profile is None:
            user.profile = Profile()
        for name, value in fields.items():
            setattr(user.profile, name, value)
        db.session.commit()


def page_screens(page) -> float:
    return page.evaluate("document.documentElement.scrollHeight") / SCREEN


def test_the_gate_and_save_are_on_the_first_screen(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/checkin")
    assert in_view(page.locator("#worried"))
    assert in_view(page.get_by_role("button", name="Save now"))
    assert page.locator("#worry-panel").is_hidden()
    page.locator("#pain-2").click()
    page.locator("label[for=worried-no]").click()
    page.get_by_role("button", name="Save now").click()
    page.get_by_role("heading", name="Check-in saved", level=1).wait_for()
    with live_server.app.app_context():
        assert db.session.scalar(select(CheckIn.worried)) is False


@pytest.mark.parametrize(
    ("label", "button"),
    [
        ("Face drooping, arm weakness, or trouble speaking", "Call 911"),
        ("Pain or swelling in a calf", "Call my clinic: 555-0100"),
        ("Side effects from a medicine", "Call my clinic: 555-0100"),
    ],
)
def test_advice_and_call_button_are_in_view_right_after_ticking(
    patient_page, live_server, label, button
):
    page = patient_page
    set_profile(live_server, page.patient.id, clinic_phone="555-0100")
    page.goto(live_server.url + "/checkin")
    page.locator("#pain-5").click()
    page.locator("label[for=worried-yes]").click()
    page.get_by_label(label).check()
    sign = page.locator(".sign", has=page.get_by_label(label))
    advice = sign.locator(".sign-advice")
    call = advice.get_by_role("link", name=button)
    assert advice.is_visible() and in_view(advice), advice.bounding_box()
    assert in_view(call) and call.get_attribute("href").startswith("tel:")
    assert axe_violations(page) == []


def test_the_fall_follow_up_shows_emergency_advice(patient_page, live_server):
    page = patient_page
    set_profile(live_server, page.patient.id, blood_thinner=True)
    page.goto(live_server.url + "/checkin")
    page.locator("label[for=worried-yes]").click()
    followup = page.locator(".fall-followup")
    assert followup.is_hidden()
    page.locator("label[for=fell-0]").click()  # Yes
    assert followup.is_visible()
    assert page.get_by_text("Asked because you take a blood thinner").is_visible()
    page.locator("label[for=fall_hit_head-0]").click()
    advice = page.locator("#fall_hit_head .sign-advice")
    assert in_view(advice) and "Call 911 now" in advice.inner_text()
    assert axe_violations(page) == []
    page.locator("#pain-4").click()
    page.get_by_role("button", name="Save now").click()
    page.get_by_role("heading", name="Call 911 now", level=1).wait_for()


def test_groups_open_as_the_patient_usually_opens_them(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/checkin")
    medicines = page.locator("details[data-group=medicines]")
    assert medicines.get_attribute("open") is None
    page.locator("summary", has_text="Medicines").click()
    bowel = page.get_by_text("Did you have a bowel movement today?")
    assert bowel.is_hidden()  # asked only on a day with opioid doses
    page.get_by_label("Opioid (for example oxycodone, tramadol)").fill("2")
    assert bowel.is_visible()
    page.reload()
    assert page.locator("details[data-group=medicines]").get_attribute("open") is not None
    assert page.locator("details[data-group=sleep]").get_attribute("open") is None


def test_without_javascript_the_checklist_is_simply_shown(browser, live_server):
    patient = live_server.create_patient()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    outside: list[str] = []
    guard_loopback(context, outside)
    page = context.new_page()
    sign_in(page, live_server.url, patient.email)
    page.goto(live_server.url + "/checkin")
    page.get_by_label("Fever of 38.0 °C (100.4 °F) or more, or chills").check()
    assert page.locator(".sign:has(#warning_signs-fever) .sign-advice").is_visible()
    context.close()
    assert outside == []


def test_works_at_200_percent_text(patient_page, live_server):
    page = patient_page
    page.goto(live_server.url + "/checkin")
    page.add_style_tag(content="html { font-size: 200% !important; }")
    page.locator("label[for=worried-yes]").click()
    page.get_by_label("New chest pain, or sudden shortness of breath").check()
    advice = page.locator(".sign:has(#warning_signs-chest_breath) .sign-advice")
    assert advice.is_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.goto(live_server.url + "/warning-signs")
    page.add_style_tag(content="html { font-size: 200% !important; }")
    # Nothing scrolls sideways: a call button wraps between its words, never inside a number.
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_the_action_page_is_one_tap_away_and_axe_clean(patient_page, live_server):
    page = patient_page
    set_profile(live_server, page.patient.id, clinic_phone="555-0100")
    page.goto(live_server.url + "/history")
    page.locator(".header-warning").click()
    page.get_by_role("heading", name="Warning signs: what to do now").wait_for()
    assert in_view(page.get_by_role("link", name="Call 911 (emergency)"))
    assert in_view(page.get_by_role("link", name="Call my clinic: 555-0100"))
    assert axe_violations(page) == []


def test_the_action_page_works_offline(patient_page, live_server, context):
    page = patient_page
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    context.set_offline(True)
    page.locator(".header-warning").click()
    page.get_by_role("heading", name="Warning signs: what to do now").wait_for()
    assert page.get_by_role("link", name="Call 911 (emergency)").get_attribute("href") == "tel:911"
    context.set_offline(False)


def test_report_the_check_in_height(patient_page, live_server, capsys):
    """Not a pass/fail rule: the figures the issue asks for (screens of 844 px at 390 px)."""
    page = patient_page
    page.goto(live_server.url + "/checkin")
    quick = page_screens(page)
    save_now = page.get_by_role("button", name="Save now").bounding_box()
    for group in page.locator("details[data-group]").all():
        group.evaluate("g => g.open = true")
    every_group = page_screens(page)
    page.locator("label[for=worried-yes]").click()
    with_checklist = page_screens(page)
    with capsys.disabled():
        print(
            f"\ncheck-in at 390x844: Save now bottom at {save_now['y'] + save_now['height']:.0f}px;"
            f" page {quick:.2f} screens (quick path), {every_group:.2f} with every group open,"
            f" {with_checklist:.2f} with the checklist open too"
        )
    assert save_now["y"] + save_now["height"] <= SCREEN
