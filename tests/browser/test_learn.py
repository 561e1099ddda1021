"""The education library in real Chromium: accessible, searchable offline, readable when zoomed."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from pwa.learn.library import get_library
from pwa.learn.search import load_index, search

from ..test_learn import body_only_word
from .conftest import axe_violations, guard_loopback

pytestmark = pytest.mark.browser

PAGES = [
    "/learn/",
    "/learn/kyphoplasty",
    "/learn/glossary",
    "/learn/search?q=brace",
    "/learn/bone-medicines",
    "/learn/exercise-after-a-spine-fracture",
    "/learn/fall-risk-check",
    "/learn/check/falls",
    "/learn/check/falls?q1=yes",  # with errors marked
    "/learn/check/falls?" + "&".join(f"q{n}=yes" for n in range(1, 13)),  # the result
]


NEW_TOPICS = [
    "after-a-fall",
    "moving-safely",
    "opioids-safely",
    "mood-fear-and-sleep",
    "getting-bone-care-started",
    "food-for-bones",
    "what-studies-found",
]


def test_library_index_article_and_glossary_have_no_axe_violations(page, live_server):
    for path in PAGES + [f"/learn/{slug}" for slug in NEW_TOPICS]:
        page.goto(live_server.url + path)
        assert axe_violations(page) == [], path


def test_search_box_finds_an_article_by_a_body_word_as_you_type_and_offline(
    page, context, live_server
):
    word, expected = body_only_word(load_index())
    searches: list[int] = []  # requests for the server-side search page
    page.on("request", lambda req: urlsplit(req.url).path == "/learn/search" and searches.append(1))
    page.goto(f"{live_server.url}/learn/")
    box = page.get_by_label("Search the library")

    box.fill(word)
    results = page.locator("[data-search-list] a")
    results.first.wait_for()
    assert results.all_inner_texts() == [expected["title"]]
    assert page.locator("[data-search-count]").inner_text().startswith("1 page found")

    # With the index loaded, searching needs no connection, and submitting stays on the page.
    context.set_offline(True)
    box.fill("cement")
    box.press("Enter")
    page.wait_for_function(
        "document.querySelector('[data-search-count]').textContent.includes('cement')"
    )
    assert get_library().get("kyphoplasty").title in results.all_inner_texts()
    context.set_offline(False)
    assert searches == []
    assert page.url == f"{live_server.url}/learn/"


def test_browser_search_gives_the_same_answers_as_the_server(page, live_server):
    queries = ["brace", "kypho", "Bones", "x-ray", "cement leak", "driving car", "the", "zebra"]
    page.goto(f"{live_server.url}/learn/")
    in_browser = page.evaluate(
        """async (queries) => {
            const { search } = await import('/static/js/search.js');
            const index = await (await fetch('/static/learn/search-index.json')).json();
            return queries.map((q) => search(index, q).map((p) => p.slug));
        }""",
        queries,
    )
    index = load_index()
    assert in_browser == [[p["slug"] for p in search(index, q)] for q in queries]


def test_text_at_200_percent_does_not_scroll_sideways_on_a_360px_phone(page, live_server):
    page.set_viewport_size({"width": 360, "height": 740})
    for path in PAGES + [a.url for a in get_library().all_pages()]:
        page.goto(live_server.url + path)
        widths = page.evaluate(
            """() => {
                const root = document.documentElement;
                const size = parseFloat(getComputedStyle(root).fontSize);
                root.style.fontSize = `${size * 2}px`;
                const enlarged = parseFloat(getComputedStyle(root).fontSize);
                return [root.scrollWidth, root.clientWidth, enlarged];
            }"""
        )
        scroll_width, client_width, font_size = widths
        assert font_size >= 36, path
        assert scroll_width <= client_width, f"{path}: {scroll_width}px wide in {client_width}px"


def test_fall_self_check_is_answered_by_tapping_and_scored_without_javascript(browser, live_server):
    """JavaScript off: the patient taps Yes or No on each question and gets the score back."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    outside: list[str] = []
    guard_loopback(context, outside)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/learn/fall-risk-check")
        page.get_by_role("link", name="Take the check here and we will add up your score").click()
        page.get_by_role("button", name="Add up my score").click()
        # expect(..) waits for the answer page; is_visible() would look at the form once.
        expect(page.get_by_text("Please answer 12 more questions")).to_be_visible()

        for n in range(1, 13):
            group = page.locator(f"fieldset#q{n}")
            group.get_by_label("Yes" if n in (1, 5, 9) else "No", exact=True).check()
        page.get_by_role("button", name="Add up my score").click()
        expect(page.get_by_role("heading", name="Your score: 4 out of 14")).to_be_visible()
        expect(page.get_by_text("Talk to your doctor about it")).to_be_visible()
        assert page.locator("label[for=q1-0]").count() == 0  # the result replaces the form
        assert "q1=yes" in page.url  # answers travel in the address, never into a database
    finally:
        context.close()
    assert outside == []


def test_new_diagrams_show_in_the_exercise_article_at_phone_width(page, live_server):
    page.goto(f"{live_server.url}/learn/exercise-after-a-spine-fracture")
    images = page.locator("article img")
    assert images.count() == 4
    for n in range(4):
        image = images.nth(n)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        box = image.bounding_box()
        assert box["width"] <= 390 and box["width"] >= 300
