"""The education library: public pages, no sign-in, rendered from the cached library."""

from flask import render_template, request

from . import bp
from .fall_check import MAX_POINTS, QUESTIONS, score
from .forms import FallCheckForm
from .library import TOPICS, get_library
from .services import search_library, search_passages

MAX_QUERY = 200


@bp.get("/")
def index():
    library = get_library()
    return render_template("learn/index.html", groups=library.by_topic(), library=library)


@bp.get("/search")
def search():
    """The search form without JavaScript; static/js/search.js gives the same answers offline."""
    query = request.args.get("q", "").strip()[:MAX_QUERY]
    results = search_library(query) if query else []
    passages = search_passages(query) if results else {}
    return render_template("learn/search.html", query=query, results=results, passages=passages)


@bp.get("/check/falls")
def fall_check() -> str:
    """The fall-risk self-check as a plain form: answers come in the query string, the score is
    worked out here and shown once, and nothing is stored or logged against anyone."""
    form = FallCheckForm(formdata=request.args)
    submitted = "answered" in request.args or any(key in form for key in request.args)
    result = None
    if submitted and form.validate():
        result = score([field.data for field in form.answer_fields()])
    return render_template(
        "learn/fall_check.html",
        form=form,
        fields=form.answer_fields(),
        questions=QUESTIONS,
        max_points=MAX_POINTS,
        submitted=submitted,
        result=result,
    )


@bp.get("/glossary")
def glossary():
    library = get_library()
    if library.glossary is None:
        return render_template("learn/not_found.html"), 404
    return render_template("learn/glossary.html", page=library.glossary, library=library)


@bp.get("/<slug>")
def article(slug: str):
    library = get_library()
    page = library.get(slug)
    if page is None:
        return render_template("learn/not_found.html"), 404
    previous, following = library.neighbours(page)
    return render_template(
        "learn/article.html",
        page=page,
        topic_label=TOPICS[page.topic],
        related=library.related(page),
        previous=previous,
        following=following,
    )
