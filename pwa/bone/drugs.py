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
            note="On an empty stomach with a full glass of water; stay upright 30 to 60 minutes.",
        ),
        Drug(
            "risedronate",
            "risedronate",
            ("Actonel", "Atelvia"),
            "weekly",
            note="On an empty stomach with a full glass of water; stay upright 30 to 60 minutes.",
        ),
        Drug("ibandronate", "ibandronate", ("Boniva",), "monthly", note="Monthly tablet."),
        Drug(
            "ibandronate_injection",
            "ibandronate injection",
            ("Boniva injection",),
            "every_n_months",
            interval_months=3,
            late_margin_weeks=4,
        ),
        Drug(
            "zoledronic_acid",
            "zoledronic acid",
            ("Reclast", "Aclasta"),
            "yearly",
            late_margin_weeks=8,
        ),
        Drug(
            "denosumab",
            "denosumab",
            ("Prolia",),
            "every_n_months",
            interval_months=6,
            late_margin_weeks=4,
            follow_on=True,
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
            note="A course of up to 2 years, then another medicine to keep the gain.",
        ),
        Drug(
            "abaloparatide",
            "abaloparatide",
            ("Tymlos",),
            "daily",
            course_months=24,
            follow_on=True,
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
