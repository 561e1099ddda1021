"""The installable-app plumbing: service worker, manifest, offline page and offline shells.

The service worker is the hand-written file static/sw.js. It is served from the root (so its
scope is the whole app) with one line filled in: the build, i.e. the cache version and the
precache list. The version is the app version plus a hash of the precache list and of every
file that shapes what is precached, so any deployment that changes what the phone keeps also
changes the bytes of /sw.js; the browser then installs the new worker and the page offers
"A new version is ready".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import date
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .config import ROOT

bp = Blueprint("offline", __name__)

STATIC = ROOT / "static"
SW_SOURCE = STATIC / "sw.js"
BUILD_LINE = "const BUILD = "  # the one line of static/sw.js that the server fills in
# Files whose change means the phone must fetch its offline copy again.
HASHED_TREES = [STATIC, ROOT / "templates", ROOT / "pwa" / "learn"]
HASHED_SUFFIXES = {".css", ".js", ".svg", ".png", ".html", ".md", ".py", ".json", ".yaml", ".yml"}
SCREENSHOTS = STATIC / "icons" / "screenshots"

# Pages with patient data are never cached; offline the worker shows these instead.
FALLBACKS = {
    "/checkin": "/offline/shell/checkin",  # the empty check-in form, saving to the outbox
    "/appointments/new": "/offline/shell/appointment",  # the empty appointment form
    "/appointments": "/offline/appointments",  # the device-only copy of what is coming up
    "/warning-signs": "/offline/shell/warning-signs",  # issue 10: call buttons, no patient data
}
# Forms whose posts the worker keeps in the outbox when the connection drops mid-send.
OFFLINE_FORMS = {"/checkin": "entries", "/appointments/new": "appointments"}


# --- pages ---------------------------------------------------------------------------------


@bp.get("/offline")
def offline_page():
    return render_template("offline.html")


@bp.get("/offline/saved")
def saved_page():
    """Where the phone lands after saving a form with no connection (filled in by app.js)."""
    return render_template("offline/saved.html")


@bp.get("/offline/appointments")
def appointments_copy():
    """The device-only copy of the upcoming appointments, drawn by app.js from IndexedDB."""
    return render_template("offline/appointments.html")


@bp.get("/offline/shell/checkin")
def checkin_shell():
    """The empty check-in form with no patient data, kept by the worker for offline use.

    Rendered without CSRF: app.js always saves a shell's form to the outbox, whose sender
    fetches a fresh token. The date is filled in on the phone, in the phone's own time.
    """
    from .checkin.forms import CheckInForm
    from .checkin.views import render_form

    return render_form(
        CheckInForm(meta={"csrf": False}), patient=None, editing=False, offline_shell="checkin"
    )


@bp.get("/offline/shell/appointment")
def appointment_shell():
    """The empty new-appointment form, for the offline cache; see checkin_shell."""
    from .appointments.forms import NewAppointmentForm

    zone = current_app.config["DEFAULT_TIMEZONE"]
    form = NewAppointmentForm(meta={"csrf": False}, zone=zone, today=date.today())
    form.id.data = ""  # each offline appointment gets its own UUID on the phone
    return render_template(
        "appointments/form.html", form=form, appointment=None, offline_shell="appointment"
    )


@bp.get("/install")
def install():
    """How to put Upright on the home screen: the browser's button, or the iPhone's steps."""
    return render_template("offline/install.html")


@bp.app_context_processor
def offline_context() -> dict:
    """`device_account` marks whose entries the phone's outbox holds (see session_state)."""
    if current_user.is_authenticated:
        return {"device_account": account_marker(current_app, current_user.id)}
    return {"device_account": None}


# --- service worker, manifest, precache -----------------------------------------------------


@bp.get("/sw.js")
def service_worker():
    body = service_worker_source(current_app)
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    response = Response(
        json.dumps(build_manifest(), indent=1), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline/precache.json")
def precache_list():
    """The list the worker stores at install, for tests and benchmarks to check."""
    build = current_build(current_app)
    return jsonify(build)


@bp.get("/offline/session")
def session_state():
    """What the outbox needs before sending: signed in?, whose entries, a fresh CSRF token.

    `account` is an opaque per-account marker, so entries saved on a shared phone are only
    ever sent into the account that made them.
    """
    if not current_user.is_authenticated:
        payload: dict[str, object] = {"signed_in": False}
    else:
        payload = {
            "signed_in": True,
            "account": account_marker(current_app, current_user.id),
            "csrf_token": generate_csrf(),
        }
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response


def account_marker(app: Flask, user_id: int) -> str:
    key = str(app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"device-account:{user_id}".encode(), hashlib.sha256).hexdigest()[:20]


def build_manifest() -> dict:
    config = current_app.config
    return {
        "id": "/",
        "name": f"{config['APP_NAME']}: recovery after a spinal fracture",
        "short_name": config["APP_NAME"],
        "description": (
            "Learn about your back, check in once a day, keep your appointments and bring a "
            "report to your doctor. Works without a connection."
        ),
        "lang": "en",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": "#0b4f8a",
        "background_color": "#ffffff",
        "categories": ["health", "medical"],
        "icons": [
            _image("icon-192.png", "192x192", purpose="any"),
            _image("icon-512.png", "512x512", purpose="any"),
            _image("icon-maskable-512.png", "512x512", purpose="maskable"),
            _image("icon.svg", "any", type_="image/svg+xml", purpose="any"),
        ],
        "screenshots": [
            _image(
                "screenshots/phone-home.png",
                "780x1688",
                form_factor="narrow",
                label="Home screen: check in, appointments, library",
            ),
            _image(
                "screenshots/phone-learn.png",
                "780x1688",
                form_factor="narrow",
                label="The library works without a connection",
            ),
            _image(
                "screenshots/wide-home.png",
                "1280x800",
                form_factor="wide",
                label="Upright on a computer",
            ),
        ],
        "shortcuts": [
            {
                "name": "Daily check-in",
                "url": "/checkin",
                "icons": [_image("icon-192.png", "192x192")],
            },
            {
                "name": "Warning signs",
                "url": "/learn/warning-signs",
                "icons": [_image("icon-192.png", "192x192")],
            },
        ],
    }


def _image(name: str, sizes: str, type_: str = "image/png", **extra: str) -> dict:
    src = url_for("static", filename=f"icons/{name}")
    return {"src": src, "sizes": sizes, "type": type_, **extra}


def precache_urls(app: Flask) -> list[str]:
    """Everything the phone keeps at install: app shell, offline pages, the whole library."""
    static = [
        "css/app.css",
        *css_assets(STATIC / "css" / "app.css"),
        *sorted(_rel(p) for p in (STATIC / "js").glob("*.js")),
        "icons/icon.svg",
        "icons/icon-192.png",
        *sorted(_rel(p) for p in (STATIC / "img" / "learn").rglob("*") if p.is_file()),
        *sorted(_rel(p) for p in (STATIC / "learn").glob("*.json")),  # the search index
    ]
    urls = ["/offline", "/offline/saved", "/manifest.webmanifest"]
    urls += sorted(set(FALLBACKS.values()))
    urls += [f"/static/{path}" for path in static]
    urls += library_urls(app)
    return list(dict.fromkeys(urls))


def css_assets(css: Path) -> list[str]:
    """Fonts and images the stylesheet loads (only woff2 fonts: every browser we serve has it)."""
    found = []
    for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text()):
        path = (css.parent / ref.split("?")[0].split("#")[0]).resolve()
        if (
            not ref.startswith(("data:", "http:", "https:", "//"))
            and path.is_file()
            and STATIC in path.parents
            and path.suffix != ".woff"
        ):
            found.append(_rel(path))
    return sorted(set(found))


def _rel(path: Path) -> str:
    return path.relative_to(STATIC).as_posix()


def library_urls(app: Flask) -> list[str]:
    """Every library page and its images: the learn routes without arguments (index, search,
    glossary) and one page per article, from the learn package's own loader."""
    from .learn.library import get_library

    urls = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods or set()
        if rule.endpoint.startswith("learn.") and not rule.arguments and "GET" in methods:
            urls.append(rule.rule)
    for page in get_library().all_pages():
        urls.append(page.url)
        urls += [image.src for image in page.images if image.src.startswith("/static/")]
    return sorted(set(urls))


def content_hash(urls: list[str]) -> str:
    digest = hashlib.sha256("\n".join(urls).encode())
    for tree in HASHED_TREES:
        for path in sorted(tree.rglob("*")):
            wanted = path.is_file() and path.suffix in HASHED_SUFFIXES
            if wanted and SCREENSHOTS not in path.parents:
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def current_build(app: Flask) -> dict:
    """The cache version and precache list, worked out once per process."""
    cached = app.extensions.get("upright_offline_build")
    if cached is None or cached["app_version"] != app.config["APP_VERSION"]:
        with app.test_request_context():
            urls = precache_urls(app)
        version = f"{app.config['APP_VERSION']}-{content_hash(urls)}"
        cached = {"app_version": app.config["APP_VERSION"], "version": version, "precache": urls}
        app.extensions["upright_offline_build"] = cached
    return {"version": cached["version"], "precache": cached["precache"]}


def service_worker_source(app: Flask) -> str:
    build = json.dumps(
        {**current_build(app), "fallbacks": FALLBACKS, "forms": OFFLINE_FORMS},
        separators=(",", ":"),
    )
    lines = SW_SOURCE.read_text().splitlines(keepends=True)
    return "".join(
        f"{BUILD_LINE}{build};\n" if line.startswith(BUILD_LINE) else line for line in lines
    )
