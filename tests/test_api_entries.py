"""POST/GET /api/v1/entries: idempotent by client UUID, JSON errors, CSRF by header."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pwa.models import CheckIn

from .conftest import make_checkin, make_patient, sign_in_with_csrf


def entry(patient, **overrides) -> dict:
    return {"id": str(uuid.uuid4()), "date": patient.today().isoformat(), "pain": 5, **overrides}


def rows(db) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def test_first_post_creates_201_and_repeat_answers_200_without_a_second_row(client, signed_in, db):
    body = entry(signed_in, locations=["lower_back"], fell=False, warning_signs=["fever"])
    first = client.post("/api/v1/entries", json=body)
    again = client.post("/api/v1/entries", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert rows(db) == 1
    assert first.json["id"] == again.json["id"] == body["id"]
    assert first.json["pain"] == 5 and first.json["fell"] is False
    assert first.json["warning_signs"] == ["fever"]
    assert first.json["warnings_raised"] == [{"sign": "fever", "tier": "urgent", "computed": False}]


def test_signed_out_answers_401_json(client):
    response = client.post("/api/v1/entries", json={"id": str(uuid.uuid4())})
    assert response.status_code == 401
    assert response.is_json and response.json["error"] == "not_signed_in"
    assert client.get("/api/v1/entries").status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pain": 11}, "pain"),
        ({"pain": -1}, "pain"),
        ({"pain": 4.5}, "pain"),
        ({"pain": "seven"}, "pain"),
        ({"pain": True}, "pain"),
        ({"pain": None}, "pain"),
        ({"minutes_walked": 1441}, "minutes_walked"),
        ({"minutes_walked": "long"}, "minutes_walked"),
        ({"notes": "x" * 2001}, "notes"),
        ({"date": "2026-02-30"}, "date"),
        ({"locations": "legs"}, "locations"),
        ({"warning_signs": ["not_a_sign"]}, "warning_signs"),
        ({"fell": "maybe"}, "fell"),
        ({"id": "not-a-uuid"}, "id"),
        ({"opioid_doses": [1, 2]}, "opioid_doses"),
    ],
)
def test_invalid_fields_answer_422_with_per_field_messages(client, signed_in, db, overrides, field):
    response = client.post("/api/v1/entries", json=entry(signed_in, **overrides))
    assert response.status_code == 422, response.json
    assert response.json["error"] == "validation"
    assert field in response.json["fields"] and response.json["fields"][field][0]
    assert rows(db) == 0


def test_a_date_in_the_patients_future_is_refused(client, signed_in):
    tomorrow = (signed_in.today() + timedelta(days=1)).isoformat()
    response = client.post("/api/v1/entries", json=entry(signed_in, date=tomorrow))
    assert response.status_code == 422 and "date" in response.json["fields"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ("pain=4", "text/plain")],
)
def test_malformed_bodies_answer_400_json(client, signed_in, body, content_type):
    response = client.post("/api/v1/entries", data=body, content_type=content_type)
    assert response.status_code == 400 and response.is_json


def test_list_filters_by_date_and_shows_only_own_entries(client, signed_in, db):
    today = signed_in.today()
    make_checkin(signed_in, date=today - timedelta(days=10))
    make_checkin(signed_in, date=today)
    make_checkin(make_patient(), date=today)
    response = client.get(f"/api/v1/entries?from={(today - timedelta(days=2)).isoformat()}")
    assert [e["date"] for e in response.json["entries"]] == [today.isoformat()]
    assert len(client.get("/api/v1/entries").json["entries"]) == 2
    assert client.get("/api/v1/entries?from=yesterday").status_code == 422


def test_unknown_api_routes_answer_json_not_html(client, signed_in):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json
    assert client.delete("/api/v1/entries").status_code == 405


def test_api_responses_are_not_cached(client, signed_in):
    assert client.get("/api/v1/entries").headers["Cache-Control"] == "no-store"


class TestWithCsrf:
    @pytest.fixture
    def app(self, csrf_app):
        return csrf_app

    def test_a_write_without_the_header_is_refused_in_json(self, client, app):
        patient = make_patient()
        sign_in_with_csrf(client, patient.email)
        response = client.post("/api/v1/entries", json=entry(patient))
        assert response.status_code == 400 and response.json["error"] == "csrf"

    def test_a_fresh_token_from_the_csrf_route_lets_the_write_through(self, client, app, db):
        patient = make_patient()
        sign_in_with_csrf(client, patient.email)
        token = client.get("/api/v1/csrf").json["csrf_token"]
        response = client.post(
            "/api/v1/entries", json=entry(patient), headers={"X-CSRFToken": token}
        )
        assert response.status_code == 201 and rows(db) == 1

    def test_signed_out_is_401_before_any_csrf_check(self, client, app):
        response = client.post("/api/v1/entries", json={})
        assert response.status_code == 401
