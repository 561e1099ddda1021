"""The pages every patient meets first, in real Chromium, checked by axe-core."""

import pytest

from .conftest import axe_violations

pytestmark = pytest.mark.browser


def test_welcome_and_sign_in_pages_have_no_axe_violations(page, live_server):
    for path in ["/", "/login", "/register"]:
        page.goto(live_server.url + path)
        assert axe_violations(page) == [], path


def test_signed_in_pages_have_no_axe_violations(patient_page, live_server):
    for path in ["/", "/profile", "/account", "/account/password", "/logout"]:
        patient_page.goto(live_server.url + path)
        assert axe_violations(patient_page) == [], path
