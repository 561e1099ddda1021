"""Model rows to plain JSON values and back, one rule for every column type.

Export and import both read the tables' own column lists, so a column added to a model later is
exported and imported without a change here.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Time
from sqlalchemy.sql.schema import Column, Table


def to_json_value(value: Any) -> Any:
    """Dates as YYYY-MM-DD, UTC times as YYYY-MM-DDTHH:MM:SSZ, clock times as HH:MM."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def row_dict(row: Any, skip: set[str]) -> dict[str, Any]:
    table: Table = row.__table__
    return {c.key: to_json_value(getattr(row, c.key)) for c in table.columns if c.key not in skip}


class BadValue(ValueError):
    pass


def from_json_value(column: Column, value: Any) -> Any:
    """The Python value for `column` from an exported value; BadValue if it cannot be one."""
    if value is None:
        return None
    kind = column.type
    try:
        if isinstance(kind, DateTime):
            return datetime.fromisoformat(str(value).removesuffix("Z")).replace(tzinfo=None)
        if isinstance(kind, Date):
            return date.fromisoformat(str(value))
        if isinstance(kind, Time):
            return time.fromisoformat(str(value))
        if isinstance(kind, Boolean):
            if not isinstance(value, bool):
                raise BadValue(f"{column.key}: expected true or false")
            return value
        if isinstance(kind, Integer):
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadValue(f"{column.key}: expected a whole number")
            return value
        if isinstance(kind, Float):  # issue 12: a bone scan's T-score
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadValue(f"{column.key}: expected a number")
            return float(value)
        if isinstance(kind, JSON):  # every JSON column of the app holds a list
            if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
                raise BadValue(f"{column.key}: expected a list")
            return value
    except (TypeError, ValueError) as error:
        if isinstance(error, BadValue):
            raise
        raise BadValue(f"{column.key}: {value!r} is not a valid value") from None
    if not isinstance(value, str):
        raise BadValue(f"{column.key}: expected text")
    length = getattr(kind, "length", None)
    if isinstance(value, str) and length and len(value) > length:
        raise BadValue(f"{column.key}: longer than {length} characters")
    return value


def values_for(table: Table, data: dict[str, Any], skip: set[str]) -> dict[str, Any]:
    """Column values from one exported record; unknown keys are ignored (a later version)."""
    return {
        c.key: from_json_value(c, data[c.key])
        for c in table.columns
        if c.key not in skip and c.key in data
    }
