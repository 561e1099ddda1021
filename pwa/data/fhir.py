"""The export as a FHIR R4 `Bundle` (type `collection`), made from `export_data`'s result.

Every entry has a `urn:uuid:` fullUrl derived from the record (the same record gives the same
URL in every export), and every reference points at an entry of the same bundle. Only the
average pain has a LOINC code that fits exactly (72514-3, the 0-10 numeric rating); the other
diary items are "patient diary items (not a validated questionnaire)" and carry codes from the
app's own code system, with their wording as display.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from ..bone.checklist import ITEMS as BONE_ITEMS
from ..models import (
    APPOINTMENT_KINDS,
    BONE_STATES,
    PAIN_LOCATIONS,
    TREATMENTS,
    WALKING_AIDS,
    WEEKLY_CHANGE,
)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
APP = "urn:upright:codesystem"
DIARY_SYSTEM = f"{APP}:diary-item"
LEVEL_SYSTEM = f"{APP}:spine-level"
CHOICE_SYSTEM = f"{APP}:answer"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_NAMESPACE = uuid.UUID("6f6d1c1e-52b8-4f5e-9a55-0b7c1d3b9e16")

# field: (system, code, display, value kind)
DAILY_ITEMS: dict[str, tuple[str, str, str, str]] = {
    "pain_avg": (LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
                 "score"),
    "pain_worst": (DIARY_SYSTEM, "pain-worst-24h", "Worst back pain, last 24 hours (0-10)",
                   "score"),
    "pain_activity": (DIARY_SYSTEM, "pain-moving", "Pain when moving or walking (0-10)",
                      "score"),
    "locations": (DIARY_SYSTEM, "pain-locations", "Where the back pain was", "codes"),
    "limited_activity": (DIARY_SYSTEM, "limited-activity-day", "Cut down on usual activities",
                         "boolean"),
    "bed_rest": (DIARY_SYSTEM, "bed-rest-day", "Most of the day lying down", "boolean"),
    "sleep_disturbed": (DIARY_SYSTEM, "sleep-disturbed", "Sleep disturbed by pain", "boolean"),
    "walking_aid": (DIARY_SYSTEM, "walking-aid", "Walking aid today", "code"),
    "minutes_walked": (DIARY_SYSTEM, "minutes-walked", "Minutes walked", "minutes"),
    "brace_hours": (DIARY_SYSTEM, "brace-hours", "Hours the brace was worn", "hours"),
    "acetaminophen_doses": (DIARY_SYSTEM, "acetaminophen-doses", "Acetaminophen doses", "count"),
    "nsaid_doses": (DIARY_SYSTEM, "nsaid-doses", "Anti-inflammatory (NSAID) doses", "count"),
    "opioid_doses": (DIARY_SYSTEM, "opioid-doses", "Opioid doses", "count"),
    "other_pain_med_doses": (DIARY_SYSTEM, "other-pain-medicine-doses",
                             "Other pain medicine doses", "count"),
    "fell": (DIARY_SYSTEM, "fell", "Fell today", "boolean"),
    "fall_injured": (DIARY_SYSTEM, "fall-injured", "Hurt in the fall", "boolean"),
    "weekly_change": (DIARY_SYSTEM, "back-compared-with-start", "Back compared with the start",
                      "code"),
}  # fmt: skip
CHOICE_LABELS = {**PAIN_LOCATIONS, **WALKING_AIDS, **WEEKLY_CHANGE}
UNITS = {
    "score": ("{score}", "score"),
    "minutes": ("min", "minutes"),
    "hours": ("h", "hours"),
    "count": ("{dose}", "doses"),
}


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def _ref(resource_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def _levels(text: str | None) -> list[dict[str, Any]]:
    levels = [part.strip().upper() for part in (text or "").replace(";", ",").split(",")]
    return [
        {"coding": [{"system": LEVEL_SYSTEM, "code": level, "display": f"Vertebra {level}"}],
         "text": f"Vertebra {level}"}
        for level in levels if level
    ]  # fmt: skip


def fhir_bundle(data: dict) -> dict:
    """The bundle for one export (see `pwa.data.export.export_data`)."""
    account, profile = data["account"], data["profile"] or {}
    patient_id = _id("patient", account["email"], account["created_at"])
    patient_ref = _ref(patient_id)
    resources: list[dict[str, Any]] = [_patient(patient_id, account, profile)]

    condition_id = None
    if profile.get("fracture_levels") or profile.get("fracture_date"):
        condition_id = _id(patient_id, "fracture")
        resources.append(_condition(condition_id, patient_ref, profile))
    if profile.get("treatment") in ("kyphoplasty", "vertebroplasty"):
        resources.append(_procedure(_id(patient_id, "procedure"), patient_ref, profile,
                                    condition_id))  # fmt: skip

    resources.extend(_daily_observations(patient_id, patient_ref, data["checkins"]))
    now = _parse(data["exported_at"])
    resources.extend(
        _medicines(patient_id, patient_ref, data["reminders"], data["doses"], now.date())
    )
    resources.extend(_appointment(patient_id, patient_ref, a, now) for a in data["appointments"])
    resources.extend(_bone_checklist(patient_id, patient_ref, data.get("bone_checklist", [])))
    resources.extend(_height(patient_id, patient_ref, h) for h in data.get("heights", []))
    return {
        "resourceType": "Bundle",
        "id": _id(patient_id, "bundle", data["exported_at"]),
        "type": "collection",
        "timestamp": data["exported_at"],
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def _patient(patient_id: str, account: dict, profile: dict) -> dict:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id,
        "name": [{"text": account["name"]}],
        "telecom": [{"system": "email", "value": account["email"]}],
    }
    if profile.get("date_of_birth"):
        patient["birthDate"] = profile["date_of_birth"]
    return patient


def _condition(condition_id: str, patient_ref: dict, profile: dict) -> dict:
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "id": condition_id,
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
        "code": {
            "coding": [
                {
                    "system": DIARY_SYSTEM,
                    "code": "vertebral-compression-fracture",
                    "display": "Vertebral compression fracture",
                }
            ],
            "text": "Vertebral compression fracture",
        },  # fmt: skip
        "subject": patient_ref,
    }
    body_site = _levels(profile.get("fracture_levels"))
    if body_site:
        condition["bodySite"] = body_site
    if profile.get("fracture_date"):
        condition["onsetDateTime"] = profile["fracture_date"]
    if profile.get("fracture_cause"):
        condition["note"] = [{"text": f"Cause: {profile['fracture_cause'].replace('_', ' ')}"}]
    return condition


def _procedure(
    procedure_id: str, patient_ref: dict, profile: dict, condition_id: str | None
) -> dict:
    name = TREATMENTS[profile["treatment"]]
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": procedure_id,
        "status": "completed" if profile.get("procedure_date") else "unknown",
        "code": {
            "coding": [{"system": DIARY_SYSTEM, "code": profile["treatment"], "display": name}],
            "text": name,
        },  # fmt: skip
        "subject": patient_ref,
    }
    if profile.get("procedure_date"):
        procedure["performedDateTime"] = profile["procedure_date"]
    body_site = _levels(profile.get("procedure_levels") or profile.get("fracture_levels"))
    if body_site:
        procedure["bodySite"] = body_site
    if condition_id:
        procedure["reasonReference"] = [_ref(condition_id)]
    return procedure


def _latest_per_day(checkins: Iterable[dict]) -> list[dict]:
    """The check-in that counts for each diary day: the latest one entered."""
    latest: dict[str, dict] = {}
    for checkin in checkins:
        current = latest.get(checkin["date"])
        if current is None or checkin["created_at"] >= current["created_at"]:
            latest[checkin["date"]] = checkin
    return [latest[day] for day in sorted(latest)]


def _daily_observations(patient_id: str, patient_ref: dict, checkins: list[dict]) -> list[dict]:
    observations = []
    for checkin in _latest_per_day(checkins):
        for field, (system, code, display, kind) in DAILY_ITEMS.items():
            value = checkin.get(field)
            if value is None or value == []:
                continue
            observation: dict[str, Any] = {
                "resourceType": "Observation",
                "id": _id(patient_id, "checkin", checkin["id"], field),
                "identifier": [{"system": f"{APP}:checkin", "value": checkin["id"]}],
                "status": "final",
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
                "code": {
                    "coding": [{"system": system, "code": code, "display": display}],
                    "text": display,
                },  # fmt: skip
                "subject": patient_ref,
                "effectiveDateTime": checkin["date"],
                "issued": checkin["created_at"],
            }
            observation.update(_value(kind, value))
            if checkin.get("entered_by"):
                observation["note"] = [{"text": f"Entered by {checkin['entered_by']}"}]
            observations.append(observation)
    return observations


def _value(kind: str, value: Any) -> dict[str, Any]:
    if kind == "boolean":
        return {"valueBoolean": bool(value)}
    if kind in ("code", "codes"):
        codes = value if isinstance(value, list) else [value]
        labels = [str(CHOICE_LABELS.get(code, code)) for code in codes]
        return {"valueCodeableConcept": {
            "coding": [{"system": CHOICE_SYSTEM, "code": code, "display": label}
                       for code, label in zip(codes, labels, strict=True)],
            "text": "; ".join(labels),
        }}  # fmt: skip
    unit_code, unit = UNITS[kind]
    return {"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit_code}}


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.removesuffix("Z"))


def _medicines(
    patient_id: str, patient_ref: dict, reminders: list[dict], doses: list[dict], today: date
) -> list[dict]:
    medicines = {r["id"]: r for r in reminders if r["kind"] == "medicine"}
    statement_ids = {key: _id(patient_id, "medicine", key, r["created_at"])
                     for key, r in medicines.items()}  # fmt: skip
    administrations: dict[str, list[str]] = {key: [] for key in medicines}
    out: list[dict] = []
    for dose in doses:
        medicine = medicines.get(dose["reminder"])
        if medicine is None:
            continue
        admin_id = _id(statement_ids[dose["reminder"]], "dose", dose["occurrence_at"])
        administrations[dose["reminder"]].append(admin_id)
        out.append({
            "resourceType": "MedicationAdministration",
            "id": admin_id,
            "status": "completed" if dose["status"] == "taken" else "not-done",
            "medicationCodeableConcept": {"text": medicine["name"]},
            "subject": patient_ref,
            "effectiveDateTime": dose["occurrence_at"],
            "note": [{"text": f"Dose due at {dose['occurrence_at']}, answered "
                              f"{dose['recorded_at']} ({dose['status']})"}],
        })  # fmt: skip
    statements = []
    for key, medicine in medicines.items():
        stopped = medicine.get("deleted_at") or (
            medicine.get("end_date") and date.fromisoformat(medicine["end_date"]) < today
        )
        statement: dict[str, Any] = {
            "resourceType": "MedicationStatement",
            "id": statement_ids[key],
            "status": "stopped" if stopped else "active",
            "medicationCodeableConcept": {"text": medicine["name"]},
            "subject": patient_ref,
            "dateAsserted": medicine["created_at"],
            "dosage": [{"text": _dosage_text(medicine)}],
        }
        period = {k: v for k, v in (("start", medicine.get("start_date")),
                                    ("end", medicine.get("end_date"))) if v}  # fmt: skip
        if period:
            statement["effectivePeriod"] = period
        if administrations[key]:
            statement["derivedFrom"] = [_ref(a) for a in administrations[key]]
        statements.append(statement)
    return statements + out


def _dosage_text(medicine: dict) -> str:
    parts = [medicine.get("dose") or "", medicine["frequency"].replace("_", " ")]
    if medicine.get("times"):
        parts.append("at " + ", ".join(medicine["times"]))
    return "; ".join(p for p in parts if p)


def _appointment(patient_id: str, patient_ref: dict, a: dict, now: datetime) -> dict:
    start = a["starts_at"]
    if a.get("cancelled_at"):
        status = "cancelled"
    elif _parse(start) < now - timedelta(hours=1):
        status = "fulfilled"
    else:
        status = "booked"
    kind = APPOINTMENT_KINDS.get(a["kind"], a["kind"])
    description = f"{kind} with {a['with_whom']}" if a.get("with_whom") else kind
    appointment: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": _id(patient_id, "appointment", a["id"]),
        "identifier": [{"system": f"{APP}:appointment", "value": a["id"]}],
        "status": status,
        "serviceType": [
            {
                "coding": [
                    {"system": f"{APP}:appointment-kind", "code": a["kind"], "display": kind}
                ],
                "text": kind,
            }
        ],  # fmt: skip
        "description": description,
        # The diary keeps when a visit starts, not how long it lasts.
        "start": start,
        "end": start,
        "created": a["created_at"],
        "participant": [{"actor": patient_ref, "status": "accepted"}],
    }
    comments = [a.get("location"), a.get("phone"), a.get("notes")]
    comments += [f"Question: {q}" for q in a.get("questions") or []]
    text = "\n".join(c for c in comments if c)
    if text:
        appointment["comment"] = text
    return appointment


# Issue 12: each answered step of the bone-health checklist, as a patient-reported Observation.
BONE_SYSTEM = f"{APP}:bone-checklist-step"
BONE_STATE_SYSTEM = f"{APP}:bone-checklist-state"


def _bone_checklist(patient_id: str, patient_ref: dict, rows: list[dict]) -> list[dict]:
    observations = []
    for row in rows:
        item = BONE_ITEMS.get(row["item"])
        label = item.label if item else row["item"]
        state = BONE_STATES.get(row["state"], row["state"])
        observation: dict[str, Any] = {
            "resourceType": "Observation",
            "id": _id(patient_id, "bone-checklist", row["item"]),
            "status": "final",
            "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
            "code": {
                "coding": [{"system": BONE_SYSTEM, "code": row["item"], "display": label}],
                "text": label,
            },
            "subject": patient_ref,
            "issued": row["updated_at"],
            "valueCodeableConcept": {
                "coding": [{"system": BONE_STATE_SYSTEM, "code": row["state"], "display": state}],
                "text": state,
            },
        }
        if row.get("on_date"):
            observation["effectiveDateTime"] = row["on_date"]
        if row.get("t_score") is not None:
            observation["component"] = [
                {
                    "code": {
                        "coding": [
                            {"system": BONE_SYSTEM, "code": "t-score", "display": "Lowest T-score"}
                        ],
                        "text": "Lowest T-score",
                    },
                    "valueQuantity": {
                        "value": row["t_score"],
                        "unit": "T-score",
                        "system": UCUM,
                        "code": "{T-score}",
                    },
                }
            ]
        if row.get("detail"):
            observation["note"] = [{"text": row["detail"]}]
        observations.append(observation)
    return observations


def _height(patient_id: str, patient_ref: dict, height: dict) -> dict:
    """Issue 12: a measured height as LOINC 8302-2 (body height), in centimetres."""
    where = "Measured at a clinic" if height["place"] == "clinic" else "Measured at home"
    if height.get("method"):
        where += f": {height['method']}"
    return {
        "resourceType": "Observation",
        "id": _id(patient_id, "height", height["id"]),
        "identifier": [{"system": f"{APP}:height", "value": height["id"]}],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "code": {
            "coding": [{"system": LOINC, "code": "8302-2", "display": "Body height"}],
            "text": "Body height",
        },
        "subject": patient_ref,
        "effectiveDateTime": height["measured_on"],
        "issued": height["created_at"],
        "valueQuantity": {
            "value": height["height_mm"] / 10,
            "unit": "cm",
            "system": UCUM,
            "code": "cm",
        },
        "note": [{"text": where}],
    }
