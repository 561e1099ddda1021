"""Where a signed-in patient is and how to get back: the bottom bar and the Back link.

An installed app has no browser Back button, and older users rarely know the logo goes home,
so every page for a signed-in patient carries a bar of the five places they use most (the
current one marked) and every inner page a Back link to the page it belongs under.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    key: str
    href: str
    label: str
    short: str  # shown on narrow screens, where the long label would not fit
    icon: str  # SVG path data, 24 x 24


NAV_ITEMS = (
    NavItem("home", "/", "Home", "Home", "M3 11 12 3l9 8M5 10v10h5v-6h4v6h5V10"),
    NavItem("checkin", "/checkin", "Check-in", "Check-in", "M4 12l5 5L20 6"),
    NavItem("history", "/history", "History", "History", "M4 20V4M4 20h16M8 16l4-5 3 3 5-7"),
    NavItem(
        "appointments",
        "/appointments",
        "Appointments",
        "Visits",
        "M4 6h16v14H4zM4 10h16M8 3v5M16 3v5",
    ),
    NavItem("more", "/more", "More", "More", "M4 7h16M4 12h16M4 17h16"),
)

# Pages under "More": everything a patient reaches less often.
MORE_PREFIXES: tuple[str, ...] = (
    "/more", "/reminders", "/report", "/profile", "/account", "/learn", "/install",
    "/bone-health", "/height",  # issue 12
)  # fmt: skip

# Inner pages and the page each belongs under, longest prefix first.
PARENTS = (
    ("/appointments/", "/appointments", "Appointments"),
    ("/checkin/", "/history", "History"),
    ("/reminders/", "/reminders", "Reminders"),
    ("/account/", "/account", "Settings"),
    ("/bone-health/", "/bone-health", "Bone health"),  # issue 12
    ("/offline/shell/appointment", "/appointments", "Appointments"),
    ("/reminders", "/more", "More"),
    ("/report", "/more", "More"),
    ("/profile", "/more", "More"),
    ("/account", "/more", "More"),
    ("/logout", "/more", "More"),
    ("/install", "/more", "More"),
    ("/bone-health", "/more", "More"),
    # Issue 12: measured height.
    ("/height/", "/height", "My height"),
    ("/height", "/more", "More"),
)


def current_section(path: str) -> str | None:
    """The bar's item for `path`: its own page or the section it sits in."""
    if path == "/":
        return "home"
    if (
        path == "/checkin"
        or path.startswith("/checkin/")
        or path.startswith("/offline/shell/checkin")
    ):
        return "checkin"
    if path == "/history":
        return "history"
    if path.startswith(("/appointments", "/offline/appointments", "/offline/shell/appointment")):
        return "appointments"
    if path.startswith(MORE_PREFIXES):
        return "more"
    return None


@dataclass(frozen=True)
class BackLink:
    href: str
    label: str


def back_link(path: str) -> BackLink | None:
    """Where Back leads from `path`; None on the bar's own pages (and the library, which has
    its own breadcrumb)."""
    for prefix, href, label in PARENTS:
        if path.startswith(prefix) and path != href:
            return BackLink(href, label)
    return None
