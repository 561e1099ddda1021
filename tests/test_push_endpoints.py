"""Push endpoints reach only public push services (issue 14): https, a named host, resolved at
send time, every address public in every spelling, and the connection pinned to the checked
address. A subscription another account holds is never moved to a new account."""

from __future__ import annotations

import ipaddress

import pytest
from sqlalchemy import select

from pwa.models import PushSubscription
from pwa.reminders import endpoints
from pwa.reminders.channels import Outgoing, PushSender, PushTarget, load_or_create_vapid
from pwa.reminders.endpoints import (
    UnsafeEndpoint,
    check_endpoint_url,
    checked_address,
    is_public,
    literal_address,
)

from .conftest import PASSWORD, make_patient
from .test_reminders_support import PushService, Subscriber

NOT_PUBLIC = [
    "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0x7f.1", "0177.0.0.1", "10.0.0.1",
    "172.16.5.4", "192.168.1.10", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
    "240.0.0.1", "::1", "::", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1",
    "fe80::1", "fc00::1", "fd12:3456::1", "64:ff9b::7f00:1", "2002:7f00:1::1", "ff02::1",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "142.250.180.10", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("spelling", NOT_PUBLIC)
def test_every_spelling_of_a_non_public_address_is_refused(spelling):
    address = literal_address(spelling)
    assert address is not None, spelling
    assert not is_public(address), spelling
    host = f"[{spelling}]" if ":" in spelling else spelling
    with pytest.raises(UnsafeEndpoint):
        check_endpoint_url(f"https://{host}:9443/push/x")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass_the_address_check(address):
    assert is_public(ipaddress.ip_address(address))


def test_decimal_hex_and_short_forms_mean_loopback():
    for spelling in ("127.1", "2130706433", "0x7f000001", "0177.0.0.1"):
        assert literal_address(spelling) == ipaddress.IPv4Address("127.0.0.1")


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x", "https://localhost/x", "https://push.local/x",
        "https://metadata.internal/x", "https://127.1:9443/", "https://2130706433/x",
        "https://0x7f000001/x", "https://[::ffff:127.0.0.1]/x", "https://[::1]/x",
        "ftp://push.example/x", "https:///x",
    ],
)  # fmt: skip
def test_a_subscription_to_an_unsafe_endpoint_is_refused(client, signed_in, endpoint):
    subscription = {**Subscriber("x").subscription("https://push.example"), "endpoint": endpoint}
    response = client.post("/reminders/push/subscribe", json=subscription)
    assert response.status_code == 422, endpoint
    assert response.json["error"] == "invalid_subscription"


def test_a_name_that_resolves_to_a_private_address_is_refused_at_send_time(monkeypatch):
    monkeypatch.setattr(endpoints, "resolve", lambda host, port: ["93.184.215.14", "10.1.2.3"])
    with pytest.raises(UnsafeEndpoint, match="10.1.2.3"):
        checked_address("https://push.example.com/x")
    monkeypatch.setattr(endpoints, "resolve", lambda host, port: ["93.184.215.14"])
    assert checked_address("https://push.example.com/x") == "93.184.215.14"


def test_allowing_any_host_is_an_explicit_setting_off_by_default(app):
    assert app.config["PUSH_ALLOW_ANY_HOST"] is False


@pytest.fixture
def push_service():
    class NamedPushService(PushService):
        """The loopback push service under a name only our resolver knows."""

        @property
        def base_url(self) -> str:
            return f"http://push.test:{self.server.server_port}"

    service = NamedPushService().start()
    yield service
    service.stop()


def one_push(push_service, tmp_path, allow_any_host: bool):
    vapid = load_or_create_vapid(tmp_path / "vapid.pem")
    sender = PushSender(vapid, "mailto:care@upright.example", allow_any_host=allow_any_host)
    subscription = push_service.subscriber("phone").subscription(push_service.base_url)
    target = PushTarget(1, subscription["endpoint"], **subscription["keys"])
    message = Outgoing(
        1, "push", "Time for your check-in", "/checkin", "http://x", targets=[target]
    )
    return sender.send(message)


def test_the_connection_goes_to_the_address_checked_at_send_time(
    monkeypatch, push_service, tmp_path
):
    asked = []

    def resolve(host, port):
        asked.append(host)
        return ["127.0.0.1"] if host == "push.test" else []

    monkeypatch.setattr(endpoints, "resolve", resolve)
    outcome = one_push(push_service, tmp_path, allow_any_host=True)  # as the tests' setting
    assert outcome.status == "sent", outcome
    (received,) = push_service.wait_for(1)
    assert received.headers["host"] == push_service.base_url.removeprefix("http://")
    assert asked == ["push.test"]  # resolved once, by the check; requests did not look it up


def test_without_the_test_setting_a_loopback_push_service_is_never_contacted(
    monkeypatch, push_service, tmp_path
):
    monkeypatch.setattr(endpoints, "resolve", lambda host, port: ["127.0.0.1"])
    push_service.subscriber("phone")
    outcome = one_push(push_service, tmp_path, allow_any_host=False)
    assert outcome.status == "failed" and "refused" in outcome.error
    assert push_service.received == [] and push_service.rejected == []


def test_a_subscription_held_by_another_account_is_not_moved(app, client, db):
    anna, ben = make_patient(), make_patient()
    subscription = Subscriber("x").subscription("https://fcm.googleapis.com/fcm/send")
    client.post("/login", data={"email": anna.email, "password": PASSWORD})
    assert client.post("/reminders/push/subscribe", json=subscription).status_code == 201
    client.post("/logout")
    client.post("/login", data={"email": ben.email, "password": PASSWORD})
    response = client.post("/reminders/push/subscribe", json=subscription)
    assert response.status_code == 409 and response.json["error"] == "subscription_taken"
    (stored,) = db.session.scalars(select(PushSubscription)).all()
    assert stored.user_id == anna.id
    # Ben's browser makes a new subscription of its own, which is stored for Ben.
    fresh = Subscriber("y").subscription("https://fcm.googleapis.com/fcm/send")
    assert client.post("/reminders/push/subscribe", json=fresh).status_code == 201


def _certificate(tmp_path, name: str):
    """A self-signed certificate for `name`, as PEM files."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_server(tmp_path):
    """An https server on loopback whose certificate names push.test; records the SNI name."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cert_file, key_file = _certificate(tmp_path, "push.test")
    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args):
            pass

        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(201)
            self.end_headers()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda _socket, name, _context: seen.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, cert_file, seen
    server.shutdown()
    server.server_close()


def test_over_tls_the_pinned_connection_still_checks_the_hosts_name(monkeypatch, tls_server):
    import requests

    port, cert_file, seen = tls_server
    monkeypatch.setattr(endpoints, "resolve", lambda host, port: ["127.0.0.1"])
    endpoint = f"https://push.test:{port}/push/x"
    session = endpoints.pinned_session(endpoint, allow_any_host=True)
    response = session.post(endpoint, data=b"x", verify=str(cert_file), timeout=5)
    assert response.status_code == 201 and seen == ["push.test"]

    other = f"https://other.test:{port}/push/x"  # served the push.test certificate: refused
    with pytest.raises(requests.exceptions.SSLError):
        endpoints.pinned_session(other, allow_any_host=True).post(
            other, data=b"x", verify=str(cert_file), timeout=5
        )
