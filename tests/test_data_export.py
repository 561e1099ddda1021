"""Export everything: the JSON document, the CSV zip and the FHIR R4 bundle, each read back."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from pwa.data.export import export_data
from pwa.data.fhir import fhir_bundle
from pwa.extensions import db
from pwa.models import AccessLogEntry

from .conftest import make_patient
from .patient_data import NOW, full_patient


@pytest.fixture
def anna(app, client):
    patient = full_patient()
    client.post("/login", data={"email": patient.email, "password": "correct horse battery"})
    return patient


def test_the_data_page_offers_the_three_downloads(client, anna):
    page = client.get("/account/data")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    body = page.get_data(as_text=True)
    for path in ("export.json", "export.csv.zip", "export.fhir.json"):
        assert f"/account/data/{path}" in body


def test_json_export_holds_every_record_and_reads_back(client, anna):
    response = client.get("/account/data/export.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["format"] == "upright-export" and data["version"] == 1
    assert data["account"]["name"] == "Anna Lindqvist"
    assert data["profile"]["fracture_levels"] == "T12, L1"
    assert data["profile"]["procedure_date"] == "2026-10-08"
    assert [c["pain_avg"] for c in data["checkins"]] == [6, 4, 3]
    first = data["checkins"][0]
    assert first["locations"] == ["upper_back", "legs"] and first["date"] == "2026-11-18"
    assert first["notes"].endswith("ünïcode") and first["created_at"] == "2026-11-18T23:00:00Z"
    assert data["warning_events"][0]["sign"] == "fever"
    assert data["warning_events"][0]["checkin"] == first["id"]
    assert data["warning_events"][0]["action"] == "called_doctor"
    assert {a["kind"] for a in data["appointments"]} == {"spine", "imaging"}
    assert data["appointments"][1]["questions"] == ["Can I drive?"]
    medicines = [r for r in data["reminders"] if r["kind"] == "medicine"]
    assert medicines[0]["name"] == "Alendronate" and medicines[0]["weekdays"] == [0]
    assert {d["status"] for d in data["doses"]} == {"taken", "skipped"}
    assert all(d["reminder"] == medicines[0]["id"] for d in data["doses"])
    assert data["reminder_settings"]["appointment_day_before_time"] == "18:00"
    assert "calendar_token" not in data["reminder_settings"]


def test_each_download_is_written_in_the_access_log(client, anna, db):
    client.get("/account/data/export.json")
    client.get("/account/data/export.fhir.json")
    kinds = db.session.scalars(
        db.select(AccessLogEntry.detail).where(AccessLogEntry.kind == "export")
    ).all()
    assert kinds == ["JSON file", "FHIR file"]
    log = client.get("/account/access-log").get_data(as_text=True)
    assert "Downloaded a copy of the data" in log and "FHIR file" in log


def test_csv_zip_has_one_table_per_kind_with_plain_headers(client, anna):
    response = client.get("/account/data/export.csv.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    expected = {"account.csv", "profile.csv", "checkins.csv", "warning_events.csv",
                "appointments.csv", "reminders.csv", "doses.csv", "access_log.csv"}  # fmt: skip
    assert expected <= names

    def table(name):
        text = archive.read(name).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    checkins = table("checkins.csv")
    assert len(checkins) == 3
    assert checkins[0]["Diary day"] == "2026-11-18"
    assert checkins[0]["Average pain (0-10)"] == "6"
    assert checkins[0]["Where the pain was"] == "upper_back; legs"
    assert checkins[0]["Cut down on activities"] == "yes"
    assert checkins[0]["Entered at (UTC)"] == "2026-11-18T23:00:00Z"
    assert checkins[0]["Notes"] == 'Stiff in the morning, "better" later; ünïcode'
    appointments = table("appointments.csv")
    assert {a["Starts at (UTC)"] for a in appointments} == {
        "2026-12-02T15:00:00Z", "2026-11-01T14:00:00Z"}  # fmt: skip
    assert table("doses.csv")[0]["Taken or skipped"] in {"taken", "skipped"}
    assert "_" not in "".join(table("checkins.csv")[0].keys())


def _references(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append(value)
            else:
                _references(value, found)
    elif isinstance(node, list):
        for item in node:
            _references(item, found)
    return found


def test_fhir_bundle_validates_as_r4_and_its_references_resolve(client, anna):
    response = client.get("/account/data/export.fhir.json")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    bundle = json.loads(response.data)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for reference in _references(bundle["entry"], []):
        assert reference in urls, reference

    by_type: dict[str, list] = {}
    for entry in bundle["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    assert len(by_type["Patient"]) == 1
    assert by_type["Patient"][0]["birthDate"] == "1948-03-02"
    pain = [o for o in by_type["Observation"] if o["code"]["coding"][0]["code"] == "72514-3"]
    # One per diary day, from the check-in that counts (the latest of 19 Nov says 3).
    assert [(o["effectiveDateTime"], o["valueQuantity"]["value"]) for o in pain] == [
        ("2026-11-18", 6), ("2026-11-19", 3)]  # fmt: skip
    assert pain[0]["code"]["coding"][0]["system"] == "http://loinc.org"
    others = {o["code"]["coding"][0]["code"] for o in by_type["Observation"]} - {"72514-3"}
    assert {"pain-worst-24h", "minutes-walked", "walking-aid", "fell"} <= others
    (condition,) = by_type["Condition"]
    assert [site["text"] for site in condition["bodySite"]] == ["Vertebra T12", "Vertebra L1"]
    (procedure,) = by_type["Procedure"]
    assert procedure["code"]["text"] == "Balloon kyphoplasty"
    assert procedure["performedDateTime"] == "2026-10-08"
    (statement,) = by_type["MedicationStatement"]
    assert statement["medicationCodeableConcept"]["text"] == "Alendronate"
    statuses = sorted(a["status"] for a in by_type["MedicationAdministration"])
    assert statuses == ["completed", "not-done"]
    # The cancelled scan, and the spine visit, whose status depends on the clock (the test below).
    scan, visit = sorted(by_type["Appointment"], key=lambda a: a["start"])
    assert scan["status"] == "cancelled" and visit["status"] in {"booked", "fulfilled"}


def test_fhir_appointment_status_follows_the_moment_of_the_export(anna):
    """Booked until an hour after it starts, then fulfilled; cancelled whatever the time.
    (The visit on 2 Dec 2026 at 15:00 UTC: the route itself exports at the real clock.)"""

    def statuses(now: datetime) -> list[str]:
        bundle = fhir_bundle(export_data(db.session, anna, now, "test"))
        return sorted(
            entry["resource"]["status"]
            for entry in bundle["entry"]
            if entry["resource"]["resourceType"] == "Appointment"
        )

    assert statuses(NOW) == ["booked", "cancelled"]
    assert statuses(datetime(2026, 12, 2, 16, 0)) == ["booked", "cancelled"]
    assert statuses(datetime(2026, 12, 2, 16, 1)) == ["cancelled", "fulfilled"]


def test_fhir_of_a_patient_with_nothing_yet_is_still_valid(app):
    patient = make_patient(profile=None)
    bundle = fhir_bundle(export_data(db.session, patient, NOW, "test"))
    Bundle.model_validate(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]


def test_downloads_need_a_signed_in_patient(client, app):
    for path in ("/account/data", "/account/data/export.json", "/account/data/export.csv.zip",
                 "/account/data/export.fhir.json", "/account/access-log"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


def test_an_export_holds_only_the_signed_in_patients_records(client, app):
    other = full_patient()
    me = make_patient()
    client.post("/login", data={"email": me.email, "password": "correct horse battery"})
    data = json.loads(client.get("/account/data/export.json").data)
    assert data["checkins"] == [] and data["appointments"] == [] and data["doses"] == []
    assert other.name not in client.get("/account/data/export.fhir.json").get_data(as_text=True)


def test_deleting_a_checkin_is_written_in_the_access_log(client, anna, db):
    from pwa.models import CheckIn

    checkin = db.session.scalars(db.select(CheckIn).order_by(CheckIn.id)).first()
    client.post(f"/checkin/{checkin.uuid}/delete")
    entry = db.session.scalars(
        db.select(AccessLogEntry).where(AccessLogEntry.kind == "record_deleted")
    ).one()
    assert entry.kind == "record_deleted" and entry.detail == "Check-in of 2026-11-18, pain 6"


def test_the_access_log_cannot_be_changed_or_thinned(app, anna, db):
    from pwa.data.access import AppendOnly, record_access

    entry = record_access(db.session, anna, "export", "JSON file", NOW)
    db.session.commit()
    entry.detail = "nothing happened"
    with pytest.raises(AppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AccessLogEntry, entry.id))
    with pytest.raises(AppendOnly):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(ValueError):
        record_access(db.session, anna, "made_up", None, NOW)
