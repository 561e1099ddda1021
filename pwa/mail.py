"""Sending one e-mail through the configured SMTP server (STARTTLS and login when set).

The reminder channel keeps its own connection per tick (pwa.reminders.channels.EmailSender);
account e-mails (verification, password reset, "someone tried to register") are one message
each and use this.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config) -> MailSettings:
        return cls(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            sender=config["MAIL_SENDER"],
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_STARTTLS")),
        )


def open_smtp(settings: MailSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.starttls:
        smtp.starttls()
    if settings.user:
        smtp.login(settings.user, settings.password or "")
    return smtp


def make_message(
    settings: MailSettings, *, to_name: str, to_email: str, subject: str, text: str, html: str
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = formataddr((to_name, to_email))
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("account", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_mail(settings: MailSettings, message: EmailMessage) -> bool:
    """Sends one message; False (and a log line) when the server cannot be reached or refuses."""
    try:
        smtp = open_smtp(settings)
        try:
            smtp.send_message(message)
        finally:
            smtp.quit()
    except (smtplib.SMTPException, OSError) as error:
        log.warning("E-mail to %s not sent: %s", message["To"], error)
        return False
    return True


def send_later(settings: MailSettings, message: EmailMessage) -> threading.Thread:
    """Sends from a thread, so the page answers at once and as fast whether or not an account
    exists behind the address (the SMTP round trip would tell)."""
    thread = threading.Thread(target=send_mail, args=(settings, message), daemon=True)
    thread.start()
    return thread
