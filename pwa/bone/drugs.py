"""The osteoporosis medicines the medicine list knows by name (CLINICAL.md section 6).

Generic and common brand names, the usual schedule (to pre-fill the medicine form), the margin
after which a missed long-interval dose raises `medicine_late`, and whether a course ends and
needs a follow-on medicine. Anything not in this table stays free text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Drug:
    code: str
    generic: str
    brands: tuple[str, ...]
    frequency: str  # a key of models.MEDICINE_FREQUENCIES
    interval_months: int | None = None  # for every_n_months
    late_margin_weeks: int | None = None  # None: no medicine_late for this one
    course_months: int | None = None  # a course with an end
    follow_on: bool = False  # a follow-on medicine must be planned before it ends or stops
    note: str = ""
    form: str = "dose"  # what one dose is called: "your next Prolia injection"

    @property
    def long_interval(self) -> bool:
        """Given every few months or yearly: booked ahead, and late past a margin."""
        return self.frequency in ("every_n_months", "yearly")

    @property
    def names(self) -> tuple[str, ...]:
        return (self.generic, *self.brands)


DRUGS: dict[str, Drug] = {
    drug.code: drug
    for drug in (
        Drug(
            "alendronate",
            "alendronate",
            ("Fosamax", "Binosto"),
            "weekly",
            form="tablet",
            note="On an empty stomach with a full glass of water; stay upright 30 to 60 minutes.",
        ),
        Drug(
            "risedronate",
            "risedronate",
            ("Actonel", "Atelvia"),
            "weekly",
            form="tablet",
            note="On an empty stomach with a full glass of water; stay upright 30 to 60 minutes.",
        ),
        Drug(
            "ibandronate",
            "ibandronate",
            ("Boniva",),
            "monthly",
            form="tablet",
            note="A monthly tablet: on an empty stomach with a full glass of water; stay upright "
            "60 minutes.",
        ),
        Drug(
            "ibandronate_injection",
            "ibandronate injection",
            ("Boniva injection",),
            "every_n_months",
            interval_months=3,
            late_margin_weeks=4,
            form="injection",
            note="An injection every 3 months.",
        ),
        Drug(
            "zoledronic_acid",
            "zoledronic acid",
            ("Reclast", "Aclasta"),
            "yearly",
            late_margin_weeks=8,
            form="infusion",
            note="A drip (infusion) once a year. Drink plenty of water that day.",
        ),
        Drug(
            "denosumab",
            "denosumab",
            ("Prolia",),
            "every_n_months",
            interval_months=6,
            late_margin_weeks=4,
            follow_on=True,
            form="injection",
            note="Never late, and never stopped without a follow-on medicine about 6 months "
            "after the last injection: stopping can bring several spine fractures at once.",
        ),
        Drug(
            "teriparatide",
            "teriparatide",
            ("Forteo",),
            "daily",
            course_months=24,
            follow_on=True,
            form="injection",
            note="A course of up to 2 years, then another medicine to keep the gain.",
        ),
        Drug(
            "abaloparatide",
            "abaloparatide",
            ("Tymlos",),
            "daily",
            course_months=24,
            follow_on=True,
            form="injection",
            note="A course of up to 2 years, then another medicine to keep the gain.",
        ),
        Drug(
            "romosozumab",
            "romosozumab",
            ("Evenity",),
            "monthly",
            late_margin_weeks=2,
            course_months=12,
            follow_on=True,
            form="injection",
            note="Monthly injections for 12 months, then another medicine.",
        ),
    )
}


def find(name: str | None) -> Drug | None:
    """The drug a medicine's name means ("Prolia 60 mg" is denosumab), or None."""
    if not name:
        return None
    words = name.casefold()
    matches = [
        (len(known), drug)
        for drug in DRUGS.values()
        for known in drug.names
        if known.casefold() in words
    ]
    return max(matches, key=lambda match: match[0])[1] if matches else None


# An every-few-months or yearly medicine the table does not know is late 4 weeks past its date.
DEFAULT_LATE_MARGIN_WEEKS = 4
LONG_INTERVAL_FREQUENCIES = ("every_n_months", "yearly")
# "Plan the next medicine" comes this long before a course with an end ends.
PLAN_AHEAD_WEEKS = 8


def of(code: str | None) -> Drug | None:
    """The drug a medicine's stored `Reminder.drug` names, or None."""
    return DRUGS.get(code) if code else None


def known_names() -> list[str]:
    """Every name the table knows, generic and brand, for the form's list of suggestions."""
    return sorted({name for drug in DRUGS.values() for name in drug.names}, key=str.casefold)


def books_ahead(frequency: str, drug: Drug | None) -> bool:
    """Whether a medicine given this often gets "book your next dose" weeks ahead."""
    return frequency in LONG_INTERVAL_FREQUENCIES or (drug is not None and drug.long_interval)


def late_margin(frequency: str, drug: Drug | None) -> tuple[int, bool] | None:
    """(weeks past a dose's date after which it is late, whether the drug's own), or None when
    a missed dose of this medicine does not raise `medicine_late` (a daily or weekly schedule
    the patient chose for a drug the table knows as every few months is not judged by it)."""
    usual = drug is not None and frequency in (drug.frequency, *LONG_INTERVAL_FREQUENCIES)
    if drug is not None and usual and drug.late_margin_weeks is not None:
        return drug.late_margin_weeks, True
    if frequency in LONG_INTERVAL_FREQUENCIES:
        return DEFAULT_LATE_MARGIN_WEEKS, False
    return None


def table_json() -> list[dict]:
    """The table as the medicine form's script reads it (static/js/reminders-form.js)."""
    return [
        {
            "code": drug.code,
            "names": list(drug.names),
            "frequency": drug.frequency,
            "interval_months": drug.interval_months,
            "note": drug.note,
        }
        for drug in DRUGS.values()
    ]
