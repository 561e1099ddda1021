"""Real headless Chromium (Debian's package) driven by Playwright against a live server.

Fixtures:
- `live_server`: the app on a loopback port, CSRF on, with its own database; `.url`, `.app`.
- `browser`: one Chromium for the session. `context` and `page`: a fresh phone-sized profile
  per test, in which any request that leaves the loopback is blocked and fails the test.
- `patient_page`: a page already signed in as a new patient (returned with `.patient`).
- `axe_violations(page)`: axe-core's violations on the current page, as readable strings.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from pwa import create_app
from pwa.extensions import db

from ..conftest import PASSWORD, config_for, make_patient

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@dataclass
class LiveServer:
    app: Flask
    url: str

    def create_patient(self, **overrides):
        """A saved patient, returned as plain attributes usable outside the app context."""
        with self.app.app_context():
            patient = make_patient(**overrides)
            return SimpleNamespace(
                id=patient.id, email=patient.email, name=patient.name, timezone=patient.timezone
            )


def _serve(app: Flask):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def live_app(tmp_path) -> Flask:
    app = create_app(config_for(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def live_server(live_app):
    server, thread = _serve(live_app)
    yield LiveServer(live_app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=5)
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it.")
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def guard_loopback(context, outside: list[str]) -> None:
    """Aborts and records every request to a host other than this machine."""

    def route(route):
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", route)


@pytest.fixture
def context(browser):
    outside: list[str] = []
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    context.set_default_timeout(10_000)
    guard_loopback(context, outside)
    yield context
    context.close()
    assert outside == [], f"requests left the loopback: {outside}"


@pytest.fixture
def page(context):
    return context.new_page()


def sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def patient_page(page, live_server):
    patient = live_server.create_patient()
    sign_in(page, live_server.url, patient.email)
    page.patient = patient
    return page


_axe = Axe()


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as 'rule: target' lines, empty when clean."""
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
    ]
