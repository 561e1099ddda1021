"""Command-line tools: `flask --app wsgi users ...`, `learn ...`, `records ...`, `reminders ...`."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .auth.passwords import password_problem
from .auth.services import EmailTaken, create_user
from .extensions import db, db_session
from .timezones import is_valid_zone

users = AppGroup("users", help="Manage patient accounts.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="", help="Defaults to the part of the e-mail before the @.")
@click.option("--timezone", "zone", default=None, help="IANA zone, e.g. America/Chicago.")
def create_user_command(email: str, password: str, name: str, zone: str | None) -> None:
    """Create an account (for clinics and tests)."""
    zone = zone or current_app.config["DEFAULT_TIMEZONE"]
    if not is_valid_zone(zone):
        raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--timezone")
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    try:
        user = create_user(
            db_session(),
            email=email,
            password=password,
            name=name or email.split("@")[0],
            timezone=zone,
            emergency_number=current_app.config["EMERGENCY_NUMBER"],
        )
    except EmailTaken as taken:
        raise click.ClickException(f"an account for {taken} already exists") from None
    db.session.commit()
    click.echo(f"Created account {user.id} for {user.email}.")


def register(app: Flask) -> None:
    """Every command group, one style: an AppGroup per feature, added here."""
    from .data.cli import delete_user_command  # issue 16
    from .learn.cli import learn
    from .records.cli import records

    users.add_command(delete_user_command)
    from .reminders.cli import reminders

    for group in (users, learn, records, reminders):
        app.cli.add_command(group)
