"""`flask --app wsgi users delete --email E`: deleting an account for a clinic."""

import click
from flask import current_app

from ..auth.services import find_user_by_email
from ..extensions import db
from ..models import utcnow
from .deletion import delete_account, deletion_summary, send_deletion_confirmation


@click.command("delete")
@click.option("--email", required=True)
@click.option("--yes", is_flag=True, help="Do not ask before deleting.")
def delete_user_command(email: str, yes: bool) -> None:
    """Delete an account and every record of it, and e-mail the patient a confirmation."""
    patient = find_user_by_email(db.session, email)
    if patient is None:
        raise click.ClickException(f"no account for {email}")
    summary = deletion_summary(db.session, patient)
    click.echo(f"Account {patient.id} ({patient.email}, {patient.name}) holds:")
    for line in summary:
        click.echo(f"  {line.label}: {line.count}")
    if not yes:
        click.confirm("Delete this account and all of it for good?", abort=True)
    name, address = patient.name, patient.email
    delete_account(db.session, patient)
    db.session.commit()
    sent = send_deletion_confirmation(
        current_app, name=name, email=address, summary=summary, now=utcnow()
    )
    click.echo(f"Deleted the account of {address}.")
    if not sent:
        click.echo("The confirmation e-mail could not be sent (see the log).", err=True)
