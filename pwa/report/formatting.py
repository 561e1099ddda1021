"""Small text helpers the report template uses; plain functions so the PDF and page agree."""

from datetime import date, datetime

from .services import one_decimal, period_text, signed_percent, signed_points  # noqa: F401


def day(value: date | None) -> str:
    """'5 Oct 2026': day first and the month in words, unambiguous in every country."""
    return f"{value.day} {value:%b %Y}" if value else ""


def weekday(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def clock(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{value:%-I:%M %p}".replace("AM", "am").replace("PM", "pm")


def when(value: datetime) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}, {clock(value)}"


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def number(value: int | None) -> str:
    return "" if value is None else str(value)


# The appendix has one table row per day. WeasyPrint's time grows with the number of boxes,
# not with the amount of text, so each row is six cells of plain text rather than one cell
# per field: a year of days stays quick to print and every field is still there.

SHORT_LOCATIONS = {
    "upper_back": "upper back",
    "middle_back": "middle back",
    "lower_back": "lower back",
    "belly_chest": "to belly/chest",
    "legs": "to legs",
}
SHORT_AIDS = {"none": "no aid", "cane": "cane", "walker": "walker", "wheelchair": "wheelchair",
              "bed": "mostly in bed"}  # fmt: skip


def _join(parts, sep: str = ", ") -> str:
    return sep.join(part for part in parts if part)


def pain_details(d) -> str:
    """'worst 9, moving 8; middle back, lower back'."""
    scores = _join(
        [
            f"worst {d.pain_worst}" if d.pain_worst is not None else "",
            f"moving {d.pain_activity}" if d.pain_activity is not None else "",
        ]
    )
    return _join([scores, ", ".join(SHORT_LOCATIONS.get(c, c) for c in d.locations)], "; ")


def day_and_walking(d) -> str:
    """'limited yes, bed rest no, sleep disturbed yes; walker, 25 min; brace 8 h'."""
    answers = _join(
        f"{label} {yes_no(value)}"
        for label, value in (
            ("limited", d.limited_activity),
            ("bed rest", d.bed_rest),
            ("sleep disturbed", d.sleep_disturbed),
        )
        if value is not None
    )
    walking = _join(
        [
            SHORT_AIDS.get(d.walking_aid, d.walking_aid) if d.walking_aid else "",
            f"{d.minutes_walked} min" if d.minutes_walked is not None else "",
        ]
    )
    brace = f"brace {d.brace_hours} h" if d.brace_hours is not None else ""
    return _join([answers, walking, brace], "; ")


def medicines(d) -> str:
    """Pain medicines as doses, then bone health: 'opioid 2, NSAID 1 | osteoporosis yes'."""
    return _join([pain_medicines(d), bone_health(d)], " | ")


def events_and_notes(d, warnings) -> str:
    parts = [fall(d) if d.fell else ""]
    parts += list(warnings)
    if d.weekly_change_label:
        parts.append(f"Back vs start: {d.weekly_change_label.lower()}")
    if d.notes:
        parts.append(f"Note: {d.notes.strip()}")
    if d.entries > 1:
        parts.append(f"({d.entries} check-ins that day, the latest shown)")
    if getattr(d, "entered_by", None):
        parts.append(f"Entered by {d.entered_by}")
    return _join(parts, ". ")


def pain_medicines(entry) -> str:
    """'acetaminophen 2, opioid 1', 'no pain medicine' when none, '' when not answered."""
    if not entry.medicines_answered:
        return ""
    taken = [f"{name if name == 'NSAID' else name.lower()} {n}" for name, n in entry.pain_medicines]
    return ", ".join(taken) or "no pain medicine"


def bone_health(entry) -> str:
    parts = [
        (label, value)
        for label, value in (
            ("osteoporosis", entry.osteoporosis_med_taken),
            ("calcium", entry.calcium_taken),
            ("vit D", entry.vitamin_d_taken),
        )
        if value is not None
    ]
    return ", ".join(f"{label} {yes_no(value)}" for label, value in parts)


def fall(entry) -> str:
    if entry.fell is None:
        return ""
    if not entry.fell:
        return "no"
    return {True: "Fall, injured", False: "Fall, not injured"}.get(entry.fall_injured, "Fall")
