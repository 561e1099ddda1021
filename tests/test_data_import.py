"""Import: the JSON export into another account, idempotent, refusing other files clearly."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from pwa.data.export import export_data
from pwa.data.fhir import fhir_bundle
from pwa.data.importer import ImportRefused, import_export, read_export
from pwa.extensions import db
from pwa.models import AccessLogEntry, CheckIn, MedicineDose, Reminder
from pwa.reminders.services import remove_medicine

from .conftest import PASSWORD, make_patient
from .patient_data import NOW, full_patient

COMPARED = ("checkins", "warning_events", "appointments", "doses")


def comparable(data: dict) -> dict:
    """The records an import carries over, without what names this server's rows."""
    medicine_names = {r["id"]: r["name"] for r in data["reminders"]}
    out = {kind: data[kind] for kind in COMPARED}
    out["doses"] = [{**d, "reminder": medicine_names[d["reminder"]]} for d in data["doses"]]
    # A reminder's times of change are this server's bookkeeping (rescheduling touches them),
    # and the daily check-in reminder is the account's own, made when it was created.
    bookkeeping = {"id", "updated_at"}
    out["reminders"] = [
        {
            k: v
            for k, v in r.items()
            if k not in bookkeeping | ({"created_at"} if r["kind"] == "checkin" else set())
        }
        for r in data["reminders"]
    ]
    out["profile"] = {k: v for k, v in data["profile"].items() if k != "updated_at"}
    out["reminder_settings"] = {
        k: v for k, v in data["reminder_settings"].items() if k not in {"created_at", "updated_at"}
    }
    return out


def test_round_trip_export_import_export_gives_the_same_records(app):
    anna = full_patient()
    first = export_data(db.session, anna, NOW, "test")
    empty = make_patient(profile=None, email="new@example.com")
    document = read_export(json.dumps(first).encode())
    result = import_export(db.session, empty, document, NOW)
    db.session.commit()
    assert result.added == {"checkins": 3, "warning_events": 1, "appointments": 2,
                            "medicines": 1, "doses": 2}  # fmt: skip
    second = export_data(db.session, empty, NOW, "test")
    assert comparable(second) == comparable(first)


def test_importing_twice_adds_nothing(app):
    anna = full_patient()
    raw = json.dumps(export_data(db.session, anna, NOW, "test")).encode()
    target = make_patient(profile=None)
    import_export(db.session, target, read_export(raw), NOW)
    db.session.commit()
    counts = lambda: [  # noqa: E731
        db.session.scalar(select(func.count()).select_from(m).where(m.user_id == target.id))
        for m in (CheckIn, MedicineDose, Reminder)
    ]
    before = counts()
    again = import_export(db.session, target, read_export(raw), NOW)
    db.session.commit()
    assert again.total == 0 and counts() == before


def test_importing_into_the_same_account_adds_nothing(app):
    anna = full_patient()
    raw = json.dumps(export_data(db.session, anna, NOW, "test")).encode()
    assert import_export(db.session, anna, read_export(raw), NOW).total == 0


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"PK\x03\x04 zipped", r"spreadsheet \(CSV\)"),
        (b"not json at all", "not an Upright export"),
        (b'{"format": "something-else", "version": 1}', "not an Upright export"),
        (b'{"format": "upright-export", "version": 99}', "newer Upright"),
        (b'{"format": "upright-export", "version": "one"}', "no valid version"),
        (b"[1, 2, 3]", "not an Upright export"),
    ],
)
def test_other_files_are_refused_with_a_clear_message(raw, words):
    with pytest.raises(ImportRefused, match=words):
        read_export(raw)


def test_the_fhir_file_is_refused_and_named(app):
    anna = full_patient()
    bundle = fhir_bundle(export_data(db.session, anna, NOW, "test"))
    with pytest.raises(ImportRefused, match="FHIR file"):
        read_export(json.dumps(bundle).encode())


def test_a_damaged_record_imports_nothing(app):
    anna = full_patient()
    data = export_data(db.session, anna, NOW, "test")
    data["checkins"][2]["pain_avg"] = "seven"
    target = make_patient(profile=None)
    with pytest.raises(ImportRefused, match="damaged"):
        import_export(db.session, target, read_export(json.dumps(data).encode()), NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(CheckIn.user_id == target.id)) == 0


def test_import_through_the_page(client, app):
    anna = full_patient()
    raw = json.dumps(export_data(db.session, anna, NOW, "test")).encode()
    target = make_patient(profile=None)
    client.post("/login", data={"email": target.email, "password": PASSWORD})
    response = client.post(
        "/account/data/import",
        data={"file": (io.BytesIO(raw), "upright-export.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "Imported: 3 check-ins" in body
    kinds = db.session.scalars(select(AccessLogEntry.kind)).all()
    assert "import" in kinds and "sign_in" in kinds  # signing in is logged too
    again = client.post(
        "/account/data/import",
        data={"file": (io.BytesIO(raw), "upright-export.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Nothing new" in again.get_data(as_text=True)


def test_the_page_shows_the_refusal_next_to_the_field(client, app):
    patient = make_patient()
    client.post("/login", data={"email": patient.email, "password": PASSWORD})
    response = client.post(
        "/account/data/import",
        data={"file": (io.BytesIO(b"hello"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'class="field-error"' in body and "not an Upright export" in body
    missing = client.post("/account/data/import", data={}, content_type="multipart/form-data")
    assert "Please choose the file to import." in missing.get_data(as_text=True)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["checkins"][0].update(locations="upper_back"),
        lambda d: d["checkins"][0].update(pain_avg=42),
        lambda d: d["checkins"][0].pop("date"),
        lambda d: d["checkins"][0].update(notes=7),
        lambda d: d["appointments"][0].pop("starts_at"),
        lambda d: d["appointments"][0].update(starts_at="next Tuesday"),
        lambda d: d["warning_events"][0].pop("sign"),
        lambda d: d["doses"][0].update(occurrence_at=None),
        lambda d: d["profile"].update(date_of_birth=1948),
        lambda d: d.update(checkins="all of them"),
        lambda d: d.update(doses=[1, 2]),
    ],
)
def test_a_damaged_file_is_refused_whole_and_never_an_error_page(client, app, damage):
    anna = full_patient()
    data = export_data(db.session, anna, NOW, "test")
    damage(data)
    target = make_patient(profile=None)
    client.post("/login", data={"email": target.email, "password": PASSWORD})
    response = client.post(
        "/account/data/import",
        data={"file": (io.BytesIO(json.dumps(data).encode()), "upright-export.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "nothing was imported" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(CheckIn.user_id == target.id)) == 0


def moved_medicine(source, now) -> tuple[Reminder, bytes]:
    """`source`'s export at `now`, imported into a new account: its one medicine there, and the
    file (to import again)."""
    raw = json.dumps(export_data(db.session, source, now, "test")).encode()
    target = make_patient(profile=None, email="new@example.com")
    import_export(db.session, target, read_export(raw), now)
    db.session.commit()
    (imported,) = db.session.scalars(
        select(Reminder).where(Reminder.user_id == target.id, Reminder.kind == "medicine")
    )
    return imported, raw


def test_an_imported_medicine_gets_its_own_reminders_as_saving_it_would(app):
    """A denosumab injection every 6 months brings its "book the next one" reminder 6 weeks
    ahead (issue 12): an import makes it too, not only the medicine's next save."""
    from .test_bone_medicines import START, add, children, local

    source = make_patient(email="old@example.com")
    prolia = add(source, "Prolia", "every_n_months", interval_months=6)
    (booking,) = children(prolia, "book_ahead")
    now = local(START, 11)
    imported, raw = moved_medicine(source, now)
    (copy,) = children(imported, "book_ahead")
    assert copy.enabled and copy.next_occurrence_at == booking.next_occurrence_at
    assert copy.next_due_at == booking.next_due_at and copy.name == booking.name
    import_export(db.session, imported.user, read_export(raw), now)  # again: nothing more
    db.session.commit()
    assert children(imported) == [copy]


def test_a_stopped_denosumab_brings_its_six_month_reminder_with_it(app):
    """After stopping denosumab, bone loss comes back fast: the reminder to talk to the doctor
    about 6 months after the last dose comes with the imported medicine."""
    from .test_bone_medicines import START, add, children, local

    source = make_patient(email="old@example.com")
    prolia = add(source, "Prolia", "every_n_months", interval_months=6)
    remove_medicine(db.session, source, prolia, local(START, 12))
    db.session.commit()
    (again,) = [c for c in children(prolia, "course_end") if c.dose == "six_months"]
    imported, _ = moved_medicine(source, local(START, 13))
    (copy,) = [c for c in children(imported, "course_end") if c.dose == "six_months"]
    assert imported.deleted_at is not None and copy.enabled
    assert (copy.name, copy.next_occurrence_at) == (again.name, again.next_occurrence_at)
