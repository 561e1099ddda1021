"""Every write of issue 16 (data, sharing, caregivers) refuses a request without the CSRF token."""

from __future__ import annotations

import re

from pwa.extensions import db
from pwa.models import User

from .conftest import make_patient, sign_in_with_csrf

BLUEPRINTS = ("data.", "sharing.", "caregivers.", "care.")


def test_every_post_route_needs_the_csrf_token(csrf_app):
    patient = make_patient()
    client = csrf_app.test_client()
    sign_in_with_csrf(client, patient.email)
    checked = []
    for rule in csrf_app.url_map.iter_rules():
        if not rule.endpoint.startswith(BLUEPRINTS) or "POST" not in rule.methods:
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        response = client.post(path, data={"password": "x", "confirm": "DELETE MY ACCOUNT"})
        assert response.status_code == 400, (path, response.status_code)
        checked.append(path)
    assert len(checked) >= 9
    assert db.session.get(User, patient.id) is not None
