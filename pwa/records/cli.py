"""`flask --app wsgi records build-js`: rewrite static/js/record-fields.js after a change."""

import click
from flask.cli import AppGroup

from .schemas import write_record_fields_js

records = AppGroup("records", help="The records' generated files.")


@records.command("build-js")
def build_js_command() -> None:
    """Write static/js/record-fields.js, the outbox's field types (a test checks it is current)."""
    path = write_record_fields_js()
    click.echo(f"Wrote {path.name}.")
