"""Installable and offline, in real Chromium: install checks, offline library, updates."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from .conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, axe_violations, guard_loopback

pytestmark = pytest.mark.browser

PATIENT_PATHS = ("/", "/checkin", "/history", "/appointments", "/report", "/profile")
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def wait_for_worker(page) -> None:
    """Until the worker has stored the precache list and controls the page."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)


def until(page, script: str, timeout: float = 10.0):
    """Evaluates `script` (may return a promise) until it is truthy; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (value := page.evaluate(script)):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script}"
        page.wait_for_timeout(100)
    return value


def cached_paths(page) -> list[str]:
    return page.evaluate(
        """async () => {
          const paths = [];
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) {
              const url = new URL(request.url);
              paths.push(url.pathname + url.search);
            }
          }
          return paths;
        }"""
    )


def worker_version(page) -> str:
    return page.evaluate(
        """() => new Promise((resolve) => {
          navigator.serviceWorker.addEventListener('message', (e) => resolve(e.data.version),
                                                  { once: true });
          navigator.serviceWorker.controller.postMessage({ type: 'version' });
        })"""
    )


def test_chrome_finds_the_app_installable_and_our_button_opens_its_prompt(
    playwright_instance, live_server, tmp_path
):
    # Chrome checks installability only in a persistent profile.
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, "--bypass-app-banner-engagement-checks"],
        viewport=PHONE,
    )
    outside: list[str] = []
    guard_loopback(context, outside)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.add_init_script(
            """BeforeInstallPromptEvent.prototype.prompt = function () {
                 window.__installPrompted = true; return Promise.resolve(); };"""
        )
        page.goto(live_server.url + "/")
        wait_for_worker(page)
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []

        banner = page.locator("#install-banner")
        expect(banner).to_be_visible()
        banner.get_by_role("button", name="Add to home screen").click()
        until(page, "window.__installPrompted === true")

        # "Not now" keeps the banner away on the next pages.
        page.goto(live_server.url + "/learn/")
        expect(banner).to_be_visible()
        banner.get_by_role("button", name="Not now").click()
        expect(banner).to_be_hidden()
        page.goto(live_server.url + "/learn/osteoporosis")
        page.wait_for_timeout(300)
        expect(banner).to_be_hidden()
    finally:
        context.close()
    assert outside == []


def test_iphone_visitors_get_the_illustrated_how_to(browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, user_agent=IPHONE_UA)
    outside: list[str] = []
    guard_loopback(context, outside)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        banner = page.locator("#install-banner")
        expect(banner).to_be_visible()
        expect(banner.get_by_role("button", name="Add to home screen")).to_be_hidden()
        banner.get_by_role("link", name="Show me how").click()
        page.wait_for_url("**/install#iphone")
        steps = page.locator("#iphone ol.howto-steps > li")
        expect(steps).to_have_count(3)
        expect(steps.nth(0)).to_contain_text("Share")
        expect(steps.nth(1)).to_contain_text("Add to Home Screen")
        assert page.locator("#iphone svg.howto-picture").count() == 3
        assert axe_violations(page) == []
    finally:
        context.close()
    assert outside == []


def test_after_one_visit_the_library_works_in_airplane_mode_and_patient_pages_are_never_cached(
    patient_page, live_server, context
):
    page = patient_page
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    precache = page.evaluate("fetch('/offline/precache.json').then(r => r.json())")["precache"]
    for path in ("/history", "/checkin", "/appointments", "/profile"):
        page.goto(live_server.url + path)  # visited online: must still not be stored
    page.goto(live_server.url + "/learn/kyphoplasty")

    stored = cached_paths(page)
    assert sorted(set(stored)) == sorted(precache)
    assert not set(stored) & set(PATIENT_PATHS)
    assert not [path for path in stored if path.startswith("/api/")]
    assert len(page.evaluate("caches.keys()")) == 1

    context.set_offline(True)
    library = [path for path in precache if path.startswith("/learn/")]
    assert len(library) > 10
    for path in library:
        response = page.goto(live_server.url + path)
        assert response.ok and response.from_service_worker, path
        expect(page.locator("h1")).to_be_visible()
        broken = page.evaluate(
            "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length"
        )
        assert broken == 0, path

    # Search runs on the phone from the precached index.
    page.goto(live_server.url + "/learn/")
    page.fill("input[name=q]", "cement")
    results = page.locator("[data-search-list]").get_by_role("link", name=re.compile("plasty"))
    expect(results).not_to_have_count(0)

    # Any other page: the offline page, saying what still works.
    for path in ("/history", "/report", "/profile"):
        page.goto(live_server.url + path)
        expect(page.locator("h1")).to_have_text("You are offline")
    assert axe_violations(page) == []

    page.goto(live_server.url + "/checkin")
    expect(page.locator("form[data-offline-form=entries] input[name=pain]")).to_have_count(11)
    assert page.input_value("input[name=date]")  # filled in with the phone's date
    assert re.fullmatch(r"[0-9a-f-]{36}", page.input_value("input[name=id]"))
    assert axe_violations(page) == []


def test_library_pages_are_refreshed_in_the_background(page, live_server):
    served = {"n": 0}
    inner = live_server.app.wsgi_app

    def marking(environ, start_response):
        # Each answer for the article carries a new marker, so we can tell copies apart.
        if environ["PATH_INFO"] == "/learn/osteoporosis":
            served["n"] += 1
            body = b"".join(inner(environ, start_response))
            return [body.replace(b"</main>", f"<p id=marker>{served['n']}</p></main>".encode())]
        return inner(environ, start_response)

    live_server.app.wsgi_app = marking
    page.goto(live_server.url + "/learn/")
    wait_for_worker(page)
    precached = served["n"]
    assert precached >= 1

    response = page.goto(live_server.url + "/learn/osteoporosis")
    assert response.from_service_worker
    expect(page.locator("#marker")).to_have_text(str(precached))  # the stored copy, at once
    until(
        page,
        "caches.match('/learn/osteoporosis').then(c => c && c.text())"
        f".then(t => t && t.includes('id=marker>{precached + 1}<'))",
    )
    page.goto(live_server.url + "/learn/osteoporosis")
    expect(page.locator("#marker")).to_have_text(str(precached + 1))  # refreshed copy


def test_a_new_version_offers_a_reload_and_replaces_the_old_cache(page, live_server):
    page.goto(live_server.url + "/learn/")
    wait_for_worker(page)
    old_version = worker_version(page)
    old_caches = page.evaluate("caches.keys()")
    banner = page.locator("#update-banner")
    expect(banner).to_be_hidden()

    live_server.app.config["APP_VERSION"] = "9.9.9"  # a deployment
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("A new version is ready")
    with page.expect_navigation():
        banner.get_by_role("button", name="Reload now").click()
    wait_for_worker(page)
    new_version = worker_version(page)
    assert new_version != old_version and new_version.startswith("9.9.9-")
    expect(page.locator("#update-banner")).to_be_hidden()
    new_caches = page.evaluate("caches.keys()")
    assert new_caches == [f"upright-{new_version}"] and new_caches != old_caches
    assert "9.9.9" in page.locator(".footer-small").inner_text()


def test_offline_pages_are_accessible(page, live_server):
    for path in ("/offline", "/offline/saved", "/offline/appointments", "/install"):
        page.goto(live_server.url + path)
        assert axe_violations(page) == [], path
