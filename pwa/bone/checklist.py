"""The bone-health checklist of CLINICAL.md section 6: its six items, declared once.

Each item has a plain label, a one-line "why this matters" and a library article. A patient's
answers are `BoneCheckItem` rows; an item with no row yet is "not yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import BONE_STATES, BoneCheckItem, Profile


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    why: str
    article: str  # a library slug: /learn/<article>


ITEMS: dict[str, Item] = {
    item.code: item
    for item in (
        Item(
            "dexa",
            "Bone density scan (DEXA)",
            "It measures how strong your bones are and guides the choice of medicine. "
            "Tell the staff about any bone cement in your spine.",
            "bone-density-test",
        ),
        Item(
            "bloods",
            "Blood tests: vitamin D, calcium, kidney function",
            "They check that bone medicine is safe for you and will work.",
            "getting-bone-care-started",
        ),
        Item(
            "medicine",
            "Osteoporosis medicine talked about, and which one started",
            "Medicine lowers the chance of another broken bone. It does not have to wait "
            "for the scan.",
            "bone-medicines",
        ),
        Item(
            "falls_review",
            "Falls review",
            "Most broken bones come from falls. A short check finds what raises your risk.",
            "fall-risk-check",
        ),
        Item(
            "exercise",
            "Physiotherapy or an exercise programme",
            "Strength twice a week and balance every day make bones and muscles stronger "
            "and falls less likely.",
            "exercise-after-a-spine-fracture",
        ),
        Item(
            "fls",
            "Fracture liaison or bone health clinic",
            "Where there is one, its nurse makes sure every step on this list happens.",
            "preventing-another-fracture",
        ),
    )
}
SETTLED = frozenset({"done", "not_for_me"})  # no more nudges for these


@dataclass(frozen=True)
class Answer:
    """Where one patient is with one item."""

    item: Item
    state: str
    on_date: date | None = None
    t_score: float | None = None
    detail: str | None = None

    @property
    def state_label(self) -> str:
        return BONE_STATES[self.state]

    @property
    def settled(self) -> bool:
        return self.state in SETTLED


def answers(session: Session, user_id: int) -> list[Answer]:
    """Every item in order, with the patient's answer or "not yet"."""
    rows = {
        row.item: row
        for row in session.scalars(select(BoneCheckItem).where(BoneCheckItem.user_id == user_id))
    }
    result = []
    for code, item in ITEMS.items():
        row = rows.get(code)
        if row is None:
            result.append(Answer(item, "not_yet"))
        else:
            result.append(Answer(item, row.state, row.on_date, row.t_score, row.detail))
    return result


def scan_open(session: Session, user_id: int, profile: Profile | None) -> bool:
    """Whether the scan item is still open: not done or "not for me", and no scan in the
    profile since the fracture (which the checklist counts as done)."""
    state = session.scalar(
        select(BoneCheckItem.state).where(
            BoneCheckItem.user_id == user_id, BoneCheckItem.item == "dexa"
        )
    )
    if state in SETTLED:
        return False
    return not (
        profile is not None
        and profile.fracture_date is not None
        and profile.last_dexa_date is not None
        and profile.last_dexa_date >= profile.fracture_date
    )


def dexa_date(session: Session, user_id: int, profile: Profile | None) -> date | None:
    """The date of the patient's last bone density scan: the one truth everyone reads.

    The checklist's scan item, when it is done and dated; otherwise the profile's
    `last_dexa_date`. The checklist keeps the two in step (pwa.bone.services), so they differ
    only when the patient marked the scan done without a date.
    """
    row = session.scalar(
        select(BoneCheckItem).where(BoneCheckItem.user_id == user_id, BoneCheckItem.item == "dexa")
    )
    if row is not None and row.state == "done" and row.on_date is not None:
        return row.on_date
    return profile.last_dexa_date if profile is not None else None
