def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_welcome_page_for_visitors(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Create an account" in response.data
