"""The visit itself: suggested questions taken or removed, questions ticked as asked, and what
the doctor said, noted afterwards (issue 12).

Adding a question changes `questions`, which the API and other devices edit too, so it goes
through the appointment's compare-and-set (retried on a version that moved meanwhile). Ticks,
removed suggestions and the visit notes belong to this page alone and change no version: a
tick at the clinic must never turn the patient's open edit form on another device stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from ..models import Appointment
from ..records.appointment import Questions
from ..records.types import Invalid
from .services import StaleVersion, _change

VISIT_NOTES_MAX = 4000


class QuestionError(ValueError):
    """The question cannot be added; the message says why, in the patient's words."""


def add_question(
    session: Session, appointment: Appointment, text: str, key: str | None, now: datetime
) -> Appointment:
    """Adds `text` to the appointment's questions (once) and marks the suggestion `key` as
    taken, so it is not suggested again. Raises QuestionError for an empty or too long text,
    or a list already full."""
    text = " ".join(text.split())
    if not text:
        raise QuestionError("Please write the question, or press Remove if you do not want it.")
    for _attempt in range(3):
        questions = list(appointment.questions or [])
        if text.casefold() not in {q.casefold() for q in questions}:
            questions.append(text)
        try:
            checked = Questions().check(questions)
        except Invalid as error:
            raise QuestionError(_question_message(error.message(), len(questions))) from error
        try:
            _change(session, appointment, appointment.version, now, questions=checked)
        except StaleVersion:
            continue  # changed on another device a moment ago: _change re-read it
        break
    else:
        raise StaleVersion(appointment)
    if key:
        _remember(appointment, key)
    return appointment


def _question_message(message: str, count: int) -> str:
    """The record's message names a question by its number; here there is only the new one."""
    if "characters" in message and count:
        return message.replace(f"Question {count} is long", "This question is long")
    return message


def dismiss_suggestion(appointment: Appointment, key: str) -> None:
    """The patient removed a suggestion: it is not proposed again for this visit."""
    _remember(appointment, key)


def _remember(appointment: Appointment, key: str) -> None:
    handled = list(appointment.suggestions_dismissed or [])
    if key not in handled:
        appointment.suggestions_dismissed = [*handled, key]


def save_ticks(appointment: Appointment, shown: Iterable[str], ticked: Iterable[str]) -> list[str]:
    """Saves the ticks of the questions the page showed (`shown`); a question the page did not
    show (added meanwhile on another device) keeps its tick. Returns the questions asked."""
    shown_set, ticked_set = set(shown), set(ticked)
    before = set(appointment.questions_asked or [])
    asked = [
        q
        for q in appointment.questions or []
        if (q in ticked_set) or (q in before and q not in shown_set)
    ]
    appointment.questions_asked = asked
    return asked


def visit_has_started(appointment: Appointment, now: datetime) -> bool:
    """Notes on what the doctor said are offered once the visit's time has come."""
    return not appointment.cancelled and appointment.starts_at <= now


def save_visit_notes(appointment: Appointment, notes: str) -> None:
    """What the doctor said; an empty text clears it. The form bounds the length."""
    appointment.visit_notes = notes.strip() or None
