"""Server-side sessions (issue 14): sign-out ends the session on the server, idle and absolute
limits, remember tokens that rotate, the devices list, password changes evict other devices."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from pwa.auth.devices import describe_agent, digest
from pwa.models import DeviceSession, utcnow

from .conftest import PASSWORD

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def sign_in(client, email, remember=False, agent=PHONE, **kwargs):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, headers={"User-Agent": agent}, **kwargs)


def cookie(client, name, domain="localhost"):
    found = client.get_cookie(name, domain=domain)
    return found.value if found else None


def copy_cookies(source, target, *names):
    for name in names:
        value = cookie(source, name)
        if value is not None:
            target.set_cookie(name, value)


def test_a_session_cookie_copied_before_sign_out_no_longer_works(app, client, patient):
    sign_in(client, patient.email)
    thief = app.test_client()
    copy_cookies(client, thief, "session")
    assert thief.get("/checkin").status_code == 200
    client.post("/logout")
    assert thief.get("/checkin").status_code == 302
    assert thief.get("/api/v1/entries").status_code == 401


def test_the_session_id_is_random_stored_hashed_and_new_at_each_sign_in(app, client, patient, db):
    sign_in(client, patient.email)
    first = client.get_cookie("session").value
    (row,) = db.session.scalars(select(DeviceSession)).all()
    assert len(row.session_hash) == 64
    client.post("/logout")
    sign_in(client, patient.email)
    assert client.get_cookie("session").value != first
    assert db.session.scalar(select(DeviceSession)).session_hash != row.session_hash


def test_a_session_ends_after_idle_time_and_after_its_absolute_lifetime(app, client, patient, db):
    sign_in(client, patient.email)
    row = db.session.scalar(select(DeviceSession))
    row.last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=1)
    db.session.commit()
    assert client.get("/checkin").status_code == 302

    sign_in(client, patient.email)
    row = db.session.scalar(select(DeviceSession).order_by(DeviceSession.id.desc()))
    row.session_started_at = utcnow() - timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    db.session.commit()
    assert client.get("/checkin").status_code == 302


def test_the_csrf_token_is_renewed_at_sign_in_and_sign_out(csrf_app, patient):
    client = csrf_app.test_client()

    def token() -> str:
        page = client.get("/login").get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]

    before = token()
    client.post("/login", data={"email": patient.email, "password": PASSWORD, "csrf_token": before})
    page = client.get("/logout").get_data(as_text=True)
    during = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert during != before
    client.post("/logout", data={"csrf_token": during})
    assert client.get("/checkin").status_code == 302
    assert token() not in (before, during)


def test_a_remembered_device_comes_back_with_a_new_token_each_time(app, client, patient, db):
    sign_in(client, patient.email, remember=True)
    first = cookie(client, "upright_remember")
    assert first and db.session.scalar(select(DeviceSession)).remember_hash == digest(first)
    client.delete_cookie("session")  # the browser was closed; the session cookie is gone
    assert client.get("/checkin").status_code == 200
    second = cookie(client, "upright_remember")
    assert second and second != first

    replay = app.test_client()  # the old token was spent: a copy of it signs no one in
    replay.set_cookie("upright_remember", first)
    assert replay.get("/checkin").status_code == 302


def test_sign_out_revokes_the_remember_token(app, client, patient):
    sign_in(client, patient.email, remember=True)
    token = cookie(client, "upright_remember")
    client.post("/logout")
    assert cookie(client, "upright_remember") is None
    later = app.test_client()
    later.set_cookie("upright_remember", token)
    assert later.get("/checkin").status_code == 302


def test_over_https_both_cookies_are_secure_with_host_names_and_hsts_is_sent(app, patient):
    client = app.test_client()
    response = sign_in(client, patient.email, remember=True, base_url="https://localhost")
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("__Host-upright_remember="))
    session = next(c for c in cookies if c.startswith("__Host-session="))
    for value in (remember, session):
        assert "Secure" in value and "HttpOnly" in value and "Path=/" in value
        assert "Domain" not in value
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    page = client.get("/checkin", base_url="https://localhost")
    assert page.status_code == 200
    plain = app.test_client().get("/login")
    assert "Strict-Transport-Security" not in plain.headers


def test_pages_with_patient_data_are_not_stored(client, signed_in):
    for path in ["/", "/checkin", "/history", "/account", "/api/v1/entries", "/report"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"], path


def test_changing_the_password_signs_out_every_other_device_and_remember_token(
    app, client, patient, db
):
    other = app.test_client()
    sign_in(other, patient.email, remember=True, agent=IPHONE)
    other_remember = cookie(other, "upright_remember")
    sign_in(client, patient.email, remember=True)
    mine = cookie(client, "upright_remember")
    changed = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a new long phrase", "confirm": "a new long phrase"},
    )
    assert changed.status_code == 302
    assert client.get("/checkin").status_code == 200  # this device stays signed in
    assert cookie(client, "upright_remember") not in (None, mine)  # with a new token
    assert other.get("/checkin").status_code == 302
    replay = app.test_client()
    replay.set_cookie("upright_remember", other_remember)
    assert replay.get("/checkin").status_code == 302
    assert len(db.session.scalars(select(DeviceSession)).all()) == 1


def test_the_account_page_lists_devices_and_signs_one_out(app, client, patient):
    phone = app.test_client()
    sign_in(phone, patient.email, agent=IPHONE)
    sign_in(client, patient.email)
    html = client.get("/account").get_data(as_text=True)
    assert "Chrome on Android (this device)" in html and "Safari on an iPhone" in html
    assert "Last used" in html
    form = r'/account/devices/(\d+)/sign-out"[^>]*>\s*<input[^>]*>\s*<button[^>]*>Sign out that'
    device_id = re.search(form, html)[1]
    assert client.post(f"/account/devices/{device_id}/sign-out").status_code == 302
    assert phone.get("/checkin").status_code == 302
    assert client.get("/checkin").status_code == 200


def test_a_patient_cannot_sign_out_another_patients_device(app, client, patient, db):
    from .conftest import make_patient

    stranger = make_patient()
    theirs = app.test_client()
    sign_in(theirs, stranger.email)
    their_device = db.session.scalar(
        select(DeviceSession).where(DeviceSession.user_id == stranger.id)
    )
    sign_in(client, patient.email)
    client.post(f"/account/devices/{their_device.id}/sign-out")
    assert theirs.get("/checkin").status_code == 200


def test_sign_out_everywhere_ends_every_session(app, client, patient):
    phone = app.test_client()
    sign_in(phone, patient.email, remember=True)
    sign_in(client, patient.email)
    response = client.post("/account/devices/sign-out-everywhere")
    assert response.status_code == 302
    assert client.get("/checkin").status_code == 302
    phone.delete_cookie("session")
    assert phone.get("/checkin").status_code == 302


def test_browsers_are_named_in_plain_words():
    assert describe_agent(PHONE) == "Chrome on Android"
    assert describe_agent(IPHONE) == "Safari on an iPhone"
    assert (
        describe_agent(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
        )
        == "Firefox on Windows"
    )  # noqa: E501
    assert describe_agent("") == "An unknown browser"


def test_one_remember_token_used_twice_at_once_resumes_only_once(app, client, patient):
    from concurrent.futures import ThreadPoolExecutor

    from pwa.auth.devices import SessionPolicy, resume_device
    from pwa.extensions import db as _db

    sign_in(client, patient.email, remember=True)
    token = cookie(client, "upright_remember")

    def resume(_n: int) -> bool:
        with app.app_context():
            try:
                return resume_device(_db.session, token, now=utcnow(), policy=SessionPolicy())
            finally:
                _db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        resumed = [r for r in pool.map(resume, range(8)) if r is not None]
    assert len(resumed) == 1
