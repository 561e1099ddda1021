"""Links for the doctor: made by the patient, read-only, hashed, revocable, every opening logged."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from pwa.models import AccessLogEntry, ShareLink, utcnow

from .conftest import PASSWORD, make_checkin, make_patient


def make_link(client, **form) -> tuple[str, ShareLink]:
    data = {"preset": "14", "days": "7", **form}
    response = client.post("/share", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.location).get_data(as_text=True)
    url = re.search(r'class="share-url"><a href="([^"]+)"', page).group(1)
    return url, page


def signed_in(client, **overrides):
    patient = make_patient(name="Ruth Example", **overrides)
    make_checkin(patient, pain_avg=6, notes="private note 93")
    client.post("/login", data={"email": patient.email, "password": PASSWORD})
    return patient


def test_a_link_opens_the_report_read_only_and_privately(app, client, db):
    patient = signed_in(client)
    url, page = make_link(client)
    assert "shown only this once" in page and "<svg" in page  # the QR code
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 43
    stored = db.session.scalar(select(ShareLink))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    # Shown once: the link's page no longer has it.
    assert token not in client.get(f"/share/{stored.id}").get_data(as_text=True)

    doctor = app.test_client()
    response = doctor.get(url.replace("http://localhost", ""))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    body = response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert "Ruth Example" in body
    assert patient.email not in body and "Sign out" not in body and "csrf" not in body.lower()
    assert "<form" not in body  # read-only: nothing to change

    pdf = doctor.get(url.replace("http://localhost", "") + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["X-Robots-Tag"].startswith("noindex")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Ruth Example" in text and "Scan to open this report online" in text


def test_every_opening_is_recorded_and_shown_to_the_patient(app, client, db):
    signed_in(client)
    url, _ = make_link(client)
    path = url.replace("http://localhost", "")
    doctor = app.test_client()
    doctor.get(path)
    doctor.get(path + ".pdf")
    entries = db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.kind == "share_opened")
    ).all()
    assert [e.detail.rsplit(", ", 1)[1] for e in entries] == ["page", "PDF"]
    link = db.session.scalar(select(ShareLink))
    page = client.get(f"/share/{link.id}").get_data(as_text=True)
    assert page.count("<li>opened ") == 2
    assert "Opened 2 times" in client.get("/share").get_data(as_text=True)
    assert "A link for the doctor was opened" in client.get("/account/access-log").get_data(
        as_text=True
    )


def test_a_stopped_or_expired_link_opens_nothing(app, client, db):
    signed_in(client)
    url, _ = make_link(client)
    path = url.replace("http://localhost", "")
    link = db.session.scalar(select(ShareLink))
    assert client.post(f"/share/{link.id}/revoke").status_code == 302
    doctor = app.test_client()
    gone = doctor.get(path)
    assert gone.status_code == 410 and "Ruth Example" not in gone.get_data(as_text=True)
    assert doctor.get(path + ".pdf").status_code == 410

    url2, _ = make_link(client)
    second = db.session.scalars(select(ShareLink).order_by(ShareLink.id.desc())).first()
    second.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert doctor.get(url2.replace("http://localhost", "")).status_code == 410
    assert doctor.get("/s/" + "x" * 43).status_code == 404


def test_the_form_checks_the_period_and_the_lifetime(client, app):
    signed_in(client)
    for days, message in (("0", "from 1 to 90 days"), ("91", "from 1 to 90 days"),
                          ("", "Please enter a number of days")):  # fmt: skip
        response = client.post("/share", data={"preset": "30", "days": days})
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    response = client.post(
        "/share", data={"preset": "custom", "start": "2026-11-10", "end": "2026-11-01", "days": "5"}
    )
    assert response.status_code == 400 and "swap" in response.get_data(as_text=True)
    response = client.post("/share", data={"preset": "custom", "days": "5"})
    assert "Please enter the first day." in response.get_data(as_text=True)


def test_a_link_made_for_90_days_works_for_90_days(client, app, db):
    signed_in(client)
    before = utcnow()
    make_link(client, days="90")
    link = db.session.scalar(select(ShareLink))
    assert timedelta(days=90) <= link.expires_at - before < timedelta(days=90, minutes=1)
