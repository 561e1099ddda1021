"""The account e-mails: confirm your address, reset your password, someone used your address.

Each is one plain-text and HTML message with at most one link; links start with PUBLIC_URL.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from flask import current_app, render_template, url_for

from ..mail import MailSettings, UndeliverableAddress, make_message, send_later
from ..models import User
from .links import RESET, VERIFY, make_token

log = logging.getLogger(__name__)


def _link(endpoint: str, token: str) -> str:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return base + url_for(endpoint, token=token)


def _message(user: User, subject: str, **context) -> EmailMessage | None:
    """The message, or None (and a log line) for an address no mail server could be given:
    the page the patient is on must not fail for it."""
    context = {"subject": subject, "name": user.name, "lines": [], "after": [], **context}
    try:
        return _build(user, subject, context)
    except UndeliverableAddress as error:
        log.warning("account e-mail to user %s not built: %s", user.id, error)
        return None


def _build(user: User, subject: str, context: dict) -> EmailMessage:
    return make_message(
        MailSettings.from_config(current_app.config),
        to_name=user.name,
        to_email=user.email,
        subject=subject,
        text=render_template("auth/email/message.txt", **context),
        html=render_template("auth/email/message.html", **context),
    )


def _send(message: EmailMessage | None) -> None:
    if message is not None:
        send_later(MailSettings.from_config(current_app.config), message)


def send_verification(user: User) -> None:
    hours = current_app.config["VERIFY_LINK_HOURS"]
    token = make_token(current_app.config["SECRET_KEY"], user, VERIFY)
    _send(
        _message(
            user,
            "Please confirm your e-mail address",
            lines=[
                "Welcome to Upright. Please confirm that this is your e-mail address.",
                "Reminder e-mails start once it is confirmed.",
            ],
            link=_link("auth.verify_email", token),
            button="Confirm my e-mail address",
            after=[
                f"The link works once, for {hours // 24} days.",
                "If you did not create an account with Upright, you can ignore this e-mail.",
            ],
        )
    )


def send_reset(user: User) -> None:
    minutes = current_app.config["RESET_LINK_MINUTES"]
    token = make_token(current_app.config["SECRET_KEY"], user, RESET)
    _send(
        _message(
            user,
            "Choose a new password for Upright",
            lines=["Someone, probably you, asked to choose a new password for Upright."],
            link=_link("auth.reset_password", token),
            button="Choose a new password",
            after=[
                f"The link works once, for {minutes} minutes. Using it signs you out everywhere.",
                "If you did not ask for this, you can ignore this e-mail: nothing changes.",
            ],
        )
    )


def send_someone_registered(user: User) -> None:
    _send(
        _message(
            user,
            "Someone tried to create an Upright account with your address",
            lines=[
                "Someone tried to create a new Upright account with your e-mail address. "
                "You already have an account, so nothing was created.",
                "If this was you, sign in as usual. If you forgot your password, choose a new "
                "one with the link below.",
            ],
            link=current_app.config["PUBLIC_URL"].rstrip("/") + url_for("auth.forgot_password"),
            button="Choose a new password",
            after=["If it was not you, you need not do anything. Your account is safe."],
        )
    )
