"""Library search (issue 17): one typo is forgiven, and the matching passage is shown."""

from __future__ import annotations

from pwa.learn.library import load_library
from pwa.learn.search import build_index, one_typo, passage, search


def test_one_typo_is_one_change_addition_omission_or_swap():
    assert one_typo("kyphplasty", "kyphoplasty")  # a letter left out
    assert one_typo("osteoporossis", "osteoporosis")  # one too many
    assert one_typo("brase", "brace")  # one changed
    assert one_typo("fractrue", "fracture")  # two neighbours swapped
    assert not one_typo("brace", "brace")
    assert not one_typo("frcatrue", "fracture")  # two mistakes


def test_a_misspelt_word_still_finds_the_article_and_the_passage_that_matched():
    index = build_index(load_library())
    found = [page["slug"] for page in search(index, "kyphplasty")]
    assert "kyphoplasty" in found
    article = load_library().get("kyphoplasty")
    quote = passage(index, article.text, "kyphplasty")
    assert quote and "kyphoplasty" in quote.lower() and len(quote) <= 222


def test_exact_words_win_over_typos():
    index = build_index(load_library())
    # "bone" exists, so "bone" never also matches "one" or "bond" by typo.
    assert search(index, "bone") == search(index, "bones")


def test_the_search_page_shows_the_matching_passage_without_javascript(client):
    html = client.get("/learn/search?q=cemnt").get_data(as_text=True)
    assert "found for “cemnt”" in html
    assert 'class="search-passage"' in html and "cement" in html.lower()
