"""`publisher db …`: apply and inspect schema migrations."""

from __future__ import annotations

import click

from publisher.app import App


@click.group()
def db() -> None:
    """Database schema: apply migrations after an upgrade of publisher."""


@db.command()
@click.pass_obj
def upgrade(app: App) -> None:
    """Apply every pending migration (safe to run again; does nothing when up to date)."""
    from publisher.home import redact_database_url
    from publisher.store.db import SCHEMA_HEAD, current_revision
    from publisher.store.migrate import upgrade as run_upgrade

    before = current_revision(app.engine)
    where = redact_database_url(app.home.database_url)
    if before == SCHEMA_HEAD:
        click.echo(f"The database {where} is up to date (schema {SCHEMA_HEAD}).")
        return
    run_upgrade(app.engine)
    click.echo(f"Upgraded {where} from schema {before or 'empty'} to {SCHEMA_HEAD}.")


@db.command()
@click.pass_obj
def current(app: App) -> None:
    """Show the database's schema revision and whether it is up to date."""
    from publisher.home import redact_database_url
    from publisher.store.db import SCHEMA_HEAD, current_revision

    rev = current_revision(app.engine)
    state = "up to date" if rev == SCHEMA_HEAD else f"this version expects {SCHEMA_HEAD}"
    click.echo(f"{redact_database_url(app.home.database_url)}: schema {rev or 'empty'} "
               f"({state})")
