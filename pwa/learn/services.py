"""Decisions about which articles a patient sees, and the cached search index.

Plain functions with explicit arguments, so the check-in pages, the home page and the tests can
all call them.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from ..models import Profile
from .library import Article, Library, get_library
from .search import build_index, passage, search

# The article that explains each treatment, and what to read about life at home after it.
TREATMENT_ARTICLES = {
    "nonsurgical": ("nonsurgical-care", "nonsurgical-care"),
    "kyphoplasty": ("kyphoplasty", "recovering-at-home"),
    "vertebroplasty": ("vertebroplasty", "recovering-at-home"),
    "other": ("compression-fracture", "recovering-at-home"),
}
UNKNOWN_TREATMENT = ("compression-fracture", "nonsurgical-care")
PROCEDURES = {"kyphoplasty", "vertebroplasty"}

FIRST_WEEKS = 42  # about 6 weeks: the acute pain usually settles and the first review happens
FIRST_MONTHS = 90  # about 3 months: most fractures have healed; the decision point if not
MAX_ARTICLES = 3


def what_to_expect(
    profile: Profile | None, today: date, library: Library | None = None
) -> list[Article]:
    """Up to three "what to expect" articles for this patient's treatment and stage.

    - procedure still ahead: the procedure step by step, its benefits and risks, life after it;
    - first 6 weeks (or no date given): the treatment and life at home, plus the warning signs;
    - 6 weeks to 3 months: life at home, then preventing another fracture;
    - after 3 months: preventing another fracture and the bone density test.

    Time is counted from the procedure when there was one, else from the fracture.
    """
    library = library or get_library()
    treatment = profile.treatment if profile else None
    about, at_home = TREATMENT_ARTICLES.get(treatment or "", UNKNOWN_TREATMENT)
    start = profile.start_date if profile else None
    days = (today - start).days if start else None

    if days is not None and days < 0 and treatment in PROCEDURES:
        slugs = [about, "benefits-and-risks", at_home]
    elif days is None or days < FIRST_WEEKS:
        slugs = [about, at_home, "warning-signs"]
    elif days < FIRST_MONTHS:
        slugs = [at_home, "preventing-another-fracture", "warning-signs"]
    else:
        slugs = ["preventing-another-fracture", "bone-density-test", "warning-signs"]

    articles = [library.get(slug) for slug in dict.fromkeys(slugs)]
    return [a for a in articles if a is not None][:MAX_ARTICLES]


@lru_cache(maxsize=4)
def _index_for(library: Library) -> dict:
    return build_index(library)


def search_library(query: str, library: Library | None = None) -> list[Article]:
    """The server-side search (the form without JavaScript): same index and ranking as the JSON
    file static/js/search.js filters offline."""
    library = library or get_library()
    found = []
    for page in search(_index_for(library), query):
        article = library.glossary if page["slug"] == "glossary" else library.get(page["slug"])
        if article is not None:
            found.append(article)
    return found


def search_passages(query: str, library: Library | None = None) -> dict[str, str]:
    """For each page found, the sentence that matched (shown under the result)."""
    library = library or get_library()
    index = _index_for(library)
    texts = {page.slug: page.text for page in library.all_pages()}
    found = {}
    for page in search(index, query):
        text = passage(index, texts.get(page["slug"], ""), query)
        if text:
            found[page["slug"]] = text
    return found
