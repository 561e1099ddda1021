"""The education library's pages, rendering rules, search and "what to expect" choices."""

import json
import re
from datetime import date, timedelta
from html import unescape
from types import SimpleNamespace

import pytest
from flask import render_template

from pwa.learn import library as library_module
from pwa.learn.fall_check import MAX_POINTS, QUESTIONS, score
from pwa.learn.library import TOPICS, LibraryError, get_library, load_library
from pwa.learn.search import (
    INDEX_PATH,
    STOP_WORDS,
    build_index,
    dump_index,
    load_index,
    search,
    words,
)
from pwa.learn.services import search_library, what_to_expect

MAX_INDEX_BYTES = 60 * 1024

GLOSSARY = """---
title: Glossary
summary: Words explained.
sources: [{publisher: Us, title: Our notes, year: 2026}]
reviewed: 2026-01-02
terms:
  - term: Vertebra
    slug: vertebra
    definition: One bone of the spine. See [the spine](/learn/spine).
    aliases: [vertebrae]
  - term: Bone cement
    slug: bone-cement
    definition: A glue that sets hard.
---
"""


def article_file(slug: str, body: str, **meta) -> str:
    fields = {
        "title": f"About {slug}",
        "summary": f"A summary of {slug}.",
        "topic": "understanding",
        "order": 10,
        "sources": "[{publisher: Us, title: Our notes, year: 2026}]",
        "reviewed": "2026-01-02",
        "related": "[]",
        **meta,
    }
    front = "\n".join(f"{key}: {value}" for key, value in fields.items())
    return f"---\n{front}\n---\n{body}"


@pytest.fixture
def make_library(tmp_path):
    """Writes article files into a fresh folder and loads them, like the real library."""

    def make(files: dict[str, str]):
        for name, text in files.items():
            (tmp_path / f"{name}.md").write_text(text, encoding="utf-8")
        return load_library(tmp_path)

    return make


def body_only_word(index: dict) -> tuple[str, dict]:
    """A word that appears in exactly one page, in its body but not its title or summary."""
    for word, pages in index["words"].items():
        if len(pages) != 1 or len(word) < 6 or not word.isalpha():
            continue
        page = index["pages"][pages[0]]
        if word in words(f"{page['title']} {page['summary']}") or page["slug"] == "glossary":
            continue
        if search(index, word) == [page]:
            return word, page
    raise AssertionError("no word is found in only one article body")


# ---------------------------------------------------------------------------------------------
# Pages


def test_index_groups_articles_by_stage_in_order_with_summaries(client):
    html = unescape(client.get("/learn/").get_data(as_text=True))
    positions = [html.index(f'<h2 id="{topic}">{label}</h2>') for topic, label in TOPICS.items()]
    assert positions == sorted(positions)
    for article in get_library().articles:
        assert f'href="{article.url}">{article.title}</a>' in html
        assert article.summary in html


def test_index_links_the_glossary_and_has_a_labelled_search_box(client):
    html = client.get("/learn/").get_data(as_text=True)
    assert 'href="/learn/glossary"' in html
    assert 'action="/learn/search" method="get"' in html
    assert '<label for="learn-q">Search the library</label>' in html
    assert 'id="learn-q" name="q"' in html
    assert 'data-search-index="/static/learn/search-index.json"' in html
    assert '<script type="module" src="/static/js/search.js">' in html


def test_library_pages_are_public_and_one_tap_from_the_warning_signs(client):
    for path in ["/learn/", "/learn/osteoporosis", "/learn/glossary", "/learn/search?q=brace"]:
        response = client.get(path)
        assert response.status_code == 200, path
        # The header's red button opens the action page, which links the article (issue 10).
        assert 'class="header-warning" href="/warning-signs"' in response.get_data(as_text=True)


def test_article_links_previous_and_next_by_order(client):
    articles = get_library().articles
    middle = articles[1]
    html = client.get(middle.url).get_data(as_text=True)
    assert f'href="{articles[0].url}" rel="prev"' in html
    assert f'href="{articles[2].url}" rel="next"' in html
    first = client.get(articles[0].url).get_data(as_text=True)
    assert 'rel="prev"' not in first
    last = client.get(articles[-1].url).get_data(as_text=True)
    assert 'rel="next"' not in last


def test_article_links_its_related_articles(client):
    article = next(a for a in get_library().articles if a.related)
    html = client.get(article.url).get_data(as_text=True)
    related = html[html.index('id="related-heading"') :]
    for slug in article.related:
        assert f'href="/learn/{slug}"' in related


def test_article_headings_carry_anchors_and_the_title_is_the_only_h1(client):
    article = get_library().get("kyphoplasty")
    html = client.get(article.url).get_data(as_text=True)
    assert html.count("<h1") == 1
    for heading in article.headings:
        assert f'<h{heading.level} id="{heading.id}">' in html


def test_unknown_article_is_a_404_page_that_leads_back_to_the_library(client):
    response = client.get("/learn/no-such-article")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "We could not find that page" in html
    assert 'href="/learn/"' in html


def test_glossary_lists_every_term_with_an_anchor(client):
    html = unescape(client.get("/learn/glossary").get_data(as_text=True))
    for term in get_library().glossary.terms:
        assert f'id="{term.slug}"' in html
        assert f"<dt>{term.term}</dt>" in html


def test_articles_link_glossary_terms_to_their_definitions(client):
    library = get_library()
    linked = {
        link.href
        for article in library.articles
        for link in article.links
        if "glossary#" in link.href
    }
    assert len(linked) >= 10
    slugs = {term.slug for term in library.glossary.terms}
    assert {href.split("#")[1] for href in linked} <= slugs


# ---------------------------------------------------------------------------------------------
# Rendering rules, on small libraries made for the test


def test_raw_html_and_links_off_the_site_never_reach_the_page(make_library):
    body = (
        "Hello <script>alert(1)</script> <b onclick=x>bold</b>\n\n"
        "<iframe src=https://evil.example></iframe>\n\n"
        "[away](https://evil.example) [js](javascript:alert(1)) [proto](//evil.example/x)\n\n"
        "![tracker](https://evil.example/pixel.png) <https://evil.example>\n\n"
        "[ours](/learn/other) ![ours](/static/img/learn/spine.svg)\n"
    )
    html = make_library({"page": article_file("page", body)}).get("page").html
    assert "<script" not in html and "<iframe" not in html and "<b " not in html
    assert "&lt;script&gt;" in html
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', html)
    # Our own picture, linked to itself so it opens full size; nothing else survives.
    assert hrefs == ["/learn/other", "/static/img/learn/spine.svg", "/static/img/learn/spine.svg"]


def test_glossary_terms_link_on_first_use_only_and_not_in_headings_or_links(make_library):
    body = (
        "## Vertebra basics\n\n"
        "A [vertebra](/learn/spine) here is a link already.\n\n"
        "Each vertebra is a bone. Every vertebra matters. Two vertebrae.\n\n"
        "Bone cement sets. More bone cement.\n"
    )
    library = make_library({"glossary": GLOSSARY, "page": article_file("page", body)})
    html = library.get("page").html
    assert html.count('href="/learn/glossary#vertebra"') == 1
    assert html.count('href="/learn/glossary#bone-cement"') == 1
    assert '<h2 id="vertebra-basics">Vertebra basics</h2>' in html
    assert 'Each <a href="/learn/glossary#vertebra" class="term">vertebra</a> is' in html
    assert '<a href="/learn/glossary#bone-cement" class="term">Bone cement</a> sets' in html


def test_glossary_definitions_are_rendered_inline_with_the_same_link_rules(make_library):
    library = make_library({"glossary": GLOSSARY})
    vertebra = library.glossary.terms[0]
    assert str(vertebra.definition_html) == (
        'One bone of the spine. See <a href="/learn/spine">the spine</a>.'
    )


def test_adding_an_article_is_adding_a_file(make_library):
    library = make_library(
        {
            "first": article_file("first", "One.\n", order=1),
            "second": article_file("second", "Two.\n", order=2, topic="recovery"),
        }
    )
    assert [a.slug for a in library.articles] == ["first", "second"]
    assert library.neighbours(library.get("second")) == (library.get("first"), None)
    assert [topic for topic, _, _ in library.by_topic()] == ["understanding", "recovery"]


def test_an_article_with_bad_front_matter_stops_loading_with_its_name(make_library):
    with pytest.raises(LibraryError) as error:
        make_library({"broken": article_file("broken", "Text.\n", topic="surgery")})
    assert "broken.md: topic must be one of" in str(error.value)


def test_a_file_without_front_matter_is_named_in_the_error(make_library):
    with pytest.raises(LibraryError, match="plain.md: does not start with front matter"):
        make_library({"plain": "Just text.\n"})


def test_plain_text_ends_each_heading_and_list_item_as_a_sentence(make_library):
    body = "## What to bring\n\n- your pills\n- a list of questions:\n\nDone.\n"
    text = make_library({"page": article_file("page", body)}).get("page").text
    assert text.splitlines() == ["What to bring.", "your pills.", "a list of questions.", "Done."]


def test_articles_are_loaded_once_per_process_not_per_request(client, monkeypatch):
    library = get_library()
    assert get_library() is library

    def no_reading(*args, **kwargs):
        raise AssertionError("articles were loaded again")

    monkeypatch.setattr(library_module, "load_library", no_reading)
    for path in ["/learn/", "/learn/kyphoplasty", "/learn/glossary", "/learn/search?q=cement"]:
        assert client.get(path).status_code == 200


# ---------------------------------------------------------------------------------------------
# Search


def test_prebuilt_search_index_is_up_to_date_with_the_articles():
    expected = dump_index(build_index(load_library()))
    assert INDEX_PATH.read_text(encoding="utf-8") == expected, (
        "static/learn/search-index.json is stale: run `flask --app wsgi learn build-index`"
    )


def test_search_index_is_under_60_kb_and_lists_every_page():
    assert INDEX_PATH.stat().st_size < MAX_INDEX_BYTES
    slugs = [page["slug"] for page in load_index()["pages"]]
    assert slugs == [page.slug for page in get_library().all_pages()]


def test_search_index_is_served_as_a_static_json_file(client):
    response = client.get("/static/learn/search-index.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data()) == load_index()


def test_json_index_finds_an_article_by_a_word_only_in_its_body():
    index = load_index()
    word, page = body_only_word(index)
    assert [p["slug"] for p in search(index, word)] == [page["slug"]]


def test_server_search_finds_an_article_by_a_word_only_in_its_body(client):
    word, page = body_only_word(load_index())
    html = unescape(client.get(f"/learn/search?q={word}").get_data(as_text=True))
    assert f"1 page found for “{word}”" in html
    assert f'href="{page["url"]}">{page["title"]}</a>' in html


def test_search_needs_every_word_and_matches_word_beginnings(client):
    titles = [a.slug for a in search_library("kypho")]
    assert "kyphoplasty" in titles
    assert titles[0] == "kyphoplasty"  # the word is in its title
    both = {a.slug for a in search_library("balloon cement")}
    assert "kyphoplasty" in both
    assert both <= {a.slug for a in search_library("balloon")}


def test_search_ignores_case_plurals_and_common_words():
    assert search_library("BONES") == search_library("bone")
    assert search_library("the and of") == []
    assert set(STOP_WORDS) >= {"the", "and", "of"}


def test_search_page_says_when_nothing_is_found_and_keeps_the_query(client):
    html = unescape(client.get("/learn/search?q=zebra").get_data(as_text=True))
    assert "Nothing found for “zebra”" in html
    assert 'value="zebra"' in html
    assert client.get("/learn/search").status_code == 200


def test_build_index_command_writes_the_index(runner, monkeypatch, tmp_path):
    target = tmp_path / "static" / "learn" / "search-index.json"
    monkeypatch.setattr("pwa.learn.cli.INDEX_PATH", target)
    result = runner.invoke(args=["learn", "build-index"])
    assert result.exit_code == 0, result.output
    assert f"{len(get_library().all_pages())} pages" in result.output
    assert target.read_text(encoding="utf-8") == dump_index(build_index(load_library()))


# ---------------------------------------------------------------------------------------------
# What to expect, for the check-in


def profile(treatment: str | None, days_ago: int | None, today=date(2026, 6, 1)):
    start = today - timedelta(days=days_ago) if days_ago is not None else None
    return SimpleNamespace(treatment=treatment, start_date=start)


def expect(treatment, days_ago) -> list[str]:
    return [a.slug for a in what_to_expect(profile(treatment, days_ago), date(2026, 6, 1))]


LATER = ["preventing-another-fracture", "bone-density-test", "warning-signs"]


@pytest.mark.parametrize(
    ("treatment", "days_ago", "slugs"),
    [
        ("nonsurgical", 5, ["nonsurgical-care", "warning-signs"]),
        ("kyphoplasty", 5, ["kyphoplasty", "recovering-at-home", "warning-signs"]),
        ("vertebroplasty", 20, ["vertebroplasty", "recovering-at-home", "warning-signs"]),
        ("kyphoplasty", -3, ["kyphoplasty", "benefits-and-risks", "recovering-at-home"]),
        ("kyphoplasty", 50, ["recovering-at-home", "preventing-another-fracture", "warning-signs"]),
        ("nonsurgical", 50, ["nonsurgical-care", "preventing-another-fracture", "warning-signs"]),
        ("nonsurgical", 120, ["preventing-another-fracture", "bone-density-test", "warning-signs"]),
        (
            "vertebroplasty",
            400,
            ["preventing-another-fracture", "bone-density-test", "warning-signs"],
        ),
        (None, None, ["compression-fracture", "nonsurgical-care", "warning-signs"]),
        ("kyphoplasty", None, ["kyphoplasty", "recovering-at-home", "warning-signs"]),
    ],
)
def test_what_to_expect_fits_treatment_and_time_since_fracture_or_procedure(
    treatment, days_ago, slugs
):
    assert expect(treatment, days_ago) == slugs


def test_what_to_expect_counts_from_the_procedure_not_the_fracture(app, db):
    from pwa.models import Profile

    today = date(2026, 6, 1)
    profile = Profile(
        treatment="kyphoplasty",
        fracture_date=today - timedelta(days=100),
        procedure_date=today - timedelta(days=10),
    )
    assert what_to_expect(profile, today)[0].slug == "kyphoplasty"
    assert [a.slug for a in what_to_expect(None, today)][0] == "compression-fracture"


def test_what_to_expect_partial_lists_the_articles(app):
    articles = what_to_expect(profile("kyphoplasty", 3), date(2026, 6, 1))
    with app.test_request_context():
        html = unescape(render_template("learn/_what_to_expect.html", expect_articles=articles))
        empty = render_template("learn/_what_to_expect.html", expect_articles=[])
    assert "What to expect" in html
    for article in articles:
        assert f'href="{article.url}">{article.title}</a>' in html
    assert empty.strip() == ""


def test_warning_link_partial_points_to_the_warning_signs_article(app, client):
    with app.test_request_context():
        html = render_template("learn/_warning_link.html")
    assert 'href="/learn/warning-signs"' in html
    assert client.get("/learn/warning-signs").status_code == 200


# ---------------------------------------------------------------------------------------------
# Finding the topics by the words patients use


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("fall", "after-a-fall"),
        ("fell", "after-a-fall"),
        ("fall risk", "fall-risk-check"),
        ("exercise", "exercise-after-a-spine-fracture"),
        ("Prolia", "bone-medicines"),
        ("shot", "bone-medicines"),
        ("sad", "mood-fear-and-sleep"),
        ("sleep", "mood-fear-and-sleep"),
        ("constipation", "opioids-safely"),
        ("tapering", "opioids-safely"),
        ("calcium", "food-for-bones"),
        ("bone clinic", "getting-bone-care-started"),
        ("getting out of bed", "moving-safely"),
    ],
)
def test_search_finds_the_patient_topics_by_everyday_words(query, slug):
    """The word a patient types brings the page on that topic near the top (first three)."""
    found = [a.slug for a in search_library(query)]
    assert slug in found[:3], (query, found[:5])


# ---------------------------------------------------------------------------------------------
# The fall-risk self-check (CDC STEADI "Stay Independent"), scored on the server


def answers(*yes: int) -> str:
    """A query answering Yes to the numbered questions and No to the rest."""
    return "&".join(f"q{n}={'yes' if n in yes else 'no'}" for n in range(1, len(QUESTIONS) + 1))


def test_fall_check_has_the_twelve_steadi_questions_worth_fourteen_points():
    assert len(QUESTIONS) == 12
    assert [q.points for q in QUESTIONS] == [2, 2] + [1] * 10
    assert MAX_POINTS == 14


@pytest.mark.parametrize(
    ("yes", "points", "at_risk"),
    [((), 0, False), ((1,), 2, False), ((3, 4, 5), 3, False), ((1, 3, 4), 4, True),
     ((2, 12), 3, False), (tuple(range(1, 13)), 14, True)],
)  # fmt: skip
def test_fall_check_scores_four_points_or_more_as_talk_to_your_doctor(yes, points, at_risk):
    result = score(["yes" if n in yes else "no" for n in range(1, 13)])
    assert (result.points, result.at_risk) == (points, at_risk)
    assert [QUESTIONS.index(q) + 1 for q in result.yes_answers] == list(yes)


def test_fall_check_page_is_a_form_that_works_without_javascript(client):
    html = unescape(client.get("/learn/check/falls").get_data(as_text=True))
    assert '<form method="get" action="/learn/check/falls"' in html
    assert '<input type="hidden" name="answered" value="1">' in html
    for n, question in enumerate(QUESTIONS, 1):
        assert f"{n}. {question.text}" in html
        assert f'id="q{n}-0" name="q{n}" required type="radio" value="yes">' in html
    assert "Your score" not in html
    assert 'href="/warning-signs"' in html  # the header's red button (issue 10's action page)


def test_fall_check_at_risk_says_talk_to_your_doctor_and_explains_each_yes(client):
    response = client.get(f"/learn/check/falls?{answers(1, 6, 12)}")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Your score: 4 out of 14" in html
    assert "Talk to your doctor about it" in html
    for n in (1, 6, 12):
        assert QUESTIONS[n - 1].why in html
    assert QUESTIONS[1].why not in html
    assert "Your answers are not saved" in html


def test_fall_check_under_four_is_lower_risk_but_still_mentions_any_fall(client):
    html = unescape(client.get(f"/learn/check/falls?{answers(3)}").get_data(as_text=True))
    assert "Your score: 1 out of 14" in html
    assert "lower risk of falling right now" in html
    assert "Talk to your doctor about it" not in html


def test_fall_check_missing_or_bad_answers_are_marked_and_the_rest_kept(client):
    query = answers(1, 2).replace("q5=no&", "").replace("q7=no", "q7=maybe")
    html = unescape(client.get(f"/learn/check/falls?{query}").get_data(as_text=True))
    assert "Your score" not in html
    assert "Please answer 2 more questions" in html
    assert html.count("Please choose Yes or No for this question.") == 2
    for n in (5, 7):
        assert f'id="q{n}-error"' in html
    assert '<input checked id="q1-0" name="q1" required type="radio" value="yes">' in html
    assert '<input checked id="q3-1" name="q3" required type="radio" value="no">' in html


def test_fall_check_sent_empty_asks_for_every_answer(client):
    html = unescape(client.get("/learn/check/falls?answered=1").get_data(as_text=True))
    assert "Please answer 12 more questions" in html
    assert html.count('class="field-error"') == 12


def test_fall_check_stores_nothing(client, app, db):
    from pwa.models import db as database

    tables = database.metadata.sorted_tables
    before = {t.name: database.session.query(t).count() for t in tables}
    client.get(f"/learn/check/falls?{answers(1, 2, 3)}")
    after = {t.name: database.session.query(t).count() for t in tables}
    assert before == after


def test_fall_check_article_lists_the_same_questions_and_scoring_for_reading_offline():
    article = get_library().get("fall-risk-check")
    lines = article.text.splitlines()
    expected = [
        f"{q.text} (Yes: {q.points} {'point' if q.points == 1 else 'points'})." for q in QUESTIONS
    ]
    assert [line for line in lines if line in expected] == expected  # all twelve, in order
    assert "4 points or more: you may be at risk of falling. Talk to your doctor" in article.text
    assert "/learn/check/falls" in [link.href for link in article.links]


def test_precache_with_the_whole_library_stays_under_one_and_a_half_megabytes(client):
    """The phone stores every library page, picture and the search index at install."""
    urls = client.get("/offline/precache.json").json["precache"]
    assert "/learn/check/falls" in urls and "/static/img/learn/log-roll.svg" in urls
    total = sum(len(client.get(url).data) for url in urls)
    assert total < 1.5 * 1024 * 1024, f"{total:,} bytes"
