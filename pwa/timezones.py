"""The time-zone helpers, for forms, services and the reminder schedules alike."""

import importlib.resources
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


# --- Choosing a zone by its city (issue 17) ------------------------------------------------------

REGIONS = {
    "America": "Americas",
    "Europe": "Europe",
    "Asia": "Asia",
    "Africa": "Africa",
    "Australia": "Australia",
    "Pacific": "Pacific",
    "Atlantic": "Atlantic",
    "Indian": "Indian Ocean",
    "Antarctica": "Antarctica",
    "Arctic": "Arctic",
}


def zone_label(name: str) -> str:
    """A zone in plain words: 'America/New_York' -> 'New York (Americas)',
    'America/Argentina/Buenos_Aires' -> 'Buenos Aires (Argentina, Americas)'."""
    if name == "UTC":
        return "UTC (universal time)"
    parts = [part.replace("_", " ") for part in name.split("/")]
    region = REGIONS.get(parts[0], parts[0])
    where = ", ".join([*parts[1:-1], region])
    return f"{parts[-1]} ({where})"


@cache
def zone_choices() -> list[tuple[str, str]]:
    """Every city zone, sorted by the city's name: (IANA name, plain label)."""
    # One zone per city: an old alias ("America/Buenos_Aires") gives way to the full name.
    by_city: dict[tuple[str, str], str] = {}
    for name in sorted(valid_zones()):
        parts = name.split("/")
        if len(parts) < 2 or parts[0] not in REGIONS:
            continue
        key = (parts[0], parts[-1])
        if key not in by_city or name.count("/") > by_city[key].count("/"):
            by_city[key] = name
    return sorted(((n, zone_label(n)) for n in by_city.values()), key=lambda c: c[1]) + [
        ("UTC", zone_label("UTC"))
    ]


def common_zone_choices() -> list[tuple[str, str]]:
    return [(n, zone_label(n)) for n in COMMON_ZONES]


@cache
def zones_of_country(code: str) -> frozenset[str]:
    """The zones the tz database lists for a country (ISO 3166 code), from tzdata's zone.tab."""
    table = importlib.resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text()
    rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
    return frozenset(row[2] for row in rows if len(row) > 2 and row[0] == code)


def uses_fahrenheit(zone: str) -> bool:
    """Whether temperatures should be said in °F first: patients living in the United States."""
    return zone in zones_of_country("US") or zone.startswith("US/")
