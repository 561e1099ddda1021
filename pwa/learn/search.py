"""The library's search index: small enough to precache, the same on the server and the phone.

`build_index` turns the library into a JSON document (an inverted index: word -> articles).
`flask --app wsgi learn build-index` writes it to static/learn/search-index.json, where the service
worker precaches it and static/js/search.js filters it offline. The server-side search (the
form without JavaScript) runs `search` over the same index, and static/js/search.js mirrors
`words` and `search` line for line, so both find the same articles in the same order.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..config import ROOT
from .library import Library

INDEX_PATH = ROOT / "static" / "learn" / "search-index.json"
INDEX_VERSION = 1

# Words too common to tell articles apart. Shipped inside the index, so the browser and the
# server drop exactly the same words from a query.
_STOP_TEXT = """
    a about after all also am an and any are as at be because been before being but by can
    could did do does doing done for from get gets had has have he her here his how i if in into
    is it its just may me might more most much must my no not now of on one only or other our out
    over own same she should so some such than that the their them then there these they this
    those through to too up us very was way we were what when where which while who why will
    with would you your yours"""
STOP_WORDS = sorted(set(_STOP_TEXT.split()))

TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
PREFIX_MIN = 3  # query words this long also match longer words ("kypho" finds kyphoplasty)
WEIGHTS = {"title": 3, "summary": 2, "body": 1}


def normalize(word: str) -> str:
    """A light stemmer both sides share: drop a possessive and a plural "s" ("bones" -> "bone")."""
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


def words(text: str, stop: frozenset[str] | set[str] = frozenset(STOP_WORDS)) -> list[str]:
    """The searchable words of a text, in order (duplicates kept)."""
    text = text.lower().replace("\u2019", "'")
    found = (normalize(w) for w in TOKEN_RE.findall(text) if w not in stop)
    return [w for w in found if len(w) >= 2 and w not in stop]


def build_index(library: Library) -> dict:
    """The index document: the pages (with title and summary for ranking and showing) and, for
    each word, the positions of the pages that contain it."""
    pages = library.all_pages()
    postings: dict[str, list[int]] = {}
    for n, page in enumerate(pages):
        for word in sorted(set(words(" ".join([page.title, page.summary, page.text])))):
            postings.setdefault(word, []).append(n)
    return {
        "version": INDEX_VERSION,
        "stop": STOP_WORDS,
        "pages": [
            {"slug": p.slug, "url": p.url, "title": p.title, "summary": p.summary} for p in pages
        ],
        "words": dict(sorted(postings.items())),
    }


def dump_index(index: dict) -> str:
    """The index as written to disk: compact and byte-for-byte stable for the same library."""
    return json.dumps(index, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def write_index(library: Library, path: Path = INDEX_PATH) -> int:
    """Writes the index file and returns its size in bytes."""
    text = dump_index(build_index(library))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def search(index: dict, query: str) -> list[dict]:
    """Pages containing every word of the query, best first.

    A word of three letters or more also matches words that begin with it. A page scores 3 for
    each query word in its title, 2 in its summary, 1 in its body only; ties keep library order.
    """
    stop = set(index["stop"])
    terms = list(dict.fromkeys(words(query, stop)))
    if not terms:
        return []
    vocabulary = index["words"]
    matches: set[int] | None = None
    for term in terms:
        found: set[int] = set(vocabulary.get(term, ()))
        if len(term) >= PREFIX_MIN:
            for word, pages in vocabulary.items():
                if word.startswith(term):
                    found.update(pages)
        matches = found if matches is None else matches & found
    pages = index["pages"]
    scored = []
    for n in matches or ():
        page = pages[n]
        title, summary = words(page["title"], stop), words(page["summary"], stop)
        score = sum(_field_weight(term, title, summary) for term in terms)
        scored.append((-score, n))
    return [pages[n] for _, n in sorted(scored)]


def _field_weight(term: str, title: list[str], summary: list[str]) -> int:
    def has(field: list[str]) -> bool:
        return any(w == term or (len(term) >= PREFIX_MIN and w.startswith(term)) for w in field)

    if has(title):
        return WEIGHTS["title"]
    if has(summary):
        return WEIGHTS["summary"]
    return WEIGHTS["body"]


def load_index(path: Path = INDEX_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
