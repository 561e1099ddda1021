"""Time-zone helpers shared by forms and services."""

from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

COMMON_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Toronto",
    "America/Vancouver", "Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin",
    "Europe/Madrid", "Europe/Rome", "Australia/Sydney", "Pacific/Auckland", "UTC",
]  # fmt: skip


@cache
def valid_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_zone(name: str) -> bool:
    return name in valid_zones()


def local_to_utc(day: date, at: time, zone: str) -> datetime:
    """Naive UTC for a wall-clock time in `zone` (a skipped time moves forward with the clock)."""
    aware = datetime.combine(day, at, tzinfo=ZoneInfo(zone))
    return aware.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(moment: datetime, zone: str) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
