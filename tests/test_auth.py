"""Accounts: register, sign in and out, throttling, passwords, cookies, the users CLI."""

from datetime import timedelta

from sqlalchemy import select

from pwa.models import LoginThrottle, User, utcnow

from .conftest import PASSWORD, make_patient


def register(client, **overrides):
    data = {
        "name": "Anna Smith", "email": "Anna@Example.com", "password": PASSWORD,
        "confirm": PASSWORD, "timezone": "America/Chicago",
    }  # fmt: skip
    return client.post("/register", data={**data, **overrides})


def test_register_signs_in_and_asks_for_recovery_details(client, db):
    response = register(client)
    assert response.status_code == 302 and "/profile" in response.location
    user = db.session.scalar(select(User))
    assert (user.email, user.timezone, user.name) == (
        "anna@example.com",
        "America/Chicago",
        "Anna Smith",
    )
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/profile").status_code == 200


def test_register_form_errors_keep_what_was_typed(client, db):
    html = register(
        client, email="not-an-email", confirm="different", timezone="Mars/Base"
    ).get_data(as_text=True)
    assert 'id="email-error"' in html and 'id="confirm-error"' in html
    assert 'id="timezone-error"' in html
    assert 'value="Anna Smith"' in html and 'value="not-an-email"' in html
    assert db.session.scalar(select(User)) is None


def test_register_twice_with_one_address_says_so(client, db):
    make_patient(email="anna@example.com")
    html = register(client).get_data(as_text=True)
    assert "already an account" in html


def test_failed_sign_in_says_only_email_or_password_is_wrong(client, patient):
    wrong_password = client.post("/login", data={"email": patient.email, "password": "nope nope"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "nope nope"})
    message = "The e-mail address or the password is not right."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_sign_in_and_out(client, auth, patient):
    assert auth.login(patient.email).status_code == 302
    assert client.get("/checkin").status_code == 200
    auth.logout()
    assert client.get("/checkin").status_code == 302


def test_repeated_failures_slow_down_that_address_in_the_database(client, patient, db):
    for _ in range(5):
        client.post("/login", data={"email": patient.email, "password": "wrong password"})
    throttle = db.session.get(LoginThrottle, patient.email)
    assert throttle.failures == 5 and throttle.locked_until > utcnow()
    html = client.post("/login", data={"email": patient.email, "password": PASSWORD}).get_data(
        as_text=True
    )
    assert "Too many tries" in html  # even the right password waits
    throttle.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert (
        client.post("/login", data={"email": patient.email, "password": PASSWORD}).status_code
        == 302
    )
    assert db.session.get(LoginThrottle, patient.email) is None


def test_next_parameter_only_follows_local_paths(client, patient):
    data = {"email": patient.email, "password": PASSWORD}
    assert client.post("/login?next=/history", data=data).location == "/history"
    client.post("/logout")
    assert client.post("/login?next=https://evil.example/", data=data).location == "/"
    client.post("/logout")
    assert client.post("/login?next=//evil.example/x", data=data).location == "/"


def test_change_password(client, signed_in, db):
    bad = client.post(
        "/account/password",
        data={"current": "wrong one!", "new": "new password 1", "confirm": "new password 1"},
    )
    assert "That is not your current password." in bad.get_data(as_text=True)
    good = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "new password 1", "confirm": "new password 1"},
    )
    assert good.status_code == 302
    client.post("/logout")
    assert (
        client.post(
            "/login", data={"email": signed_in.email, "password": "new password 1"}
        ).status_code
        == 302
    )


def test_session_cookie_is_httponly_lax_and_secure_over_https(app, client, patient):
    response = client.post("/login", data={"email": patient.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client().post(
        "/login", data={"email": patient.email, "password": PASSWORD}, base_url="https://localhost"
    )
    cookies = secure.headers.getlist("Set-Cookie")
    assert any(c.startswith("__Host-session=") and "Secure" in c for c in cookies)


def test_users_create_command(runner, db):
    result = runner.invoke(
        args=["users", "create", "--email", "Clinic@Example.com", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.email == "clinic@example.com" and user.password_hash.startswith("$argon2id$")
    again = runner.invoke(
        args=["users", "create", "--email", "clinic@example.com", "--password", PASSWORD]
    )
    assert again.exit_code != 0 and "already exists" in again.output
