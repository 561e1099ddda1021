"""The installable-app plumbing, through the Flask test client: worker, manifest, precache."""

import io
import json
import re

from PIL import Image

from pwa.offline import account_marker, current_build

from .conftest import make_patient

PATIENT_PAGES = ("/", "/checkin", "/history", "/appointments", "/report", "/profile", "/reminders")


def build_of(response) -> dict:
    line = next(
        x for x in response.get_data(as_text=True).splitlines() if x.startswith("const BUILD")
    )
    return json.loads(line.removeprefix("const BUILD = ").rstrip(";"))


def test_service_worker_is_served_from_the_root_uncached_with_its_build(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    body = response.get_data(as_text=True)
    assert (
        "importScripts('/static/js/record-fields.js', '/static/js/sync-core.js', "
        "'/static/js/sw-push.js')" in body
    )
    build = build_of(response)
    assert re.fullmatch(r"0\.1\.0-[0-9a-f]{12}", build["version"])
    assert "/offline" in build["precache"]
    assert build["fallbacks"]["/checkin"] == "/offline/shell/checkin"


def test_cache_version_changes_with_the_app_version(app, client):
    before = build_of(client.get("/sw.js"))["version"]
    app.config["APP_VERSION"] = "0.1.1"
    after = build_of(client.get("/sw.js"))["version"]
    assert before != after and after.startswith("0.1.1-")


def test_every_precached_url_answers_200_for_a_visitor(client):
    urls = client.get("/offline/precache.json").json["precache"]
    assert len(urls) == len(set(urls))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data, url


def test_precache_holds_the_shell_the_whole_library_and_no_patient_page(app, client):
    from pwa.learn.library import get_library

    urls = set(client.get("/offline/precache.json").json["precache"])
    assert {"/offline", "/static/css/app.css", "/static/js/app.js", "/static/sw.js"} - urls == {
        "/static/sw.js"  # the worker itself is never cached by itself
    }
    assert {
        "/learn/",
        "/learn/glossary",
        "/learn/search",
        "/static/learn/search-index.json",
    } <= urls
    for page in get_library().all_pages():
        assert page.url in urls
        for image in page.images:
            assert image.src in urls
    assert {"/offline/shell/checkin", "/offline/shell/appointment"} <= urls
    assert not urls & set(PATIENT_PAGES)
    assert not [url for url in urls if url.startswith("/api/")]


def test_empty_form_shells_carry_no_patient_data_and_no_csrf_token(client, signed_in):
    make_patient(name="Somebody Else")
    checkin = client.get("/offline/shell/checkin").get_data(as_text=True)
    assert 'data-offline-form="entries"' in checkin
    assert 'data-offline-shell="checkin"' in checkin
    assert 'name="pain"' in checkin
    appointment = client.get("/offline/shell/appointment").get_data(as_text=True)
    assert 'data-offline-form="appointments"' in appointment
    for page in (checkin, appointment):
        assert 'name="csrf_token"' not in page
        # The worker fetches shells without cookies; even with one they show no one's data.
        assert signed_in.name not in page


def test_manifest_has_what_browsers_need_to_install(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.json
    for key in ("name", "short_name", "id", "description", "start_url", "scope"):
        assert manifest[key]
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b4f8a" and manifest["background_color"] == "#ffffff"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    assert {shot["form_factor"] for shot in manifest["screenshots"]} == {"narrow", "wide"}


def test_manifest_images_exist_with_the_sizes_it_states(client):
    manifest = client.get("/manifest.webmanifest").json
    for image in manifest["icons"] + manifest["screenshots"]:
        response = client.get(image["src"])
        assert response.status_code == 200, image["src"]
        if image["type"] == "image/png":
            width, height = Image.open(io.BytesIO(response.data)).size
            assert f"{width}x{height}" == image["sizes"], image["src"]


def test_apple_touch_icon_is_opaque_and_180_pixels(client):
    image = Image.open(io.BytesIO(client.get("/static/icons/apple-touch-icon.png").data))
    assert image.size == (180, 180)
    assert image.mode == "RGB"  # no alpha channel: iOS would paint it black
    maskable = Image.open(io.BytesIO(client.get("/static/icons/icon-maskable-512.png").data))
    assert maskable.mode == "RGB"  # full bleed, so any mask shape looks right


def test_every_page_links_manifest_icons_and_ios_tags(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png"' in page
    assert 'name="apple-mobile-web-app-capable" content="yes"' in page
    assert 'src="/static/js/app.js"' in page


def test_session_state_for_the_outbox(app, client, auth, patient):
    response = client.get("/offline/session")
    assert response.json == {"signed_in": False}
    assert response.headers["Cache-Control"] == "no-store"
    auth.login(patient.email)
    state = client.get("/offline/session").json
    assert state["signed_in"] is True
    assert state["account"] == account_marker(app, patient.id)
    assert state["csrf_token"]
    assert f'data-account="{state["account"]}"' in client.get("/").get_data(as_text=True)


def test_account_markers_differ_between_patients_and_reveal_no_id(app):
    first, second = make_patient(), make_patient()
    assert account_marker(app, first.id) != account_marker(app, second.id)
    assert str(first.id) != account_marker(app, first.id)


def test_build_is_worked_out_once_per_version(app):
    assert current_build(app) is not None
    first = app.extensions["upright_offline_build"]
    current_build(app)
    assert app.extensions["upright_offline_build"] is first


def test_offline_pages_say_what_still_works(client):
    offline = client.get("/offline").get_data(as_text=True)
    assert "You are offline" in offline and 'href="/checkin"' in offline
    assert "If you are worried, call your doctor. Do not wait for the app." in offline
    saved = client.get("/offline/saved").get_data(as_text=True)
    assert "Saved on this phone" in saved and 'href="/learn/warning-signs"' in saved
    install = client.get("/install").get_data(as_text=True)
    assert "Add to Home Screen" in install and "Share" in install
