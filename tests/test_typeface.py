"""The app's own typeface (issue 17): small woff2 files, swapped in, kept offline, within budget."""

from __future__ import annotations

from pwa.offline import STATIC

PRECACHE_BUDGET = 1536 * 1024  # bench_offline's goal for the whole precache list
FONTS = [
    "/static/fonts/atkinson-hyperlegible/latin-400.woff2",
    "/static/fonts/atkinson-hyperlegible/latin-700.woff2",
    "/static/fonts/atkinson-hyperlegible/latin-400-italic.woff2",
]


def test_the_stylesheet_loads_atkinson_as_woff2_with_swap():
    css = (STATIC / "css" / "app.css").read_text()
    faces = css.split("@font-face")[1:4]
    assert len(faces) == 3
    for face in faces:
        assert "font-display: swap" in face and 'format("woff2")' in face
        assert ".ttf" not in face


def test_the_fonts_are_precached_and_the_precache_stays_within_budget(client):
    urls = client.get("/offline/precache.json").json["precache"]
    assert set(FONTS) <= set(urls)
    for url in FONTS:
        body = client.get(url).data
        assert body[:4] == b"wOF2" and len(body) < 24 * 1024, url
    total = sum(len(client.get(url).data) for url in urls)
    assert total < PRECACHE_BUDGET, total
