"""The OpenAPI 3.1 document is valid and describes every /api/v1 route the app registers."""

import re

from openapi_spec_validator import validate


def flask_rule_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_openapi_document_is_valid_3_1(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_and_method_is_described(app, client):
    document = client.get("/api/v1/openapi.json").json
    described = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    registered = {
        (flask_rule_to_openapi(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert registered - described == set(), "routes missing from the OpenAPI document"
    assert described - registered == set(), "documented routes that do not exist"
