"""The recovery profile: reading it into a form and saving a form back."""

from ..models import Profile, User
from .forms import parse_levels

TRI_STATE = {"yes": True, "no": False, "": None, None: None}
TRI_STATE_BACK = {True: "yes", False: "no", None: ""}
TRI_FIELDS = (
    "brace_prescribed", "osteoporosis_diagnosed", "blood_thinner", "cancer_ever", "steroid_tablets",
)  # fmt: skip
LEVEL_FIELDS = ("fracture_levels", "procedure_levels")
FIELDS = (
    "date_of_birth", "fracture_levels", "fracture_date", "fracture_cause", "treatment",
    "procedure_date", "procedure_levels", "brace_prescribed", "osteoporosis_diagnosed",
    "osteoporosis_medicine", "osteoporosis_medicine_start", "last_dexa_date", "doctor_name",
    "clinic_phone", "emergency_contact_name", "emergency_contact_phone",
    "blood_thinner", "cancer_ever", "earlier_fractures", "steroid_tablets",
)  # fmt: skip


def profile_form_data(profile: Profile | None) -> dict:
    if profile is None:
        return {}
    data = {name: getattr(profile, name) for name in FIELDS}
    for name in TRI_FIELDS:
        data[name] = TRI_STATE_BACK[data[name]]
    data["tallest_height"] = profile.tallest_height_mm  # issue 12: whole millimetres
    return data


def save_profile(patient: User, data: dict) -> Profile:
    """Stores the submitted fields; blanks become None so "not known" stays distinguishable."""
    if patient.profile is None:
        patient.profile = Profile()
    profile = patient.profile
    for name in FIELDS:
        value = data.get(name)
        if name in TRI_FIELDS:
            value = TRI_STATE.get(value)
        elif name in LEVEL_FIELDS:
            value = ", ".join(parse_levels(value)) or None
        elif isinstance(value, str):
            value = value.strip() or None
        setattr(profile, name, value)
    if "tallest_height" in data:  # issue 12: whole millimetres, parsed by the form
        profile.tallest_height_mm = data["tallest_height"]
    return profile
