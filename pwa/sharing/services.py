"""Share links: a long random token, kept only as its SHA-256, for one period's report.

The token is shown to the patient once, when the link is made; the database holds its hash,
so a copy of the database opens no report. A link works until it expires (1 to 90 days) or the
patient stops it; every opening is written to the patient's access log with the link's id.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import date, datetime, timedelta

import segno
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..data.access import record_access
from ..models import AccessLogEntry, ShareLink, User

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 90, 30
TOKEN_BYTES = 32  # 256 bits, 43 characters in the URL


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_share_link(
    session: Session, patient: User, start: date, end: date, days: int, now: datetime
) -> tuple[ShareLink, str]:
    """A new link and its token (the only time the token exists in the clear)."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"a link works for {MIN_DAYS} to {MAX_DAYS} days")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink(
        user_id=patient.id,
        token_hash=hash_token(token),
        period_start=start,
        period_end=end,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(link)
    session.flush()
    record_access(session, patient, "share_created", describe(link), now, share_link_id=link.id)
    return link, token


def describe(link: ShareLink) -> str:
    return f"report {link.period_start:%-d %b %Y} to {link.period_end:%-d %b %Y}"


def find_link_by_token(session: Session, token: str) -> ShareLink | None:
    """The link this token opens, active or not; None for a token that was never made."""
    if not token or len(token) > 100:
        return None
    return session.scalar(select(ShareLink).where(ShareLink.token_hash == hash_token(token)))


def patient_link(session: Session, patient: User, link_id: int) -> ShareLink | None:
    """The patient's own link; another patient's counts as missing."""
    return session.scalar(
        select(ShareLink).where(ShareLink.id == link_id, ShareLink.user_id == patient.id)
    )


def patient_links(session: Session, patient: User) -> list[ShareLink]:
    return list(
        session.scalars(
            select(ShareLink)
            .where(ShareLink.user_id == patient.id)
            .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())
        )
    )


def revoke(session: Session, patient: User, link: ShareLink, now: datetime) -> None:
    if link.revoked_at is None:
        link.revoked_at = now
        record_access(session, patient, "share_revoked", describe(link), now, share_link_id=link.id)


def record_opening(session: Session, link: ShareLink, what: str, now: datetime) -> None:
    patient = session.get(User, link.user_id)
    assert patient is not None
    record_access(
        session, patient, "share_opened", f"{describe(link)}, {what}", now, share_link_id=link.id
    )


def openings(session: Session, patient: User) -> dict[int, list[datetime]]:
    """When each of the patient's links was opened, newest first, by link id."""
    rows = session.execute(
        select(AccessLogEntry.share_link_id, AccessLogEntry.at)
        .where(AccessLogEntry.user_id == patient.id, AccessLogEntry.kind == "share_opened")
        .order_by(AccessLogEntry.at.desc())
    ).all()
    found: dict[int, list[datetime]] = {}
    for link_id, at in rows:
        if link_id is not None:
            found.setdefault(link_id, []).append(at)
    return found


def qr_svg(url: str) -> Markup:
    """The link as a QR code, inline SVG (no image request, prints sharply)."""
    code = segno.make(url, error="m")
    out = io.BytesIO()
    code.save(
        out, kind="svg", xmldecl=False, svgns=True, scale=4, border=2, title="QR code of the link",
        svgclass="share-qr", lineclass=None,
    )  # fmt: skip
    return Markup(out.getvalue().decode())
