"""Small text helpers the report template uses; plain functions so the PDF and page agree."""

from datetime import date, datetime

from ..models import BONE_STATES
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


# Page 1 prints from report.json's data (pwa/report/data.py): ISO dates and rounded numbers.


def iso_day(value: str | None) -> str:
    """'5 Nov 2026' for report.json's '2026-11-05'."""
    return day(date.fromisoformat(value)) if value else ""


def short_day(value: str | None) -> str:
    """'5 Nov' for report.json's '2026-11-05'."""
    return f"{date.fromisoformat(value).day} {date.fromisoformat(value):%b}" if value else ""


def iso_when(value: str | None) -> str:
    return when(datetime.fromisoformat(value)) if value else ""


def points(value: float | None) -> str:
    """A rounded figure as printed: '4.0'; '-' when there is none."""
    return "-" if value is None else f"{value:.1f}"


def signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


TIER_WORDS = {"emergency": "Emergency", "urgent": "Urgent", "routine": "Next visit"}
NOT_ASKED_ACTION = ("fall", "new_location", "medicine_late", "no_bone_scan")  # no "what I did"


def tier_word(tier: str) -> str:
    return TIER_WORDS.get(tier, tier)


def asked_signs() -> str:
    """Which red flags the check-in asks about, for "None reported"."""
    from ..checkin.signs import SIGNS, signs_by_tier

    grouped = signs_by_tier(SIGNS)
    return ", ".join(
        f"{len(signs)} {tier_word(tier).lower()}" for tier, signs in grouped.items()
    ) + (" warning signs")


# Issue 12: page 1's bone-health box, worded from report.json's `bone_health` (facts as recorded,
# never a judgement). Short names keep the checklist to one or two lines.

SHORT_ITEMS = {
    "dexa": "scan",
    "bloods": "blood tests",
    "medicine": "medicine",
    "falls_review": "falls review",
    "exercise": "exercise/physio",
    "fls": "fracture liaison",
}
PLACES = {"clinic": "clinic", "home": "home"}
MAX_FALL_DAYS = 4


def _weeks(n: int) -> str:
    return "1 week" if n == 1 else f"{n} weeks"


def bone_scan(bone: dict) -> str:
    """'12 Mar 2026, T-score -2.8' or 'none recorded in the 9 weeks since the fracture'."""
    if bone["scan_since_fracture"]:
        text = iso_day(bone["dexa_date"]) or "done, date not recorded"
        if bone["t_score"] is not None:
            text += f", T-score {bone['t_score']:.1f}"
        return text
    weeks = bone["weeks_since_fracture"]
    if weeks is None:
        text = "none recorded"
    elif weeks == 0:
        text = "none recorded since the fracture"
    else:
        text = f"none recorded in the {_weeks(weeks)} since the fracture"
    if bone["dexa_date"]:
        text += f" (last {iso_day(bone['dexa_date'])}, before the fracture)"
    if bone["scan_booked_for"]:
        text += f"; booked for {iso_day(bone['scan_booked_for'])}"
    return text


def bone_medicine(medicine: dict) -> str:
    """'Prolia (denosumab): 1 of 2 due on time, 1 late' (its schedule, last dose and next due
    date are in the medicines table just above)."""
    name = medicine["name"]
    if medicine["generic"] and medicine["generic"].casefold() not in name.casefold():
        name += f" ({medicine['generic']})"
    a = medicine["adherence"]
    if a is None:
        since = f" since {iso_day(medicine['since'])}" if medicine["since"] else ""
        return f"{name}: in the profile{since}, not on the medicine list"
    if not a["due"]:
        return f"{name}: no dose due in this period"
    text = f"{name}: {a['taken_on_time']} of {a['due']} due on time"
    return text + "".join(f", {a[key]} {key}" for key in ("late", "missed") if a[key])


def _taken(what: str, counts: dict) -> str:
    if not counts["answered_days"]:
        return f"{what} not answered"
    text = f"{what} taken {counts['taken_days']} of {counts['days_logged']} days logged"
    if counts["answered_days"] != counts["days_logged"]:
        text += f" ({counts['answered_days']} answered)"
    return text


def _state(entry: dict) -> str:
    text = BONE_STATES.get(entry["state"], entry["state"])
    return f"{text} {short_day(entry['on_date'])}" if entry["on_date"] else text


def vitamins(bone: dict) -> str:
    """'vitamin D taken on 20 of 28 days logged; calcium ...; blood tests Booked 3 Apr'."""
    return (
        f"{_taken('vitamin D', bone['vitamin_d'])}; {_taken('calcium', bone['calcium'])}; "
        f"blood tests {_state(bone['blood_tests'])}"
    )


def falls(bone: dict) -> str:
    """'2 (3 Nov, 20 Nov)', '7 (first 2 Sep, latest 29 Nov)' or 'none reported'."""
    count, days = bone["falls"]["count"], bone["falls"]["days"]
    if not count:
        return "none reported"
    if count > MAX_FALL_DAYS:
        return f"{count} (first {short_day(days[0])}, latest {short_day(days[-1])})"
    return f"{count} ({', '.join(short_day(d) for d in days)})"


def _measured(height: dict) -> str:
    place = PLACES.get(height["place"], height["place"])
    return f"{height['cm']:.1f} cm ({place}, {iso_day(height['date'])})"


def height(bone: dict) -> str:
    """'162.5 cm (clinic, 1 Nov 2026), 2.5 cm less than the first, 165.0 cm (clinic, ...),
    6.5 cm below the tallest remembered adult height (169.0 cm)'."""
    h = bone["height"]
    parts = [_measured(h["latest"]) if h["latest"] else "none recorded"]
    change = h["change_cm"]
    if change is not None:
        word = (
            "the same as"
            if change == 0
            else f"{abs(change):.1f} cm " + ("less than" if change < 0 else "more than")
        )
        parts.append(f"{word} the first, {_measured(h['first'])}")
    below, tallest = h["below_tallest_cm"], h["tallest_cm"]
    if below is not None:
        word = (
            "the same as"
            if below == 0
            else f"{abs(below):.1f} cm " + ("below" if below > 0 else "above")
        )
        parts.append(f"{word} the tallest remembered adult height ({tallest:.1f} cm)")
    elif tallest is not None:
        parts.append(f"tallest remembered adult height {tallest:.1f} cm")
    return "; ".join(parts)


def checklist(bone: dict) -> str:
    """'scan Not yet · blood tests Booked 3 Apr · medicine Done · ...' in the checklist's order."""
    return " · ".join(
        f"{SHORT_ITEMS.get(entry['item'], entry['item'])} {_state(entry)}"
        for entry in bone["checklist"]
    )
