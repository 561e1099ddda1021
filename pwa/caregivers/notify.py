"""E-mails a caregiver who asked for it when an emergency or urgent warning sign is recorded.

Whatever code records the sign (the check-in form, the API, the outbox's sync, the reminder
engine's late long-interval medicine), the new `WarningEvent` rows are seen at flush; the
addresses are read then, and the mail leaves only after the commit, on a thread of its own, so
a slow or broken mail server never delays or fails the patient's save.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..mail import MailSettings, UndeliverableAddress, make_message, send_mail
from ..models import Caregiver, User, WarningEvent
from ..report.services import sign_label

log = logging.getLogger(__name__)
ALERT_TIERS = {"emergency": "an emergency sign", "urgent": "an urgent sign"}
PENDING = "caregiver_alerts"


def _alerts_for(session: Session, events: list[WarningEvent]) -> list[dict]:
    connection = session.connection()
    alerts = []
    for patient_id in {e.user_id for e in events}:
        rows = connection.execute(
            select(User.email, User.name)
            .join(Caregiver, Caregiver.caregiver_id == User.id)
            .where(
                Caregiver.patient_id == patient_id,
                Caregiver.accepted_at.is_not(None),
                Caregiver.notify_warnings.is_(True),
            )
        ).all()
        if not rows:
            continue
        patient_name = connection.execute(
            select(User.name).where(User.id == patient_id)
        ).scalar_one()
        signs = [e for e in events if e.user_id == patient_id]
        worst = "emergency" if any(e.tier == "emergency" for e in signs) else "urgent"
        for email, name in rows:
            alerts.append({
                "to": (name, email), "patient": patient_name, "patient_id": patient_id,
                "tier": worst, "signs": [sign_label(e.sign) for e in signs],
            })  # fmt: skip
    return alerts


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context) -> None:
    events = [
        obj for obj in session.new if isinstance(obj, WarningEvent) and obj.tier in ALERT_TIERS
    ]
    if events:
        session.info.setdefault(PENDING, []).extend(_alerts_for(session, events))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)


@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    alerts = session.info.pop(PENDING, None)
    if not alerts or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=send_alerts, args=(app, alerts), daemon=True)
    thread.start()
    # Kept (finished ones dropped) so tests and a clean shutdown can wait for the mail.
    threads = [t for t in app.extensions.get("caregiver_alert_threads", []) if t.is_alive()]
    app.extensions["caregiver_alert_threads"] = [*threads, thread]


def send_alerts(app: Flask, alerts: list[dict]) -> None:
    settings = MailSettings.from_config(app.config)
    base = app.config["PUBLIC_URL"].rstrip("/")
    template = app.jinja_env.get_template("caregivers/alert_email.txt")
    for alert in alerts:
        what = ALERT_TIERS[alert["tier"]]
        try:
            message = make_message(
                settings,
                to_name=alert["to"][0],
                to_email=alert["to"][1],
                subject=f"{alert['patient']} recorded {what}",
                text=template.render(**alert, what=what, url=f"{base}/care/{alert['patient_id']}"),
                kind="care",
            )
        except UndeliverableAddress as error:  # this caregiver alone
            log.warning("caregiver alert to %s not built: %s", alert["to"][1], error)
            continue
        send_mail(settings, message)
