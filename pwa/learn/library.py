"""The education library as data: Markdown files with YAML front matter, parsed once per process.

Adding an article is adding a file to `pwa/learn/articles/`. Each file starts with front matter
(title, summary, topic, order, sources, reviewed, related) and a Markdown body. `glossary.md` is
special: its front matter holds a `terms:` list, and terms found in article text link to it.

Content is rendered on the server with markdown-it-py with raw HTML switched off, and links and
images are allowed only to our own paths, so nothing in an article can inject markup, load a
third-party resource or send the patient off-site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
GLOSSARY_SLUG = "glossary"

# The stages of the library index, in the order a patient meets them.
TOPICS = {
    "understanding": "Understanding your fracture",
    "tests": "Tests and diagnosis",
    "treatment": "Treatment choices",
    "recovery": "Recovery and warning signs",
    "prevention": "Preventing another fracture",
}

# Who checked an article, until a licensed clinician signs it off (docs/clinical-signoff.md).
DEFAULT_REVIEWER = "Reviewed against the sources listed; not yet signed off by a clinician"
SOURCE_KEYS = {"publisher", "title", "year", "accessed", "url", "device_maker", "note"}
URL_RE = re.compile(r"^https://[^\s<>\"']+$")

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


class LibraryError(Exception):
    """Article files that cannot be published; the message names every file and problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Source:
    """One work an article rests on, with enough detail for a reader to find and check it.

    `device_maker` marks material written by a company that sells the treatment it describes,
    which every sources list says openly. `url` is shown as text, never as a link: the library
    does not send a patient off-site.
    """

    publisher: str
    title: str
    year: int | None = None  # when it was published
    accessed: int | None = None  # for an undated web page: the year it was read
    url: str = ""
    device_maker: bool = False
    note: str = ""  # what a reader weighing the work should know: who paid, what it lacked


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Image:
    src: str
    alt: str


@dataclass(frozen=True)
class Link:
    href: str
    text: str


@dataclass(frozen=True)
class Term:
    term: str
    slug: str
    definition: str
    aliases: tuple[str, ...]
    definition_html: Markup


@dataclass(frozen=True)
class Article:
    """One article, rendered once. `text` is its plain text (for search and readability checks)."""

    slug: str
    title: str
    summary: str
    topic: str
    order: int
    sources: tuple[Source, ...]
    reviewed: date
    related: tuple[str, ...]
    html: Markup
    reviewer: str
    text: str
    headings: tuple[Heading, ...] = ()
    images: tuple[Image, ...] = ()
    links: tuple[Link, ...] = ()
    terms: tuple[Term, ...] = ()  # only the glossary has terms
    path: Path | None = None

    @property
    def url(self) -> str:
        return f"/learn/{self.slug}"

    @property
    def topic_label(self) -> str:
        return TOPICS.get(self.topic, "")


@dataclass(eq=False)  # compared and hashed by identity: one loaded library per process
class Library:
    """All articles in reading order, plus the glossary (not part of the stages or the sequence)."""

    articles: list[Article]
    glossary: Article | None = None
    _by_slug: dict[str, Article] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.articles.sort(key=lambda a: (a.order, a.slug))
        self._by_slug = {a.slug: a for a in self.articles}

    def get(self, slug: str) -> Article | None:
        return self._by_slug.get(slug)

    def __contains__(self, slug: str) -> bool:
        return slug in self._by_slug or (self.glossary is not None and slug == GLOSSARY_SLUG)

    def all_pages(self) -> list[Article]:
        """Every page of the library: the articles in order, then the glossary."""
        return self.articles + ([self.glossary] if self.glossary else [])

    def by_topic(self) -> list[tuple[str, str, list[Article]]]:
        """(topic, label, articles) for each stage that has articles, in stage order."""
        groups = []
        for topic, label in TOPICS.items():
            members = [a for a in self.articles if a.topic == topic]
            if members:
                groups.append((topic, label, members))
        return groups

    def neighbours(self, article: Article) -> tuple[Article | None, Article | None]:
        """The previous and next article by order, for reading the library front to back."""
        index = self.articles.index(article)
        previous = self.articles[index - 1] if index > 0 else None
        following = self.articles[index + 1] if index + 1 < len(self.articles) else None
        return previous, following

    def related(self, article: Article) -> list[Article]:
        pages = []
        for slug in article.related:
            page = self.glossary if slug == GLOSSARY_SLUG else self.get(slug)
            if page is not None and page is not article:
                pages.append(page)
        return pages


# ---------------------------------------------------------------------------------------------
# Markdown rendering


def is_own_path(url: str) -> bool:
    """Only site-relative paths ("/learn/x", "/static/...") and in-page anchors ("#part")."""
    url = url.strip()
    if url.startswith("#"):
        return True
    return url.startswith("/") and not url.startswith(("//", "/\\")) and "\\" not in url


def heading_id(text: str) -> str:
    """A short, readable anchor from a heading: its first few words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:6]
    return "-".join(words) or "section"


def _heading_ids(state) -> None:
    """Gives each heading an id (for links to a part of a page) and keeps one h1 per page.

    The page title is the h1, so a `#` heading in the body is shown as an h2.
    """
    seen: set[str] = set()
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        if token.tag == "h1":
            token.tag = "h2"
        if token.type == "heading_open":
            base = heading_id(tokens[i + 1].content)
            anchor, n = base, 2
            while anchor in seen:
                anchor, n = f"{base}-{n}", n + 1
            seen.add(anchor)
            token.attrSet("id", anchor)


def _term_linker(terms: list[Term]):
    """A core rule linking the first use of each glossary term in an article to its definition.

    Text inside headings, links and image descriptions is left alone.
    """
    names: dict[str, str] = {}
    for term in terms:
        for name in (term.term, *term.aliases):
            if name.strip():
                names.setdefault(name.strip().lower(), term.slug)
    if not names:
        return lambda state: None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])({alternatives})(?:e?s)?(?![\w-])", re.IGNORECASE)

    def link_terms(state) -> None:
        if state.env.get("link_terms") is False:
            return
        linked: set[str] = set()
        in_heading = False
        for token in state.tokens:
            if token.type == "heading_open":
                in_heading = True
            elif token.type == "heading_close":
                in_heading = False
            elif token.type == "inline" and not in_heading and token.children:
                token.children = _link_children(token.children, pattern, names, linked)

    return link_terms


def _link_children(children, pattern, names, linked) -> list[Token]:
    result: list[Token] = []
    link_depth = 0
    for child in children:
        if child.type == "link_open":
            link_depth += 1
        elif child.type == "link_close":
            link_depth -= 1
        if child.type != "text" or link_depth:
            result.append(child)
            continue
        text, position = child.content, 0
        for match in pattern.finditer(text):
            slug = names[match.group(1).lower()]
            if slug in linked:
                continue
            linked.add(slug)
            if match.start() > position:
                result.append(_text(text[position : match.start()]))
            opening = Token("link_open", "a", 1)
            opening.attrSet("href", f"/learn/glossary#{slug}")
            opening.attrSet("class", "term")
            result += [opening, _text(match.group(0)), Token("link_close", "a", -1)]
            position = match.end()
        if position < len(text):
            result.append(_text(text[position:]))
    return result


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def make_renderer(terms: list[Term] | None = None) -> MarkdownIt:
    """CommonMark plus tables, with raw HTML off and links limited to our own paths.

    A link or image to anywhere else is not turned into a link at all (markdown-it shows the
    source text instead), which the tests catch before an article ships.
    """
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.validateLink = is_own_path  # type: ignore[method-assign]  # markdown-it's documented hook
    md.core.ruler.push("heading_ids", _heading_ids)
    md.core.ruler.push("glossary_links", _term_linker(terms or []))
    md.add_render_rule("image", _render_image)
    return md


def _render_image(self, tokens, idx, options, env) -> str:
    """Images stay inside the column and load lazily; alt text comes from the Markdown.

    Each opens full size on a tap, where older eyes can zoom into the labels.
    """
    token = tokens[idx]
    token.attrSet("loading", "lazy")
    token.attrSet("decoding", "async")
    src = escape(str(token.attrGet("src")))
    return (
        f'<a class="figure-link" href="{src}">{self.image(tokens, idx, options, env)}'
        '<span class="figure-hint">Open the picture full size</span></a>'
    )


# ---------------------------------------------------------------------------------------------
# Plain text and what an article points to


def _inline_text(children: list[Token]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


def plain_text(tokens: list[Token]) -> str:
    """The words a reader meets, one block (paragraph, list item, heading, cell) per line.

    A block without closing punctuation (a heading, a list item) is ended with a full stop so
    readability formulas count it as the short sentence it is. Image descriptions are included:
    screen-reader users read them as part of the article.
    """
    lines = []
    for token in tokens:
        if token.type != "inline":
            continue
        blocks = [_inline_text(token.children or [])]
        images = [c for c in token.children or [] if c.type == "image"]
        blocks += [_inline_text(image.children or []) for image in images]
        for block in blocks:
            block = " ".join(block.split())
            if not block:
                continue
            if block[-1] not in ".!?":
                block = block.rstrip(":;,") + "."
            lines.append(block)
    return "\n".join(lines)


def _walk(tokens: list[Token]):
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _outline(tokens: list[Token]) -> tuple[list[Heading], list[Image], list[Link]]:
    headings, images, links = [], [], []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            text = _inline_text(tokens[i + 1].children or [])
            headings.append(Heading(int(token.tag[1]), str(token.attrGet("id")), text))
    flat = list(_walk(tokens))
    for i, token in enumerate(flat):
        if token.type == "image":
            images.append(Image(str(token.attrGet("src")), _inline_text(token.children or [])))
        elif token.type == "link_open":
            text = flat[i + 1].content if i + 1 < len(flat) else ""
            links.append(Link(str(token.attrGet("href")), text))
    return headings, images, links


# ---------------------------------------------------------------------------------------------
# Loading


def split_front_matter(source: str) -> tuple[dict, str]:
    match = FRONT_MATTER_RE.match(source)
    if not match:
        raise ValueError("does not start with front matter between --- lines")
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    return meta, source[match.end() :]


def _nonempty_str(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_front_matter(meta: dict, slug: str) -> list[str]:
    """What is missing or wrong in one file's front matter, in words a writer can act on."""
    problems = []
    glossary = slug == GLOSSARY_SLUG
    for key in ("title", "summary"):
        if not _nonempty_str(meta.get(key)):
            problems.append(f"{key} must be a non-empty text")
    # The glossary stands outside the stages, so its topic and order are optional.
    topic, order = meta.get("topic"), meta.get("order")
    if (not glossary or "topic" in meta) and topic not in TOPICS:
        problems.append(f"topic must be one of {', '.join(TOPICS)} (got {topic!r})")
    if (not glossary or "order" in meta) and (not isinstance(order, int) or order is True):
        problems.append("order must be a whole number")
    sources = meta.get("sources")
    if not isinstance(sources, list) or not sources:
        problems.append("sources must be a list of {publisher, title}")
    else:
        for n, source in enumerate(sources, 1):
            if not (
                isinstance(source, dict)
                and _nonempty_str(source.get("publisher"))
                and _nonempty_str(source.get("title"))
            ):
                problems.append(f"source {n} needs a publisher and a title")
                continue
            problems += [f"source {n}: {p}" for p in _check_source(source)]
    if "reviewer" in meta and not _nonempty_str(meta.get("reviewer")):
        problems.append("reviewer must be a non-empty text (who checked the article, as a role)")
    if not isinstance(meta.get("reviewed"), date):
        problems.append("reviewed must be a date (YYYY-MM-DD)")
    related = meta.get("related", [])
    if not isinstance(related, list) or not all(_nonempty_str(r) for r in related):
        problems.append("related must be a list of article slugs")
    if glossary:
        problems += _check_terms(meta.get("terms"))
    unknown = set(meta) - {
        "title", "summary", "topic", "order", "sources", "reviewed", "reviewer", "related",
        "terms",
    }  # fmt: skip
    if unknown:
        problems.append(f"unknown front matter keys: {', '.join(sorted(unknown))}")
    return problems


def _check_source(source: dict) -> list[str]:
    problems = []
    unknown = set(source) - SOURCE_KEYS
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    if "year" not in source and "accessed" not in source:
        problems.append("needs a year (or, for an undated web page, the year it was accessed)")
    for key in ("year", "accessed"):
        value = source.get(key)
        if key in source and (
            not isinstance(value, int) or value is True or not 1900 < value < 2100
        ):
            problems.append(f"{key} must be a four-digit year")
    if "url" in source and not (isinstance(source["url"], str) and URL_RE.match(source["url"])):
        problems.append("url must be a full https:// address")
    if "device_maker" in source and not isinstance(source["device_maker"], bool):
        problems.append("device_maker must be true or false")
    if "note" in source and not _nonempty_str(source["note"]):
        problems.append("note must be a non-empty text")
    return problems


def _make_source(entry: dict) -> Source:
    return Source(
        publisher=entry["publisher"].strip(),
        title=entry["title"].strip(),
        year=entry.get("year"),
        accessed=entry.get("accessed"),
        url=entry.get("url", "").strip(),
        device_maker=entry.get("device_maker", False),
        note=" ".join(entry.get("note", "").split()),
    )


def _check_terms(terms) -> list[str]:
    if not isinstance(terms, list) or not terms:
        return ["terms must be a list of {term, slug, definition, aliases}"]
    problems, slugs = [], set()
    for n, entry in enumerate(terms, 1):
        if not isinstance(entry, dict):
            problems.append(f"term {n} is not a mapping")
            continue
        for key in ("term", "slug", "definition"):
            if not _nonempty_str(entry.get(key)):
                problems.append(f"term {n} ({entry.get('term')!r}) needs a {key}")
        slug = entry.get("slug")
        if isinstance(slug, str) and not SLUG_RE.match(slug):
            problems.append(f"term slug {slug!r} must be lowercase words joined by hyphens")
        if slug in slugs:
            problems.append(f"term slug {slug!r} is used twice")
        slugs.add(slug)
        aliases = entry.get("aliases", []) or []
        if not isinstance(aliases, list) or not all(_nonempty_str(a) for a in aliases):
            problems.append(f"term {n} ({entry.get('term')!r}): aliases must be a list of texts")
    return problems


def _make_terms(entries: list[dict], md: MarkdownIt) -> list[Term]:
    return [
        Term(
            term=entry["term"].strip(),
            slug=entry["slug"],
            definition=entry["definition"].strip(),
            aliases=tuple(a.strip() for a in entry.get("aliases") or []),
            definition_html=Markup(md.renderInline(entry["definition"].strip())),
        )
        for entry in entries
    ]


def _make_article(path: Path, meta: dict, body: str, md: MarkdownIt, terms=()) -> Article:
    env = {"link_terms": path.stem != GLOSSARY_SLUG}
    tokens = md.parse(body, env)
    headings, images, links = _outline(tokens)
    text = plain_text(tokens)
    if terms:
        text = "\n".join([text] + [f"{t.term}. {t.definition}" for t in terms]).strip()
    return Article(
        slug=path.stem,
        title=meta["title"].strip(),
        summary=" ".join(meta["summary"].split()),
        topic=meta.get("topic", ""),
        order=meta.get("order", 10_000),
        sources=tuple(_make_source(s) for s in meta["sources"]),
        reviewed=meta["reviewed"],
        reviewer=" ".join(meta.get("reviewer", DEFAULT_REVIEWER).split()),
        related=tuple(meta.get("related") or ()),
        html=Markup(md.renderer.render(tokens, md.options, env)),
        text=text,
        headings=tuple(headings),
        images=tuple(images),
        links=tuple(links),
        terms=tuple(terms),
        path=path,
    )


def load_library(directory: Path = ARTICLES_DIR) -> Library:
    """Reads and renders every `*.md` file in `directory`; raises LibraryError on bad files."""
    problems: list[str] = []
    parsed: dict[str, tuple[Path, dict, str]] = {}
    for path in sorted(directory.glob("*.md")):
        if not SLUG_RE.match(path.stem):
            problems.append(f"{path.name}: file name must be lowercase words joined by hyphens")
            continue
        try:
            meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        except (ValueError, yaml.YAMLError) as error:
            problems.append(f"{path.name}: {error}")
            continue
        file_problems = check_front_matter(meta, path.stem)
        problems += [f"{path.name}: {p}" for p in file_problems]
        if not file_problems:
            parsed[path.stem] = (path, meta, body)
    if problems:
        raise LibraryError(problems)

    plain = make_renderer()
    terms: list[Term] = []
    glossary = None
    if GLOSSARY_SLUG in parsed:
        path, meta, body = parsed.pop(GLOSSARY_SLUG)
        terms = _make_terms(meta["terms"], plain)
        glossary = _make_article(path, meta, body, plain, terms)
    md = make_renderer(terms)
    articles = [_make_article(path, meta, body, md) for path, meta, body in parsed.values()]
    return Library(articles, glossary)


@lru_cache(maxsize=4)
def get_library(directory: Path = ARTICLES_DIR) -> Library:
    """The library, loaded on first use and kept for the life of the process.

    Articles ship with the code, so a restart (a deploy) is when they change.
    """
    return load_library(directory)
