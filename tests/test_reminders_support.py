"""Real parts on loopback for the reminder tests (no tests here, only what they share).

- `MailServer`: an aiosmtpd SMTP server on 127.0.0.1 that keeps every message it receives.
- `PushService`: a tiny HTTP server on 127.0.0.1 acting as a browser's push service. For each
  request it checks the VAPID header (RFC 8292: the JWT's ES256 signature with the key `k`,
  which must be the app's key; `aud` is this origin; `exp` within 24 hours; `sub` a mailto:)
  and decrypts the aes128gcm body (RFC 8291) with the subscriber's private key and auth
  secret, as a browser would. Endpoints can be told to answer 410 (gone) or 503 (down).
- `Subscriber`: a browser's push keys (P-256 key pair and auth secret), made fresh.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from aiosmtpd.controller import Controller
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- SMTP --------------------------------------------------------------------------------------


class _Collect:
    def __init__(self, server: MailServer):
        self.server = server

    async def handle_DATA(self, _server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.server.delay:
            await asyncio.sleep(self.server.delay)  # a slow server: each message takes a while
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.server.peers.append(session.peer)
        return "250 Message accepted for delivery"


class MailServer:
    """`smtputf8`: offer SMTPUTF8 (RFC 6531, international addresses); `delay`: seconds each
    message takes to be accepted. `peers` has the client end of the connection of each message,
    so a test can count connections."""

    def __init__(self, port: int | None = None, *, smtputf8: bool = False, delay: float = 0):
        self.port = port or free_port()
        self.smtputf8 = smtputf8
        self.delay = delay
        self.messages: list = []
        self.envelopes: list = []
        self.peers: list = []
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    def start(self) -> MailServer:
        self.controller = Controller(
            _Collect(self), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        return list(self.messages)


# --- Web Push ----------------------------------------------------------------------------------


@dataclass
class Subscriber:
    """The keys a browser makes when it subscribes (RFC 8291 section 2)."""

    name: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(raw)

    def subscription(self, base_url: str) -> dict:
        return {
            "endpoint": f"{base_url}/push/{self.name}",
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }


@dataclass
class Received:
    name: str
    payload: dict
    headers: dict
    claims: dict


class PushError(AssertionError):
    pass


def verify_vapid(authorization: str, expected_key: str | None, audience: str) -> dict:
    """Checks an RFC 8292 `vapid t=<jwt>,k=<key>` header; returns the JWT claims."""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise PushError(f"not a vapid authorization: {authorization[:20]}")
    parts = dict(item.split("=", 1) for item in rest.split(","))
    token, key = parts["t"], parts["k"]
    if expected_key is not None and key != expected_key:
        raise PushError("signed with a key that is not the app's VAPID key")
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    if header.get("alg") != "ES256":
        raise PushError(f"unexpected JWT algorithm {header.get('alg')}")
    signature = b64url_decode(signature_b64)
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    try:
        public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise PushError("VAPID signature does not verify") from None
    claims = json.loads(b64url_decode(claims_b64))
    now = datetime.now(UTC).timestamp()
    if claims.get("aud") != audience:
        raise PushError(f"aud {claims.get('aud')} is not {audience}")
    if not now < claims["exp"] <= now + 24 * 3600:
        raise PushError("exp is not within the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise PushError("sub is not a contact URI")
    return claims


class PushService:
    """The push service of test browsers: verifies, decrypts and keeps what arrives."""

    def __init__(self):
        self.subscribers: dict[str, Subscriber] = {}
        self.answers: dict[str, int] = {}  # endpoint name -> status to answer instead of 201
        self.received: list[Received] = []
        self.rejected: list[str] = []
        self.expected_key: str | None = None
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_POST(self):  # noqa: N802 (http.server's name)
                name = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = service.answers.get(name)
                if status is not None:
                    self.send_response(status)
                    self.end_headers()
                    return
                try:
                    received = service.accept(name, dict(self.headers), body)
                except Exception as error:  # noqa: BLE001
                    with service.lock:
                        service.rejected.append(f"{type(error).__name__}: {error}")
                    self.send_response(400)
                    self.end_headers()
                    return
                with service.lock:
                    service.received.append(received)
                self.send_response(201)
                self.send_header("Location", f"/message/{len(service.received)}")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def subscriber(self, name: str) -> Subscriber:
        subscriber = self.subscribers[name] = Subscriber(name)
        return subscriber

    def accept(self, name: str, headers: dict, body: bytes) -> Received:
        headers = {key.lower(): value for key, value in headers.items()}
        claims = verify_vapid(headers["authorization"], self.expected_key, self.base_url)
        if headers.get("content-encoding") != "aes128gcm":
            raise PushError("body is not aes128gcm")
        if "ttl" not in headers:
            raise PushError("no TTL header")
        subscriber = self.subscribers[name]
        plaintext = http_ece.decrypt(
            body,
            private_key=subscriber.private_key,
            auth_secret=subscriber.auth,
            version="aes128gcm",
        )
        return Received(name, json.loads(plaintext), headers, claims)

    def start(self) -> PushService:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        return list(self.received)
