"""Sending one e-mail through the configured SMTP server (STARTTLS and login when set).

The reminder channel keeps its own connection per tick (pwa.reminders.channels.EmailSender);
account e-mails (verification, password reset, "someone tried to register") are one message
each and use this.
"""

from __future__ import annotations

import logging
import re
import smtplib
import threading
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import idna

log = logging.getLogger(__name__)


# Text from the database made safe for one line, and addresses in the form servers take.

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SURROGATES = re.compile("[\ud800-\udfff]")


def one_line(text: str | None) -> str:
    """`text` as one line: any control character or line break becomes a space, and a lone
    surrogate (which no encoding can carry) the replacement character."""
    text = _SURROGATES.sub("\ufffd", text or "")
    return " ".join(_BREAKS.sub(" ", text).split())


class UndeliverableAddress(ValueError):
    """An address no mail server could be given (the reason is the message)."""


def mail_address(address: str) -> tuple[str, str]:
    """(local part, domain) of `address`, the domain in its IDNA (ASCII) form."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise UndeliverableAddress(f"not an e-mail address: {address!r}")
    if _BREAKS.search(address) or _SURROGATES.search(address) or " " in local + domain:
        raise UndeliverableAddress(f"the address has spaces or control characters: {address!r}")
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError as error:
            raise UndeliverableAddress(f"the domain is not a valid name: {error}") from None
    return local, domain


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
    settings: MailSettings,
    *,
    to_name: str,
    to_email: str,
    subject: str,
    text: str,
    html: str | None = None,
    kind: str = "account",
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = settings.sender
    local, domain = mail_address(to_email)
    message["To"] = Address(display_name=one_line(to_name), username=local, domain=domain)
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(kind, domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html is not None:
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
