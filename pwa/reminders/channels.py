"""How reminders leave: Web Push (VAPID, RFC 8291 encryption by pywebpush) and e-mail (SMTP).

A sender takes `Outgoing` messages and answers one `Outcome` each; it never touches the
database, so the engine decides what a failure means (retry later, delete a dead subscription).
A sender that finds its service down stops trying for the rest of the tick instead of waiting
out a timeout per message.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import smtplib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushTarget:
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str


@dataclass
class Outgoing:
    """One reminder for one channel. Paths are site-relative; `base_url` makes them absolute."""

    delivery_id: int
    channel: str
    title: str
    path: str
    base_url: str
    name: str = ""
    email: str | None = None
    details: list[str] = field(default_factory=list)  # e-mail only, never in a push payload
    actions: list[tuple[str, str, str]] = field(default_factory=list)  # (action, label, path)
    off_path: str | None = None
    tag: str | None = None
    ttl: int = 3600
    targets: list[PushTarget] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def push_payload(self) -> str:
        """What the phone receives: the title, the page to open and the buttons. Nothing else."""
        payload = {"title": self.title, "url": self.path}
        if self.tag:
            payload["tag"] = self.tag
        if self.actions:
            payload["actions"] = [
                {"action": action, "title": label, "url": path}
                for action, label, path in self.actions
            ]
        return json.dumps(payload, separators=(",", ":"))


@dataclass
class Outcome:
    status: str  # sent | retry | failed
    error: str | None = None
    retry_after: int | None = None
    gone: list[int] = field(default_factory=list)  # subscriptions the push service forgot
    reached: list[int] = field(default_factory=list)  # subscriptions that accepted it


class Sender(Protocol):
    def send_many(self, messages: Sequence[Outgoing]) -> list[Outcome]: ...


# --- VAPID keys --------------------------------------------------------------------------------


def load_or_create_vapid(path: Path) -> Vapid:
    """The installation's VAPID key pair, created on first use and kept in `path` (mode 0600).

    Two processes starting at once agree on one key: each writes its own temporary file and
    only the first hard link to the final name wins.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    return Vapid.from_file(str(path))


def application_server_key(vapid: Vapid) -> str:
    """The public key a browser subscribes with (uncompressed P-256 point, base64url)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- Web Push ----------------------------------------------------------------------------------

GONE = {404, 410}
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


def _retry_after(response) -> int | None:
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0, int(value)) if value else None
    except ValueError:
        return None


class PushSender:
    """Sends through each subscription's push service, a few requests at a time."""

    def __init__(self, vapid: Vapid, subject: str, timeout: float = 10.0, workers: int = 8):
        self.vapid = vapid
        self.subject = subject
        self.timeout = timeout
        self.workers = workers
        self._local = threading.local()
        self._down: set[str] = set()
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def send_many(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        self._down = set()
        if len(messages) <= 1 or self.workers <= 1:
            return [self.send(message) for message in messages]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(self.send, messages))

    def send(self, message: Outgoing) -> Outcome:
        if not message.targets:
            return Outcome("failed", "no push subscription")
        outcomes = [self._send_one(message, target) for target in message.targets]
        gone = [
            t.subscription_id for t, o in zip(message.targets, outcomes, strict=True) if o == "gone"
        ]
        reached = [
            t.subscription_id for t, o in zip(message.targets, outcomes, strict=True) if o == "sent"
        ]
        if reached:
            return Outcome("sent", gone=gone, reached=reached)
        retries = [o for o in outcomes if isinstance(o, tuple)]
        if retries:
            error, retry_after = retries[0]
            return Outcome("retry", error, retry_after, gone=gone)
        errors = [o for o in outcomes if isinstance(o, str) and o not in ("gone", "sent")]
        return Outcome("failed", errors[0] if errors else "subscription gone", gone=gone)

    def _send_one(self, message: Outgoing, target: PushTarget):
        """'sent', 'gone', an error text (permanent) or (error, retry_after) to try again."""
        parts = urlsplit(target.endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            if origin in self._down:
                return (f"{origin} unreachable this tick", None)
        try:
            webpush(
                subscription_info={
                    "endpoint": target.endpoint,
                    "keys": {"p256dh": target.p256dh, "auth": target.auth},
                },
                data=message.push_payload(),
                vapid_private_key=self.vapid,
                vapid_claims={"sub": self.subject},  # a fresh dict: pywebpush adds aud and exp
                ttl=message.ttl,
                timeout=self.timeout,
                headers={"Urgency": "high"},
                requests_session=self._session(),
            )
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else None
            if status in GONE:
                return "gone"
            if status is None or status in RETRYABLE:
                return (f"push service answered {status}", _retry_after(error.response))
            return f"push service answered {status}"
        except (requests.RequestException, OSError) as error:
            with self._lock:
                self._down.add(origin)
            return (f"{type(error).__name__}: {error}"[:300], None)
        return "sent"


# --- E-mail ------------------------------------------------------------------------------------


Renderer = Callable[[str, dict], str]


class EmailSender:
    """Plain text and HTML over one SMTP connection per tick (STARTTLS and login if set)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        render: Renderer,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls
        self.timeout = timeout
        self.render = render

    def message(self, outgoing: Outgoing) -> EmailMessage:
        context = {
            "title": outgoing.title,
            "name": outgoing.name,
            "details": outgoing.details,
            "open_url": outgoing.url(outgoing.path),
            "off_url": outgoing.url(outgoing.off_path) if outgoing.off_path else None,
            "settings_url": outgoing.url("/reminders"),
        }
        message = EmailMessage()
        message["Subject"] = outgoing.title
        message["From"] = self.sender
        message["To"] = formataddr((outgoing.name, outgoing.email or ""))
        message["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid("reminder", domain=domain)
        message["Auto-Submitted"] = "auto-generated"
        if context["off_url"]:
            # RFC 8058: mail programs offer their own one-click "unsubscribe" for this reminder.
            message["List-Unsubscribe"] = f"<{context['off_url']}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(self.render("reminders/email.txt", context))
        message.add_alternative(self.render("reminders/email.html", context), subtype="html")
        return message

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            smtp.starttls()
        if self.user:
            smtp.login(self.user, self.password or "")
        return smtp

    def send_one(self, message: EmailMessage) -> None:
        """Sends one message built elsewhere (account e-mails); raises on any SMTP failure."""
        if "From" not in message:
            message["From"] = self.sender
        smtp = self._connect()
        try:
            smtp.send_message(message)
        finally:
            _quietly_close(smtp)

    def send_many(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        smtp: smtplib.SMTP | None = None
        down: str | None = None
        try:
            for outgoing in messages:
                if down:
                    outcomes.append(Outcome("retry", down))
                    continue
                if not outgoing.email:
                    outcomes.append(Outcome("failed", "no e-mail address"))
                    continue
                try:
                    if smtp is None:
                        smtp = self._connect()
                    smtp.send_message(self.message(outgoing))
                except smtplib.SMTPRecipientsRefused as error:
                    codes = [code for code, _ in error.recipients.values()]
                    permanent = all(code >= 500 for code in codes)
                    outcomes.append(Outcome("failed" if permanent else "retry", str(error)[:300]))
                except smtplib.SMTPResponseException as error:
                    permanent = error.smtp_code >= 500
                    outcomes.append(
                        Outcome("failed" if permanent else "retry", f"SMTP {error.smtp_code}")
                    )
                    if isinstance(error, smtplib.SMTPSenderRefused) or not permanent:
                        smtp = _quietly_close(smtp)
                except (TimeoutError, smtplib.SMTPException, OSError) as error:
                    down = f"SMTP unreachable: {type(error).__name__}: {error}"[:300]
                    outcomes.append(Outcome("retry", down))
                    smtp = _quietly_close(smtp)
                else:
                    outcomes.append(Outcome("sent"))
        finally:
            _quietly_close(smtp)
        return outcomes


def _quietly_close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return None


# --- A sink (benchmark, tests) -----------------------------------------------------------------


class SinkSender:
    """Accepts everything and keeps it: the local sink of the benchmark."""

    def __init__(self) -> None:
        self.received: list[Outgoing] = []

    def send_many(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        self.received.extend(messages)
        return [Outcome("sent") for _ in messages]


# --- Wiring ------------------------------------------------------------------------------------


def vapid_key_path(config, instance_path: str) -> Path:
    return Path(config.get("VAPID_PRIVATE_KEY_FILE") or Path(instance_path) / "vapid_private.pem")


def email_sender(app) -> EmailSender:
    """The app's SMTP settings as a sender (reminders, and account e-mails via `send_one`)."""
    config = app.config

    def render(template: str, context: dict) -> str:
        return app.jinja_env.get_template(template).render(**context)

    return EmailSender(
        host=config["SMTP_HOST"],
        port=int(config["SMTP_PORT"]),
        sender=config["MAIL_SENDER"],
        render=render,
        user=config.get("SMTP_USER"),
        password=config.get("SMTP_PASSWORD"),
        starttls=bool(config.get("SMTP_STARTTLS")),
    )


def build_senders(app) -> dict[str, Sender]:
    """The real channels, configured from the app (used by the scheduler and the CLI)."""
    return {
        "push": PushSender(
            load_or_create_vapid(vapid_key_path(app.config, app.instance_path)),
            app.config["VAPID_SUBJECT"],
        ),
        "email": email_sender(app),
    }
