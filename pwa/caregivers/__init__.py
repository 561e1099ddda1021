"""Caregivers: a daughter or a spouse follows the patient's diary with their own account.

Two blueprints, so that each URL names whose record it takes: `caregivers` is the patient's
side (invite, see, remove), `care` the caregiver's side (accept, then read-only pages of the
patient, and a check-in on the patient's behalf when allowed).
"""

from flask import Blueprint

caregivers_bp = Blueprint("caregivers", __name__)
care_bp = Blueprint("care", __name__)

from . import notify, views  # noqa: E402,F401
