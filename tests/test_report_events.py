"""Warning signs live on their diary day: back-dated, offline-synced, edited and deleted."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from pwa.checkin.services import delete_checkin, save_checkin, update_checkin
from pwa.models import WarningEvent
from pwa.report.services import build_report

from .conftest import make_patient

NOW = datetime(2026, 11, 29, 15, 0)  # naive UTC: 10 am in New York on 29 Nov 2026
DAY = date(2026, 11, 26)


def _save(db, patient, day: date, signs: list[str], pain: int = 4):
    checkin, _ = save_checkin(db.session, patient, {"date": day, "pain_avg": pain}, signs, now=NOW)
    db.session.commit()
    return checkin


def test_a_back_dated_sign_lands_on_its_diary_day_and_keeps_when_it_was_entered(db):
    patient = make_patient()
    _save(db, patient, DAY, ["fever"])

    event = db.session.scalar(select(WarningEvent))
    report = build_report(patient, DAY - timedelta(days=6), NOW.date(), now=NOW, session=db.session)

    assert event.day == DAY
    assert event.occurred_at == NOW
    warning = next(e for e in report.events if e.kind == "warning")
    assert (warning.day, warning.at.date(), warning.entered_late) == (DAY, NOW.date(), True)
    assert [r.day for r in report.rows if r.warnings] == [DAY]
    assert [m.day for m in report.markers if m.kind == "warning"] == [DAY]


def test_an_offline_synced_entry_lands_on_its_own_day(client, signed_in, db):
    day = signed_in.today() - timedelta(days=3)
    body = {
        "id": "8f6d3a52-0c59-4f5e-9b7a-3f1c2d8e4a10",
        "date": day.isoformat(),
        "pain": 5,
        "warning_signs": ["calf"],
    }

    assert client.post("/api/v1/entries", json=body).status_code == 201

    assert [(e.sign, e.day) for e in db.session.scalars(select(WarningEvent))] == [("calf", day)]


def test_editing_a_checkins_date_and_signs_moves_and_updates_its_events(db):
    patient = make_patient()
    checkin = _save(db, patient, DAY, ["fever", "calf"])

    update_checkin(
        db.session, patient, checkin, {"date": DAY - timedelta(days=1)}, ["fever"], now=NOW
    )
    db.session.commit()

    assert [(e.sign, e.day) for e in db.session.scalars(select(WarningEvent))] == [
        ("fever", DAY - timedelta(days=1))
    ]


def test_deleting_a_checkin_removes_its_signs_from_the_report(db):
    patient = make_patient()
    checkin = _save(db, patient, DAY, ["fever"])

    delete_checkin(db.session, checkin, now=NOW)
    db.session.commit()
    report = build_report(patient, DAY, NOW.date(), now=NOW, session=db.session)

    assert db.session.scalars(select(WarningEvent)).all() == []
    assert [e for e in report.events if e.kind == "warning"] == []


def test_a_deleted_checkins_sign_already_acted_on_stays_marked_and_out_of_the_rows(db):
    patient = make_patient()
    checkin = _save(db, patient, DAY, ["chest_breath"])
    checkin.warning_events[0].action = "called_emergency"
    db.session.commit()

    delete_checkin(db.session, checkin, now=NOW)
    db.session.commit()
    report = build_report(patient, DAY, NOW.date(), now=NOW, session=db.session)

    event = db.session.scalar(select(WarningEvent))
    assert (event.day, event.entry_deleted_at, event.checkin_id) == (DAY, NOW, None)
    [warning] = [e for e in report.events if e.kind == "warning"]
    assert warning.entry_deleted
    assert all(not row.warnings for row in report.rows)
