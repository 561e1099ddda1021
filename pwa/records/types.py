"""The building blocks of every record: field types that carry their bounds and their message.

Each type validates once, whatever the source (a form post's strings, the API's JSON), and on
any failure gives the one plain message it was declared with, so "Please choose a number from
0 to 10." reads the same on the page and in the API's 422. Blank text counts as "not answered".
"""

from __future__ import annotations

import functools
import re
import uuid as uuidlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError, core_schema

FIRST_DAY = date(1900, 1, 1)  # no fracture, dose or appointment of our patients is older
LAST_DAY = date(2100, 12, 31)
DATE_MESSAGE = "Please enter a real date, for example 2026-11-21."
YEAR_MESSAGE = "Please check the year: it should be between 1900 and 2100."

# Line breaks and other control characters have no place in a one-line answer (a name, a phone
# number): they break e-mails, calendar files and the report's layout.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps \t \n \r
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
_CLOCK = re.compile(
    r"^(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?\s*(?:([ap])\.?\s*m\.?)?$", re.IGNORECASE
)


class Invalid(PydanticCustomError):
    """A field's own message, shown as it is (no "Value error, " prefix)."""

    def __new__(cls, message: str) -> Invalid:
        return super().__new__(cls, "invalid", message)


def clock_message(example_24: str = "19:00", example_12: str = "7:00 pm") -> str:
    return f"Please enter a time like {example_24} or {example_12}."


def parse_clock(text: str) -> time | None:
    """A time of day: "19:00" (what a time input sends), also "7:00 pm", "7 pm", "7.30" and
    "19:00:00" typed by hand. A bare "7" is refused: morning or evening?"""
    match = _CLOCK.match(text.strip())
    if not match:
        return None
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    half = (match[4] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    elif match[2] is None:
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute)


def parse_date(text: str) -> date | None:
    """A date written YYYY-MM-DD (what a date input sends), or None."""
    text = text.strip()
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def canonical_uuid(value: object) -> str | None:
    """The lower-case hyphenated form of a UUID, or None when `value` is not one."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuidlib.UUID(value.strip()))
    except ValueError:
        return None


# --- Field rules ---------------------------------------------------------------------------
# Each rule is one object in a field's `Annotated[...]`: it checks the value, says its one
# message on any failure, gives the JSON schema it stands for, and tells the form builder
# (records/forms.py) which input to draw.


class Rule:
    """Base of the rules: `check` returns the clean value or raises Invalid."""

    kind = "text"  # the input the form draws
    many = False  # a list: a blank answer is an empty list

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def json(self) -> dict:
        raise NotImplementedError

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(
            lambda value, inner: inner(self.check(value)), handler(source)
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict:
        return self.json()


@dataclass(frozen=True, eq=False)
class Required(Rule):
    """A required answer, with what to say when it is missing. Put it last in Annotated."""

    message: str

    def check(self, value: Any) -> Any:
        if value is None:
            raise Invalid(self.message)
        return value

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict:
        return handler(schema)


@dataclass(frozen=True, eq=False)
class Whole(Rule):
    """A whole number from `low` to `high`; "5" from a form counts, 5.5 or true do not."""

    low: int
    high: int
    what: str = "a number"
    message: str = ""
    kind: str = "number"
    from_text: bool = True  # "5" from a form; False: JSON numbers only

    def error(self) -> str:
        return self.message or (
            f"Please enter {self.what} from {self.low} to {self.high}, as a whole number."
        )

    def check(self, value: Any) -> Any:
        number = value
        if self.from_text and isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int):
            raise Invalid(self.error())
        if not self.low <= number <= self.high:
            raise Invalid(self.error())
        return number

    def json(self) -> dict:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}


@dataclass(frozen=True, eq=False)
class YesNo(Rule):
    """True/False from JSON, "yes"/"no" from the form's radio buttons."""

    kind: str = "yes_no"

    def check(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
            return value.strip().lower() == "yes"
        if isinstance(value, bool):
            return value
        raise Invalid("Please answer yes or no.")

    def json(self) -> dict:
        return {"type": "boolean"}


Labels = Mapping[str, str] | Callable[[], Mapping[str, str]]


def labels_of(choices: Labels) -> Mapping[str, str]:
    return choices() if callable(choices) else choices


@dataclass(frozen=True, eq=False)
class OneOf(Rule):
    """One key of `choices` (whose values are the labels the pages show)."""

    choices: Labels
    message: str = "Please choose one of the answers."
    kind: str = "radio"

    def check(self, value: Any) -> Any:
        if not isinstance(value, str) or value not in labels_of(self.choices):
            raise Invalid(self.message)
        return value

    def json(self) -> dict:
        return {"type": "string", "enum": list(labels_of(self.choices))}


@dataclass(frozen=True, eq=False)
class SomeOf(Rule):
    """Some keys of `choices`, each once, so never more than there are choices."""

    choices: Labels
    message: str = "Please choose from the list."
    kind: str = "checkboxes"
    many = True

    def check(self, value: Any) -> Any:
        known = labels_of(self.choices)
        if (
            not isinstance(value, list)
            or len(value) > len(known)
            or not all(isinstance(item, str) and item in known for item in value)
        ):
            raise Invalid(self.message)
        return list(dict.fromkeys(value))

    def json(self) -> dict:
        known = list(labels_of(self.choices))
        return {"type": "array", "items": {"type": "string", "enum": known}, "maxItems": len(known)}


@dataclass(frozen=True, eq=False)
class Line(Rule):
    """One line of text (a name, a place, a phone number), at most `limit` characters.

    Line breaks and other control characters have no place in it: they break e-mails,
    calendar files and the report's layout. `kind="text"` fields allow line breaks."""

    limit: int
    too_long: str = ""
    kind: str = "line"

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Invalid("Please send this as text.")
        if _SURROGATE.search(value):
            raise Invalid("This text has a character that cannot be stored. Please type it again.")
        if self.kind == "line" and _CONTROL.search(value):
            raise Invalid("Please write this on one line, without special characters.")
        if self.kind != "line" and _CONTROL_IN_TEXT.search(value):
            raise Invalid("Please write this without special characters.")
        text = value.strip()
        if len(text) > self.limit:
            raise Invalid(
                self.too_long
                or f"Please keep this to {self.limit:,} characters or fewer (it has {len(text):,})."
            )
        return text or None

    def json(self) -> dict:
        return {"type": "string", "maxLength": self.limit}


def Text(limit: int, too_long: str = "") -> Line:  # noqa: N802 - reads as a rule
    """Free text over several lines, at most `limit` characters."""
    return Line(limit, too_long, kind="text")


@dataclass(frozen=True, eq=False)
class Day(Rule):
    """A date written YYYY-MM-DD, between 1900 and 2100."""

    kind: str = "date"

    def check(self, value: Any) -> Any:
        if not isinstance(value, str | date):
            raise Invalid("Please send this as text.")
        day = parse_date(value) if isinstance(value, str) else value
        if day is None:
            raise Invalid(DATE_MESSAGE)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise Invalid(YEAR_MESSAGE)
        return day

    def json(self) -> dict:
        return {"type": "string", "format": "date", "examples": ["2026-11-21"]}


@dataclass(frozen=True, eq=False)
class Moment(Rule):
    """A local date and time written YYYY-MM-DDTHH:MM (what a datetime-local input sends),
    between 1900 and 2100."""

    kind: str = "moment"

    def check(self, value: Any) -> Any:
        if not isinstance(value, str | datetime):
            raise Invalid("Please send this as text.")
        moment = value if isinstance(value, datetime) else _parse_moment(value)
        if moment is None:
            raise Invalid("Please enter a date and time like 2026-11-21T08:00.")
        if not FIRST_DAY <= moment.date() <= LAST_DAY:
            raise Invalid(YEAR_MESSAGE)
        return moment.replace(second=0, microsecond=0, tzinfo=None)

    def json(self) -> dict:
        return {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$",
            "examples": ["2026-11-21T08:00"],
        }


def _parse_moment(text: str) -> datetime | None:
    if not _MOMENT.match(text.strip()):
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True, eq=False)
class Clock(Rule):
    """A time of day, however typed, as "HH:MM" (24-hour)."""

    message: str = clock_message()
    kind: str = "clock"

    def check(self, value: Any) -> Any:
        if not isinstance(value, str | time):
            raise Invalid("Please send this as text.")
        at = parse_clock(value) if isinstance(value, str) else value
        if at is None:
            raise Invalid(self.message)
        return f"{at.hour:02d}:{at.minute:02d}"

    def json(self) -> dict:
        return {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "examples": ["14:30"]}


@dataclass(frozen=True, eq=False)
class Uuid(Rule):
    """A client-made UUID, in its canonical form."""

    kind: str = "hidden"

    def check(self, value: Any) -> Any:
        key = canonical_uuid(value)
        if key is None:
            raise Invalid("The id must be a UUID, for example from crypto.randomUUID().")
        return key

    def json(self) -> dict:
        return {"type": "string", "format": "uuid"}


def rule_of(info: FieldInfo) -> Rule | None:
    """The rule of a field (looking inside `X | None`), for the form builder."""
    found = [
        item for item in info.metadata if isinstance(item, Rule) and not isinstance(item, Required)
    ]
    if found:
        return found[0]
    for arg in get_args(info.annotation):
        for item in getattr(arg, "__metadata__", ()):
            if isinstance(item, Rule) and not isinstance(item, Required):
                return item
    return None


# --- Records -------------------------------------------------------------------------------


class Record(BaseModel):
    """A record kind's declaration. Blank answers are "not answered" (None), missing ones too,
    so a required field always says its own message rather than a generic "Field required"."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False, frozen=False)

    @model_validator(mode="before")
    @classmethod
    def _blanks_are_none(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        for name, (many, default) in _blanks(cls).items():
            value = values.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                values[name] = [] if many else default
        return values


@functools.cache
def _blanks(record: type[Record]) -> dict[str, tuple[bool, str | None]]:
    """Per field: whether a blank answer is an empty list, else what it is (a choice's default
    such as "daily", or None). Worked out once per record kind, not on every validation."""
    blanks = {}
    for name, info in record.model_fields.items():
        rule = rule_of(info)
        default = info.default if isinstance(info.default, str) else None
        blanks[name] = (default is None and rule is not None and rule.many, default)
    return blanks


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors as the API's and the form's {field: [message, ...]}."""
    fields: dict[str, list[str]] = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "__all__"
        message = item["msg"]
        if message not in fields.setdefault(name, []):
            fields[name].append(message)
    return fields


def validate(
    record: type[Record], data: Mapping[str, Any], **context: Any
) -> tuple[Any, dict[str, list[str]]]:
    """(the valid record, {}) or (None, the errors per field)."""
    try:
        return record.model_validate(data, context=context), {}
    except ValidationError as error:
        return None, field_errors(error)


def from_context(info: ValidationInfo, name: str) -> Any:
    """What the caller passed to `validate` (the patient's today, zone...)."""
    return (info.context or {}).get(name)
