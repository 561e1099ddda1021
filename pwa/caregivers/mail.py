"""The invitation e-mail, through the app's SMTP settings."""

from __future__ import annotations

import logging

from flask import Flask

from ..mail import MailSettings, UndeliverableAddress, make_message, send_mail

log = logging.getLogger(__name__)


def send_invitation(app: Flask, to: str, patient: str, url: str, can_check_in: bool) -> bool:
    """True when the mail server took it; the patient is shown the link either way."""
    template = app.jinja_env.get_template("caregivers/invite_email.txt")
    settings = MailSettings.from_config(app.config)
    try:
        message = make_message(
            settings,
            to_name="",
            to_email=to,
            subject=f"{patient} asks you to follow their recovery in Upright",
            text=template.render(patient=patient, url=url, can_check_in=can_check_in),
            kind="invite",
        )
    except UndeliverableAddress as error:
        log.warning("caregiver invitation to %s not built: %s", to, error)
        return False
    return send_mail(settings, message)
