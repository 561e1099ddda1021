"""HTML forms drawn from a record: the record's titles, hints and rules, WTForms' rendering.

`record_form(CheckInRecord)` is a FlaskForm with one input per field, chosen by the field's
rule (a 0-10 scale, yes/no buttons, checkboxes, a number box...). Its `validate()` runs the
record, so the page says exactly what the API says, next to the field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, RadioField, StringField, TextAreaField
from wtforms.widgets import DateInput, DateTimeLocalInput, NumberInput, TimeInput

from ..fields import MultiCheckboxField
from .types import Line, Record, Rule, Whole, labels_of, rule_of, validate

PAIN_CHOICES = [(str(n), str(n)) for n in range(11)]
YES_NO = [("yes", "Yes"), ("no", "No")]


def input_for(rule: Rule | None, label: str, description: str, default: Any = None) -> Field:
    """The WTForms input for a field with this rule; the record judges, so no validators."""
    kind = rule.kind if rule else "hidden"
    common: dict[str, Any] = {"description": description, "default": default}
    if kind == "hidden":
        return HiddenField()
    if kind == "pain":
        return RadioField(label, choices=PAIN_CHOICES, validate_choice=False, **common)
    if kind == "yes_no":
        return RadioField(label, choices=YES_NO, validate_choice=False, **common)
    if kind in ("radio", "checkboxes"):
        choices = rule.choices  # type: ignore[union-attr]
        field_class = RadioField if kind == "radio" else MultiCheckboxField
        return field_class(
            label,
            choices=lambda: list(labels_of(choices).items()),
            validate_choice=False,
            **common,
        )
    if isinstance(rule, Whole):
        attrs = {"inputmode": "numeric", "min": rule.low, "max": rule.high}
        return StringField(label, widget=NumberInput(), render_kw=attrs, **common)
    if kind == "date":
        return StringField(label, widget=DateInput(), render_kw={"autocomplete": "off"}, **common)
    if kind == "moment":
        return StringField(label, widget=DateTimeLocalInput(), **common)
    if kind == "clock":
        return StringField(label, widget=TimeInput(), render_kw={"autocomplete": "off"}, **common)
    if isinstance(rule, Line) and kind == "text":
        return TextAreaField(label, render_kw={"maxlength": rule.limit, "rows": 4}, **common)
    if kind == "questions":
        return TextAreaField(label, render_kw={"rows": 5}, **common)
    if isinstance(rule, Line):
        return StringField(label, render_kw={"autocomplete": "off"}, **common)
    raise ValueError(f"no input for a {kind} rule")


class RecordForm(FlaskForm):
    """A form whose fields and rules are a record's. After `validate()`, `record` is the
    valid record (or None). `context` is what the record's rules need (the patient's today)."""

    record_type: ClassVar[type[Record]]

    def __init__(self, *args: Any, context: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context = context or {}
        self.record: Any = None

    def record_data(self) -> dict[str, Any]:
        """The answers the record checks: each field's submitted value, by name."""
        names = [name for name in self.record_type.model_fields if name in self._fields]
        return {name: self[name].data for name in names}

    def error_field(self, name: str) -> str:
        """Which input shows a record field's message (a list of times: the first)."""
        return name

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self.record, errors = validate(self.record_type, self.record_data(), **self.context)
        for record_name, messages in errors.items():
            name = self.error_field(record_name)
            if name in self._fields and name not in ("id", "csrf_token"):
                self[name].errors = [*self[name].errors, *messages]
            else:
                self.form_errors.extend(messages)
        return valid and not errors


def record_form(
    record: type[Record], name: str | None = None, skip: tuple[str, ...] = ()
) -> type[RecordForm]:
    """A RecordForm class with one input per field of `record` (but `skip`), in order."""
    fields = {
        field_name: input_for(
            rule_of(info),
            info.title or field_name,
            info.description or "",
            info.default if isinstance(info.default, str | int) else None,
        )
        for field_name, info in record.model_fields.items()
        if field_name not in skip
    }
    return type(name or f"{record.__name__}Form", (RecordForm,), {"record_type": record, **fields})


def form_data(record: Record) -> dict[str, Any]:
    """A stored record as the form shows it: yes/no and numbers as the inputs' strings."""
    data = {}
    for name, value in record:
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, int):
            value = str(value)
        data[name] = value
    return data
