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
TYPO_MIN = 4  # query words this long that match nothing also match words one typo away
PASSAGE_MAX = 220  # characters of the matching passage shown under a result
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


def one_typo(a: str, b: str) -> bool:
    """Whether `b` is `a` with one letter changed, added, left out, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
        return len(diffs) == 1 or swapped
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def expand(term: str, vocabulary: dict) -> set[str]:
    """The index words a query word stands for: itself, longer words it begins (3 letters or
    more), or, when those find nothing, words one typo away (4 letters or more)."""
    found = {w for w in vocabulary if w == term or (len(term) >= PREFIX_MIN and w.startswith(term))}
    if not found and len(term) >= TYPO_MIN:
        found = {w for w in vocabulary if one_typo(term, w)}
    return found


def search(index: dict, query: str) -> list[dict]:
    """Pages containing every word of the query (or a word one typo away), best first.

    A word of three letters or more also matches words that begin with it. A page scores 3 for
    each query word in its title, 2 in its summary, 1 in its body only; ties keep library order.
    """
    stop = set(index["stop"])
    terms = list(dict.fromkeys(words(query, stop)))
    if not terms:
        return []
    vocabulary = index["words"]
    expanded = [expand(term, vocabulary) for term in terms]
    matches: set[int] | None = None
    for found_words in expanded:
        found: set[int] = {n for word in found_words for n in vocabulary[word]}
        matches = found if matches is None else matches & found
    pages = index["pages"]
    scored = []
    for n in matches or ():
        page = pages[n]
        title, summary = words(page["title"], stop), words(page["summary"], stop)
        score = sum(_field_weight(found_words, title, summary) for found_words in expanded)
        scored.append((-score, n))
    return [pages[n] for _, n in sorted(scored)]


def _field_weight(found_words: set[str], title: list[str], summary: list[str]) -> int:
    if found_words.intersection(title):
        return WEIGHTS["title"]
    if found_words.intersection(summary):
        return WEIGHTS["summary"]
    return WEIGHTS["body"]


SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")


def passage(index: dict, text: str, query: str) -> str | None:
    """The first sentence of a page's text that holds a query word, cut to about 220
    characters: shown under the result, so the patient sees why it was found. (The index
    carries no text, to stay small; search.js reads the sentence from the cached page.)"""
    stop = set(index["stop"])
    wanted = set()
    for term in dict.fromkeys(words(query, stop)):
        wanted |= expand(term, index["words"])
    for sentence in SENTENCE_RE.split(text):
        if wanted.intersection(words(sentence, stop)):
            sentence = sentence.strip()
            if len(sentence) <= PASSAGE_MAX:
                return sentence
            return sentence[:PASSAGE_MAX].rsplit(" ", 1)[0] + " …"
    return None


def load_index(path: Path = INDEX_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
