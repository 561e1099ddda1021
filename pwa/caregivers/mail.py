"""The invitation e-mail, through the app's SMTP settings."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import Flask

from ..reminders.channels import email_sender

log = logging.getLogger(__name__)


def send_invitation(app: Flask, to: str, patient: str, url: str, can_check_in: bool) -> bool:
    """True when the mail server took it; the patient is shown the link either way."""
    sender = email_sender(app)
    message = EmailMessage()
    message["Subject"] = f"{patient} asks you to follow their recovery in Upright"
    message["From"] = sender.sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender.sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("invite", domain=domain)
    template = app.jinja_env.get_template("caregivers/invite_email.txt")
    message.set_content(template.render(patient=patient, url=url, can_check_in=can_check_in))
    try:
        sender.send_one(message)
    except Exception as error:  # noqa: BLE001  (any SMTP or network failure)
        log.warning("caregiver invitation to %s not sent: %s", to, error)
        return False
    return True
