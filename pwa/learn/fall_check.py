"""The fall-risk self-check: the 12 questions of CDC STEADI's "Stay Independent" brochure (a
US government work, public domain) with their points, scored on the server and never stored.

The brochure's rule: 4 points or more means you may be at risk of falling; talk to your doctor.
The form is `forms.FallCheckForm`. The library article `fall-risk-check` lists the same
questions for reading offline; a test keeps the two the same.
"""

from __future__ import annotations

from dataclasses import dataclass

AT_RISK_POINTS = 4
ANSWERS = [("yes", "Yes"), ("no", "No")]


@dataclass(frozen=True)
class Question:
    text: str
    points: int  # for a Yes
    why: str  # the brochure's reason, in our words


QUESTIONS = (
    Question(
        "I have fallen in the past year.",
        2,
        "People who have fallen once are likely to fall again.",
    ),
    Question(
        "I use or have been advised to use a cane or walker to get around safely.",
        2,
        "A person who has been told to use a cane or walker may already be more likely to fall.",
    ),
    Question(
        "Sometimes I feel unsteady when I am walking.",
        1,
        "Unsteadiness or needing support while walking are signs of poor balance.",
    ),
    Question(
        "I steady myself by holding onto furniture when walking at home.",
        1,
        "This is also a sign of poor balance.",
    ),
    Question(
        "I am worried about falling.",
        1,
        "People who are worried about falling are more likely to fall.",
    ),
    Question(
        "I need to push with my hands to stand up from a chair.",
        1,
        "This is a sign of weak leg muscles, a major reason for falling.",
    ),
    Question(
        "I have some trouble stepping up onto a curb.",
        1,
        "This is also a sign of weak leg muscles.",
    ),
    Question(
        "I often have to rush to the toilet.",
        1,
        "Rushing to the bathroom, especially at night, raises the chance of a fall.",
    ),
    Question("I have lost some feeling in my feet.", 1, "Numb feet can cause stumbles and falls."),
    Question(
        "I take medicine that sometimes makes me feel light-headed or more tired than usual.",
        1,
        "Side effects from medicines can sometimes raise the chance of a fall.",
    ),
    Question(
        "I take medicine to help me sleep or improve my mood.",
        1,
        "These medicines can sometimes raise the chance of a fall.",
    ),
    Question("I often feel sad or depressed.", 1, "Feeling low is linked to falls."),
)
MAX_POINTS = sum(q.points for q in QUESTIONS)


@dataclass(frozen=True)
class FallCheckResult:
    points: int
    at_risk: bool
    yes_answers: tuple[Question, ...]


def score(answers: list[str]) -> FallCheckResult:
    """Adds up the points of the Yes answers ("yes"/"no", one per question, in order)."""
    if len(answers) != len(QUESTIONS):
        raise ValueError(f"expected {len(QUESTIONS)} answers, got {len(answers)}")
    yes = tuple(q for q, answer in zip(QUESTIONS, answers, strict=True) if answer == "yes")
    points = sum(q.points for q in yes)
    return FallCheckResult(points=points, at_risk=points >= AT_RISK_POINTS, yes_answers=yes)
