"""How reminders leave: Web Push (VAPID, RFC 8291 encryption by pywebpush) and e-mail (SMTP).

A sender takes one `Outgoing` message at a time and answers its `Outcome`; it never touches the
database, so the engine decides what a failure means (retry later, delete a dead subscription).
The engine calls `send` from a few threads at once and `close` after each chunk, so a sender
keeps one connection per thread for a chunk and reuses it. Each message stands alone:

- One that cannot be built (a line break in a name, an address no mail server could take, text
  that cannot be encoded) is answered "failed" with the reason, for that patient alone; it is
  never taken for a channel that is down.
- Text from the database is made safe for where it goes (one line in a header), whatever was
  stored before the forms refused control characters.
- A service found down is not tried again for the rest of the chunk: its messages are answered
  "retry" at once instead of each waiting out a timeout.

International addresses are accepted end to end: the domain is sent in its IDNA form
(`exämple.com` as `xn--exmple-cua.com`), and an address whose local part is not ASCII
(`josé@...`) goes out with SMTPUTF8 when the server offers it; a server that does not makes it
"failed" for that one patient, with a reason that says so.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from ..mail import mail_address, one_line
from .endpoints import UnsafeEndpoint, pinned_session
from .endpoints import failure as endpoint_failure

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
        payload: dict[str, object] = {"title": one_line(self.title), "url": self.path}
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
    def send(self, message: Outgoing) -> Outcome:
        """Sends one message; called from several threads at once; never raises for a message."""
        ...

    def close(self) -> None:
        """The chunk is done: close the connections kept for it and forget what was down."""
        ...


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
    """Sends through each subscription's push service; one HTTP session (kept-alive
    connections) per sending thread."""

    def __init__(
        self, vapid: Vapid, subject: str, timeout: float = 10.0, allow_any_host: bool = False
    ):
        self.vapid = vapid
        self.subject = subject
        self.timeout = timeout
        self.allow_any_host = allow_any_host  # tests' loopback push service only
        self._down: set[str] = set()
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._down = set()

    def send(self, message: Outgoing) -> Outcome:
        if not message.targets:
            return Outcome("failed", "no push subscription")
        try:
            payload = message.push_payload()
        except Exception as problem:  # noqa: BLE001 - this message alone cannot be built
            return Outcome("failed", f"could not build the notification: {problem}"[:300])
        outcomes = [self._send_one(message, payload, target) for target in message.targets]
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

    def _send_one(self, message: Outgoing, payload: str, target: PushTarget):
        """'sent', 'gone', an error text (permanent) or (error, retry_after) to try again."""
        parts = urlsplit(target.endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            if origin in self._down:
                return (f"{origin} unreachable this tick", None)
        try:  # resolved and checked now, connected to the checked address (issue 14)
            session = pinned_session(target.endpoint, self.allow_any_host)
        except UnsafeEndpoint as error:
            return endpoint_failure(error)
        try:
            webpush(
                subscription_info={
                    "endpoint": target.endpoint,
                    "keys": {"p256dh": target.p256dh, "auth": target.auth},
                },
                data=payload,
                vapid_private_key=self.vapid,
                vapid_claims={"sub": self.subject},  # a fresh dict: pywebpush adds aud and exp
                ttl=message.ttl,
                timeout=self.timeout,
                headers={"Urgency": "high"},
                requests_session=session,
            )
        except WebPushException as error:
            if error.response is None:  # refused before sending: this subscription's own data
                return f"could not encrypt for this subscription: {error}"[:300]
            status = error.response.status_code
            if status in GONE:
                return "gone"
            if status in RETRYABLE:
                return (f"push service answered {status}", _retry_after(error.response))
            return f"push service answered {status}"
        except (requests.RequestException, OSError) as error:
            with self._lock:
                self._down.add(origin)
            return (f"{type(error).__name__}: {error}"[:300], None)
        except Exception as error:  # noqa: BLE001 - a stored key that cannot encrypt: this one only
            return f"could not encrypt for this subscription: {type(error).__name__}: {error}"[:300]
        return "sent"


# --- E-mail ------------------------------------------------------------------------------------


Renderer = Callable[[str, dict], str]


class EmailSender:
    """Plain text and HTML over SMTP (STARTTLS and login if set): one connection per sending
    thread, kept for the chunk and reused for each of its messages."""

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
        self.envelope_sender = parseaddr(sender)[1]
        self._connections: dict[int, smtplib.SMTP] = {}
        self._down: str | None = None
        self._lock = threading.Lock()

    def message(self, outgoing: Outgoing, local: str, domain: str) -> EmailMessage:
        title, name = one_line(outgoing.title), one_line(outgoing.name)
        context = {
            "title": title,
            "name": name,
            "details": [one_line(line) for line in outgoing.details],
            "open_url": outgoing.url(outgoing.path),
            "off_url": outgoing.url(outgoing.off_path) if outgoing.off_path else None,
            "settings_url": outgoing.url("/reminders"),
        }
        message = EmailMessage()
        message["Subject"] = title
        message["From"] = self.sender
        message["To"] = Address(display_name=name, username=local, domain=domain)
        message["Date"] = formatdate(localtime=False)
        domain_of_sender = self.envelope_sender.rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid("reminder", domain=domain_of_sender)
        message["Auto-Submitted"] = "auto-generated"
        if context["off_url"]:
            # RFC 8058: mail programs offer their own one-click "unsubscribe" for this reminder.
            message["List-Unsubscribe"] = f"<{context['off_url']}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(self.render("reminders/email.txt", context))
        message.add_alternative(self.render("reminders/email.html", context), subtype="html")
        return message

    def build(self, outgoing: Outgoing) -> tuple[str, bytes, bool]:
        """(recipient, the message as sent, whether it needs SMTPUTF8); raises if it cannot be
        built, which fails this message alone."""
        local, domain = mail_address(outgoing.email or "")
        international = not local.isascii()
        message = self.message(outgoing, local, domain)
        flat = message.as_bytes(policy=policy.SMTPUTF8 if international else policy.SMTP)
        return f"{local}@{domain}", flat, international

    def send(self, outgoing: Outgoing) -> Outcome:
        if not outgoing.email:
            return Outcome("failed", "no e-mail address")
        try:
            recipient, flat, international = self.build(outgoing)
        except Exception as error:  # noqa: BLE001 - any text in any field: this message alone
            log.warning("reminders: e-mail %s not built: %s", outgoing.delivery_id, error)
            return Outcome("failed", f"could not build the e-mail: {error}"[:300])
        if self._down:
            return Outcome("retry", self._down)
        try:
            smtp = self._connection()
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            down = f"SMTP unreachable: {type(error).__name__}: {error}"[:300]
            with self._lock:
                self._down = down
            return Outcome("retry", down)
        options: list[str] = []
        if international:
            if not smtp.has_extn("smtputf8"):
                return Outcome(
                    "failed",
                    "the mail server does not accept international addresses (no SMTPUTF8)",
                )
            options = ["SMTPUTF8", "BODY=8BITMIME"]
        try:
            smtp.sendmail(self.envelope_sender, [recipient], flat, mail_options=options)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            permanent = all(code >= 500 for code in codes)
            return Outcome("failed" if permanent else "retry", str(error)[:300])
        except smtplib.SMTPResponseException as error:
            permanent = error.smtp_code >= 500
            if isinstance(error, smtplib.SMTPSenderRefused) or not permanent:
                self._drop()
            return Outcome("failed" if permanent else "retry", f"SMTP {error.smtp_code}")
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            # The connection broke under this message: it is tried again later, and the next
            # message opens a new connection (only a failed connect counts as "down").
            self._drop()
            return Outcome("retry", f"SMTP connection lost: {type(error).__name__}: {error}"[:300])
        return Outcome("sent")

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            smtp.starttls()
        if self.user:
            smtp.login(self.user, self.password or "")
        smtp.ehlo_or_helo_if_needed()
        return smtp

    def _connection(self) -> smtplib.SMTP:
        key = threading.get_ident()
        smtp = self._connections.get(key)
        if smtp is None:
            smtp = self._connect()
            with self._lock:
                self._connections[key] = smtp
        return smtp

    def _drop(self) -> None:
        with self._lock:
            smtp = self._connections.pop(threading.get_ident(), None)
        _quietly_close(smtp)

    def close(self) -> None:
        with self._lock:
            connections, self._connections, self._down = list(self._connections.values()), {}, None
        for smtp in connections:
            _quietly_close(smtp)


def _quietly_close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return None


# --- A sink (benchmark, tests) -----------------------------------------------------------------


class SinkSender:
    """Accepts everything and keeps it: the in-process sink of tests and of the tick benchmark."""

    def __init__(self) -> None:
        self.received: list[Outgoing] = []
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> Outcome:
        with self._lock:
            self.received.append(message)
        return Outcome("sent")

    def close(self) -> None:
        pass


# --- Wiring ------------------------------------------------------------------------------------


def vapid_key_path(config, instance_path: str) -> Path:
    return Path(config.get("VAPID_PRIVATE_KEY_FILE") or Path(instance_path) / "vapid_private.pem")


def build_senders(app) -> dict[str, Sender]:
    """The real channels, configured from the app (used by the scheduler and the CLI)."""
    from ..deployment import vapid_key

    config = app.config

    def render(template: str, context: dict) -> str:
        return app.jinja_env.get_template(template).render(**context)

    return {
        "push": PushSender(
            vapid_key(app),
            config["VAPID_SUBJECT"],
            allow_any_host=bool(config.get("PUSH_ALLOW_ANY_HOST")),
        ),
        "email": EmailSender(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            sender=config["MAIL_SENDER"],
            render=render,
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_STARTTLS")),
        ),
    }
