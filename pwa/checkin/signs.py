"""The warning signs of CLINICAL.md section 4, in three tiers, and what each tier says."""

from collections.abc import Iterable
from dataclasses import dataclass

EMERGENCY, URGENT, ROUTINE = "emergency", "urgent", "routine"
TIER_ORDER = (EMERGENCY, URGENT, ROUTINE)


@dataclass(frozen=True)
class Sign:
    code: str
    tier: str
    label: str


SIGNS: dict[str, Sign] = {
    sign.code: sign
    for sign in [
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
        Sign(
            "serious_fall_pain", EMERGENCY, "Severe new back pain after a serious fall or accident"
        ),
        Sign("fever", URGENT, "Fever of 38.0 °C (100.4 °F) or more, or chills"),
        Sign(
            "needle_site",
            URGENT,
            "The needle site is red, warm, swollen, leaking fluid or bleeding",
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
        Sign("pain_uncontrolled", URGENT, "Pain that your prescribed medicines do not control"),
        Sign("drowsy_confused", URGENT, "Feeling very drowsy or confused"),
        Sign(
            "opioid_constipation",
            URGENT,
            "No bowel movement for 3 days or more while taking opioid pain medicine",
        ),
        Sign("calf", URGENT, "Pain or swelling in a calf"),
        Sign("height_loss", ROUTINE, "You seem to have lost height"),
        Sign("brace_problem", ROUTINE, "Problems with your brace"),
        Sign("side_effects", ROUTINE, "Side effects from a medicine"),
        Sign("missed_osteo_medicine", ROUTINE, "Missed doses of your osteoporosis medicine"),
    ]
}

# Raised by the app from the diary itself, never ticked.
PAIN_JUMP = Sign(
    "pain_jump",
    URGENT,
    "Your pain today is 3 or more points above your average of the last 7 days",
)
COMPUTED = {PAIN_JUMP.code: PAIN_JUMP}
ALL_SIGNS = {**SIGNS, **COMPUTED}

TIER_GUIDANCE = {
    EMERGENCY: {
        "title": "Call {number} now",
        "text": "These signs need help right away. Call {number} (or your local emergency "
        "number) now. Do not drive yourself.",
    },
    URGENT: {
        "title": "Call your doctor or surgeon today",
        "text": "These signs need a doctor today. Call your doctor or surgeon now. "
        "After hours, go to urgent care.",
    },
    ROUTINE: {
        "title": "Tell your doctor at your next visit",
        "text": "Write these down for your next appointment. They will also be on your report "
        "for the doctor.",
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


def top_tier(codes) -> str | None:
    tiers = {ALL_SIGNS[c].tier for c in codes if c in ALL_SIGNS}
    return next((tier for tier in TIER_ORDER if tier in tiers), None)
