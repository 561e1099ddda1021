"""The time-zone helpers, for forms, services and the reminder schedules alike."""

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


def zone_of(zone: str | ZoneInfo) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def local_to_utc(day: date, at: time, zone: str | ZoneInfo) -> datetime:
    """The one naive-UTC instant for a wall-clock time in `zone`: fold=0, so a skipped time
    moves forward by the size of the gap and a repeated time is its first occurrence."""
    aware = datetime.combine(day, at, tzinfo=zone_of(zone)).replace(fold=0)
    return aware.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(moment: datetime, zone: str | ZoneInfo) -> datetime:
    """The patient's wall-clock time (aware) for a naive-UTC instant."""
    return moment.replace(tzinfo=UTC).astimezone(zone_of(zone))
