"""Typeface and text size (issue 17): Atkinson Hyperlegible on every page, and the in-app size."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, axe_violations, guard_loopback, sign_in

pytestmark = pytest.mark.browser

# Records the text size attribute at the moment <body> is parsed: before anything is drawn.
FIRST_PAINT_PROBE = """
new MutationObserver((records, observer) => {
  if (document.body) {
    window.__sizeAtBody = document.documentElement.dataset.textSize || 'normal';
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


def root_px(page) -> float:
    return float(page.evaluate("getComputedStyle(document.documentElement).fontSize")[:-2])


def test_pages_use_atkinson_hyperlegible_from_our_own_woff2(page, live_server):
    fonts: list[str] = []
    page.on("request", lambda r: fonts.append(r.url) if "/fonts/" in r.url else None)
    page.goto(live_server.url + "/learn/kyphoplasty")
    page.evaluate("document.fonts.ready")
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert family.startswith('"Atkinson Hyperlegible"')
    assert page.evaluate("""() => [...document.fonts].filter((f) => f.status === 'loaded')
        .some((f) => f.family.includes('Atkinson') && f.weight === '400')""")
    assert fonts and all(url.endswith(".woff2") for url in fonts)


def test_the_text_size_is_remembered_and_applied_before_the_first_paint(patient_page, live_server):
    page = patient_page
    page.add_init_script(FIRST_PAINT_PROBE)
    page.goto(live_server.url + "/more")
    normal = root_px(page)
    control = page.get_by_role("group", name="Text size on this phone")
    expect(control).to_be_visible()
    control.get_by_label("Larger").check()
    assert root_px(page) > normal * 1.4
    assert axe_violations(page) == []

    page.goto(live_server.url + "/history")
    assert page.evaluate("window.__sizeAtBody") == "larger"
    assert root_px(page) > normal * 1.4
    page.goto(live_server.url + "/account")
    expect(page.get_by_label("Larger")).to_be_checked()
    page.get_by_label("Normal").check()
    page.goto(live_server.url + "/")
    assert page.evaluate("window.__sizeAtBody") == "normal" and root_px(page) == normal


def test_without_javascript_the_default_size_and_no_dead_control(browser, live_server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    outside: list[str] = []
    guard_loopback(context, outside)
    page = context.new_page()
    patient = live_server.create_patient()
    sign_in(page, live_server.url, patient.email)
    page.goto(live_server.url + "/more")
    expect(page.get_by_role("group", name="Text size on this phone")).to_be_hidden()
    assert root_px(page) == 18
    context.close()
    assert outside == []
