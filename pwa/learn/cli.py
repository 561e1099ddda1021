"""`flask --app wsgi learn build-index`: rebuild the offline search index after editing articles."""

import click
from flask.cli import AppGroup

from .library import load_library
from .search import INDEX_PATH, write_index

learn = AppGroup("learn", help="The education library.")


@learn.command("build-index")
def build_index_command() -> None:
    """Write static/learn/search-index.json from the articles (a test checks it is current)."""
    library = load_library()
    size = write_index(library, INDEX_PATH)
    pages = len(library.all_pages())
    click.echo(f"Wrote {INDEX_PATH.name}: {pages} pages, {size:,} bytes.")
