"""The one catalogue of warning signs (CLINICAL.md section 4): code, tier, wording, advice and
where each can apply. The codes are fixed interfaces: the API takes them in `warning_signs` and
answers them in `warnings_raised`, and the report reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

EMERGENCY, URGENT, ROUTINE = "emergency", "urgent", "routine"
TIER_ORDER = (EMERGENCY, URGENT, ROUTINE)

# Medicine names (generic and brand, lower case) that make a medicine-specific sign apply.
ORAL_BISPHOSPHONATES = (
    "alendronate", "fosamax", "binosto", "risedronate", "actonel", "atelvia", "ibandronate",
    "boniva",
)  # fmt: skip
BONE_MEDICINES = (
    *ORAL_BISPHOSPHONATES, "zoledronic", "reclast", "aclasta", "zometa", "denosumab", "prolia",
    "xgeva", "bisphosphonate",
)  # fmt: skip
PROCEDURES = ("kyphoplasty", "vertebroplasty", "other")


@dataclass(frozen=True)
class Applicability:
    """What the check-in knows about the patient to decide which signs can apply."""

    procedure: bool = False
    brace: bool = False
    blood_thinner: bool = False
    medicines: tuple[str, ...] = ()  # names on file, lower case
    cancer_ever: bool = False
    everyone: bool = False  # no profile to go by (the offline form): show every sign

    def takes(self, names: Iterable[str]) -> str | None:
        """The first medicine on file whose name contains one of `names`, as written."""
        wanted = tuple(names)
        return next((m for m in self.medicines if any(n in m for n in wanted)), None)


@dataclass(frozen=True)
class Sign:
    code: str
    tier: str
    label: str
    # None: always shown. Else the reason it is asked ("Asked because ..."), or None if it
    # cannot apply to this patient.
    applies: Callable[[Applicability], str | None] | None = field(default=None, compare=False)
    computed: bool = False  # raised by the app from the diary, never ticked
    only_if: str = ""  # for a profile-dependent sign shown without a profile
    # For a sign asked of everyone that matters more with something in the profile.
    note: Callable[[Applicability], str | None] | None = field(default=None, compare=False)
    # Issue 12: for a computed sign, what to do about it and why it matters (with its source),
    # shown where the app raises it.
    advice: str = ""
    why: str = ""

    def reason(self, context: Applicability) -> str | None:
        """Why this profile-dependent sign is asked; None for one asked of everyone."""
        if self.applies is None:
            return self.note(context) if self.note else None
        if context.everyone:
            return f"Only if {self.only_if}."
        return self.applies(context)

    def shown_to(self, context: Applicability) -> bool:
        return self.applies is None or context.everyone or self.applies(context) is not None


def applicability(profile: object | None, medicines: Iterable[str]) -> Applicability:
    """Which signs can apply, from the recovery profile and the medicine list's names."""
    names = [*medicines, getattr(profile, "osteoporosis_medicine", None) or ""]
    return Applicability(
        procedure=getattr(profile, "treatment", None) in PROCEDURES
        or getattr(profile, "procedure_date", None) is not None,
        brace=bool(getattr(profile, "brace_prescribed", None)),
        blood_thinner=bool(getattr(profile, "blood_thinner", None)),
        cancer_ever=bool(getattr(profile, "cancer_ever", None)),
        medicines=tuple(name.strip().lower() for name in names if name and name.strip()),
    )


def _cancer(c: Applicability) -> str | None:
    return (
        "You told us you have had cancer: new back pain needs a doctor to look for the cause."
        if c.cancer_ever
        else None
    )


def _procedure(c: Applicability) -> str | None:
    return "Asked because you had a procedure on your spine." if c.procedure else None


def _brace(c: Applicability) -> str | None:
    return "Asked because your doctor gave you a brace." if c.brace else None


def _bone_medicine(c: Applicability) -> str | None:
    name = c.takes(BONE_MEDICINES)
    return f"Asked because you take {name}." if name else None


def _oral_bisphosphonate(c: Applicability) -> str | None:
    name = c.takes(ORAL_BISPHOSPHONATES)
    return f"Asked because you take {name}." if name else None


CATALOGUE: list[Sign] = [
    # Emergency: call the emergency number now.
    Sign("chest_breath", EMERGENCY, "New chest pain, or sudden shortness of breath"),
    Sign(
        "legs_both",
        EMERGENCY,
        "New weakness, numbness or tingling in both legs, or suddenly unable to stand or walk",
    ),
    Sign(
        "saddle_bladder",
        EMERGENCY,
        "Numbness around the private parts, buttocks or inner thighs, new loss of bladder or "
        "bowel control, or unable to pass urine",
    ),
    Sign("serious_fall_pain", EMERGENCY, "Severe new back pain after a serious fall or accident"),
    Sign(
        "fall_cannot_stand",
        EMERGENCY,
        "After a fall: cannot stand or put weight on a leg, or new pain in the hip or groin",
    ),
    Sign(
        "fall_head_blood_thinner",
        EMERGENCY,
        "Hit your head in a fall while taking a blood thinner",
    ),
    Sign(
        "opioid_overdose",
        EMERGENCY,
        "Very hard to wake, slow or shallow breathing, or blue or grey lips, while taking "
        "opioid pain medicine (someone else may need to call)",
    ),
    Sign("stroke", EMERGENCY, "Face drooping, arm weakness, or trouble speaking"),
    Sign("gi_bleed", EMERGENCY, "Vomiting blood, or black, tarry stools"),
    # Urgent: call the doctor today.
    Sign("fever", URGENT, "Fever of 38.0 °C (100.4 °F) or more, or chills"),
    Sign(
        "needle_site",
        URGENT,
        "The needle site is red, warm, swollen, leaking fluid or bleeding",
        applies=_procedure,
        only_if="you had a procedure on your spine",
    ),
    Sign(
        "one_side_nerve",
        URGENT,
        "New numbness, tingling, weakness or band-like pain on one side, in one leg, "
        "or around the chest or belly",
    ),
    Sign(
        "sudden_pain",
        URGENT,
        "Sudden new or much worse back pain, or pain in a new place, especially after "
        "bending, lifting, coughing or a small fall",
    ),
    Sign("fall_injured", URGENT, "A fall with an injury or new pain"),
    Sign("pain_uncontrolled", URGENT, "Pain that your prescribed medicines do not control"),
    Sign("drowsy_confused", URGENT, "Feeling very drowsy or confused"),
    Sign("calf", URGENT, "Pain or swelling in a calf"),
    Sign(
        "cancer_flags",
        URGENT,
        "Weight loss you cannot explain, new back pain after having had cancer, or back pain "
        "that is worse at night or not eased by lying down",
        note=_cancer,
    ),
    # Routine: tell the doctor at the next visit.
    Sign("near_fall", ROUTINE, "Nearly fell, or felt unsteady on your feet"),
    Sign(
        "height_loss",
        ROUTINE,
        "You seem to have lost height",
        advice="Ask whether you need a spine x-ray or a vertebral fracture assessment.",
        why="Losing height can be the only sign of a new spine fracture: many cause no pain. "
        "Losing more than 6 cm from your tallest height makes a spine fracture about 3 times "
        "as likely, more than 8 cm about 10 times (Siminoski 2006). A loss of 2 cm or more "
        "between measurements also needs a look.",
    ),
    Sign(
        "brace_problem",
        ROUTINE,
        "Problems with your brace",
        applies=_brace,
        only_if="your doctor gave you a brace",
    ),
    Sign("side_effects", ROUTINE, "Side effects from a medicine"),
    Sign("missed_osteo_medicine", ROUTINE, "Missed doses of your osteoporosis medicine"),
    Sign(
        "thigh_groin_ache",
        ROUTINE,
        "A new ache in the thigh or groin",
        applies=_bone_medicine,
        only_if="you take a bone medicine such as alendronate or denosumab",
    ),
    Sign(
        "jaw",
        ROUTINE,
        "Jaw pain, or bone showing in your mouth",
        applies=_bone_medicine,
        only_if="you take a bone medicine such as alendronate or denosumab",
    ),
    Sign(
        "swallow_pain",
        ROUTINE,
        "Heartburn, or pain when swallowing",
        applies=_oral_bisphosphonate,
        only_if="you take a bone medicine tablet such as alendronate",
    ),
    # Computed by the app from the diary, never ticked.
    Sign(
        "pain_jump",
        URGENT,
        "Your pain today is 3 or more points above your average of the last 7 days",
        computed=True,
    ),
    Sign(
        "bed_rest_days",
        URGENT,
        "Mostly in bed 3 days in a row: long bed rest weakens bones and muscles and raises "
        "the risk of clots and pneumonia",
        computed=True,
    ),
    Sign(
        "opioid_constipation",
        URGENT,
        "No bowel movement on 3 days in a row while taking opioid pain medicine",
        computed=True,
    ),
    Sign(
        "medicine_late",
        URGENT,
        "A bone medicine dose is overdue",
        computed=True,
        advice="Call your doctor this week to have the dose as soon as you can.",
    ),
    Sign("fall_no_injury", ROUTINE, "A fall without injury", computed=True),
    Sign(
        "pain_not_improving",
        ROUTINE,
        "Pain still 4 or more, or less than 30% better than at the start, 6 to 12 weeks on",
        computed=True,
        advice="Tell your doctor at your next visit, sooner if it gets worse: ask whether your "
        "fracture is healing and whether another treatment could help.",
        why="Most fractures hurt much less by 6 to 12 weeks. Pain that is not easing by then is "
        "worth a review (a pain and function check at about 6 weeks, a decision at about 3 "
        "months); a new fracture is the first thing to rule out.",
    ),
]

# Issue 12: said with medicine_late when the late medicine is denosumab (Prolia).
DENOSUMAB_LATE = "A late denosumab dose can lead to several spine fractures at once."

ALL_SIGNS: dict[str, Sign] = {sign.code: sign for sign in CATALOGUE}
# The signs a patient (or the API) may tick; fall_injured and height_loss may also be computed.
SIGNS: dict[str, Sign] = {code: sign for code, sign in ALL_SIGNS.items() if not sign.computed}
COMPUTED: dict[str, Sign] = {code: sign for code, sign in ALL_SIGNS.items() if sign.computed}
PAIN_JUMP = ALL_SIGNS["pain_jump"]
# Asked through the fall questions in the check-in rather than as boxes of their own.
FALL_SIGNS = ("fall_cannot_stand", "fall_head_blood_thinner", "fall_injured")

TIER_GUIDANCE = {
    EMERGENCY: {
        "title": "Call {number} now",
        "text": "These signs need help right away. Call {number} (or your local emergency "
        "number) now. Do not drive yourself.",
        "short": "Call {number} now. Do not drive yourself.",
    },
    URGENT: {
        "title": "Call your doctor or surgeon today",
        "text": "These signs need a doctor today. Call your doctor or surgeon now. "
        "After hours, go to urgent care.",
        "short": "Call your doctor or surgeon today. After hours, go to urgent care.",
    },
    ROUTINE: {
        "title": "Tell your doctor at your next visit",
        "text": "Write these down for your next appointment. They will also be on your report "
        "for the doctor.",
        "short": "Tell your doctor at your next visit, sooner if it gets worse.",
    },
}


TIER_HEADINGS = {
    EMERGENCY: "Call the emergency number now if you have:",
    URGENT: "Call your doctor today if you have:",
    ROUTINE: "Tell your doctor at your next visit if you have:",
}


def signs_by_tier(codes: Iterable[str] | None = None) -> dict[str, list[Sign]]:
    """Signs grouped by tier, emergency first; all signs when `codes` is None."""
    chosen = ALL_SIGNS if codes is None else {c: ALL_SIGNS[c] for c in codes if c in ALL_SIGNS}
    grouped: dict[str, list[Sign]] = {tier: [] for tier in TIER_ORDER}
    for sign in chosen.values():
        grouped[sign.tier].append(sign)
    return {tier: signs for tier, signs in grouped.items() if signs}


def checklist(context: Applicability) -> dict[str, list[Sign]]:
    """The boxes the check-in shows this patient, by tier: the tickable signs that can apply,
    without the ones the fall questions ask."""
    codes = [
        code for code, sign in SIGNS.items() if code not in FALL_SIGNS and sign.shown_to(context)
    ]
    return signs_by_tier(codes)


def top_tier(codes: Iterable[str]) -> str | None:
    tiers = {ALL_SIGNS[c].tier for c in codes if c in ALL_SIGNS}
    return next((tier for tier in TIER_ORDER if tier in tiers), None)
