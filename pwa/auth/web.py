"""The web side of server sessions: which cookie holds what, and signing a browser in and out.

Flask's signed cookie carries the CSRF token, flashes and the session id `_sid`; the user is
signed in only while `pwa.auth.devices` finds a live row for that id. Both the session cookie
and the remember cookie are `Secure` with a `__Host-` name whenever the request came over HTTPS.
"""

from __future__ import annotations

from flask import Response, current_app, g, request, session
from flask_login import login_user, logout_user

from ..extensions import db, login_manager
from ..models import DeviceSession, User, utcnow
from .devices import (
    SessionPolicy,
    end_session,
    find_device,
    renew_remember,
    resume_device,
    start_device,
)

SESSION_ID = "_sid"
REMEMBER_COOKIE = "upright_remember"
LEGACY_REMEMBER_COOKIE = "remember_token"


def policy() -> SessionPolicy:
    return SessionPolicy.from_config(current_app.config)


def cookies_secure() -> bool:
    return bool(current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def remember_cookie_name() -> str:
    return f"__Host-{REMEMBER_COOKIE}" if cookies_secure() else REMEMBER_COOKIE


def current_device() -> DeviceSession | None:
    return g.get("device")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a live server session; None once it was signed out, idle or too old."""
    device = find_device(db.session, session.get(SESSION_ID), now=utcnow(), policy=policy())
    if device is None or str(device.user_id) != user_id:
        return None
    g.device = device
    return device.user


@login_manager.request_loader
def load_remembered_user(_request) -> User | None:
    """A remembered browser whose session lapsed comes back with new ids (old token spent)."""
    token = request.cookies.get(remember_cookie_name())
    if not token:
        return None
    issued = resume_device(db.session, token, now=utcnow(), policy=policy())
    if issued is None:
        # Spent, revoked or expired. The cookie is left alone: when two requests of one browser
        # race with the same token, deleting it here could erase the winner's new one.
        return None
    session["_user_id"] = str(issued.device.user_id)
    session[SESSION_ID] = issued.session_id
    g.device = issued.device
    g.remember_cookie = issued.remember_token
    return issued.device.user


def sign_in(user: User, *, remember: bool) -> None:
    """A fresh session: the old cookie's contents go (new CSRF token), new random ids."""
    issued = start_device(
        db.session,
        user,
        user_agent=request.headers.get("User-Agent", ""),
        remember=remember,
        now=utcnow(),
        policy=policy(),
    )
    db.session.commit()
    _fresh_session()
    login_user(user)
    session[SESSION_ID] = issued.session_id
    g.device = issued.device
    g.remember_cookie = issued.remember_token or ""


def sign_out() -> None:
    """Ends this browser's session on the server at once; the CSRF token is renewed too."""
    end_session(db.session, session.get(SESSION_ID))
    db.session.commit()
    logout_user()
    _fresh_session()
    g.remember_cookie = ""


def _fresh_session() -> None:
    """Empties the session cookie; the CSRF token is made anew on next use (not reused from g)."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def keep_this_device_after_password_change(device: DeviceSession | None) -> None:
    """This browser stays signed in; its remember token (if any) is replaced."""
    if device is not None:
        token = renew_remember(device, now=utcnow(), policy=policy())
        if token:
            g.remember_cookie = token


def write_remember_cookie(response: Response) -> Response:
    """Sets or clears the remember cookie when this request changed it."""
    token = g.get("remember_cookie")
    if token is None:
        return response
    name, secure = remember_cookie_name(), cookies_secure()
    if token:
        response.set_cookie(
            name,
            token,
            max_age=int(policy().remember.total_seconds()),
            path="/",
            secure=secure,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
    return response


def forget_request_state() -> None:
    """g can outlive a request (tests hold one app context): nothing carries over."""
    g.pop("device", None)
    g.pop("remember_cookie", None)


def drop_legacy_cookie(response: Response) -> Response:
    """The old Flask-Login remember cookie (user id and a fixed signature) is no longer honoured."""
    if LEGACY_REMEMBER_COOKIE in request.cookies:
        response.delete_cookie(LEGACY_REMEMBER_COOKIE)
    return response
