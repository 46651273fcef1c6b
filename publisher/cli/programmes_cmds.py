"""`publisher programmes …`: the programmes of a shared database, for whoever runs it."""

from __future__ import annotations

import click

from publisher.app import App
from publisher.cli.output import echo, print_json, table


@click.group(invoke_without_command=True)
@click.pass_context
def programmes(ctx: click.Context) -> None:
    """The programmes sharing this database: list, add a home, move, pause, resume, remove.

    Each home names its programme in publisher.toml (`programme = "…"`, default
    "default") and sees only that programme's interviews, posts and journal. Without a
    subcommand: the list.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_cmd)


def _ready(app: App) -> None:
    from publisher.store.db import check_schema

    check_schema(app.engine)


@programmes.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_obj
def list_cmd(app: App, as_json: bool = False) -> None:
    """Every programme of the database: its state, home and interviews."""
    import datetime as dt

    from publisher.services.programmes import list_programmes

    _ready(app)
    rows = list_programmes(app.engine, dt.datetime.now(dt.UTC))
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    table(["ID", "NAME", "STATE", "INTERVIEWS", "BUSY", "HOME"],
          [[r.id, r.name, r.state, r.interviews, r.leases, r.home_path or "—"] for r in rows])


@programmes.command()
@click.option("--home", "home_dir", type=click.Path(file_okay=False), default=None,
              help="The home whose programme to register (default: --home of publisher, or "
                   "the current one).")
@click.pass_obj
def add(app: App, home_dir: str | None) -> None:
    """Register a home's programme (the name in its publisher.toml) in this database.

    The same home again changes nothing. A name already registered for another home is
    refused: two homes would share one queue.
    """
    from publisher.services.programmes import add as add_programme

    target = _app_of(app, home_dir)
    home = target.home
    try:
        _ready(target)
        name = target.programme_name
        found, new = add_programme(target.engine, name, str(home.path))
    finally:
        target.close()
    if new:
        echo(f"Registered programme {name!r} (id {found.id}) for the home {home.path}.")
    else:
        echo(f"The programme {name!r} (id {found.id}) was already registered for "
             f"{home.path}; nothing was changed.")


def _app_of(app: App, home_dir: str | None) -> App:
    """An App on `home_dir` (same database as given to publisher), else on publisher's home."""
    from publisher.home import Home

    home = app.home
    if home_dir is not None:
        home = Home.resolve(home_dir, app.home.database_url if app.home.database_url_given
                            else None)
    return App(home, actor=app.actor)


@programmes.command()
@click.option("--home", "home_dir", type=click.Path(file_okay=False), default=None,
              help="The home's new folder (default: --home of publisher, or the current one).")
@click.pass_obj
def move(app: App, home_dir: str | None) -> None:
    """Tell the database that a registered home moved to another folder.

    The programme (the name in the home's publisher.toml) keeps its queue, journal and
    posts. Refused while the old folder still holds a home naming the same programme.
    """
    from publisher.services.programmes import move as move_programme

    target = _app_of(app, home_dir)
    try:
        _ready(target)
        name = target.programme_name
        old = move_programme(target.engine, name, str(target.home.path))
    finally:
        target.close()
    if old is None:
        echo(f"The programme {name!r} is already registered for {target.home.path}; nothing "
             "was changed.")
    else:
        echo(f"The programme {name!r} now belongs to the home {target.home.path}"
             + (f" (it was {old})." if old else "."))


@programmes.command()
@click.argument("name")
@click.pass_obj
def pause(app: App, name: str) -> None:
    """Stop doing NAME's due work (uploads, releases, posts) until `programmes resume`.

    A running daemon notices at its next wake-up (at most 5 minutes); what it is doing
    now finishes. Commands on the queue still work.
    """
    from publisher.services.programmes import set_paused

    _ready(app)
    changed = set_paused(app.engine, name, True)
    echo(f"Programme {name!r} paused." if changed else f"Programme {name!r} was already "
         "paused.")


@programmes.command()
@click.argument("name")
@click.pass_obj
def resume(app: App, name: str) -> None:
    """Do NAME's due work again (a slot missed meanwhile is reported as missed)."""
    from publisher.services.programmes import set_paused

    _ready(app)
    changed = set_paused(app.engine, name, False)
    echo(f"Programme {name!r} resumed." if changed else f"Programme {name!r} was not "
         "paused.")


@programmes.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Really delete it: without it nothing is done.")
@click.pass_obj
def remove(app: App, name: str, yes: bool) -> None:
    """Delete NAME and every row of it from the database: its queue, journal, post records
    and console accounts. Nothing already published is touched, nor its home's files.

    Refused while an interview of it is being worked on: pause it first.
    """
    import datetime as dt

    from publisher.errors import InputError
    from publisher.services.programmes import remove as remove_programme

    if not yes:
        raise InputError(f"removing the programme {name!r} deletes its whole queue and "
                         "journal from the database: pass --yes to do it")
    _ready(app)
    count = remove_programme(app.engine, name, dt.datetime.now(dt.UTC))
    echo(f"Removed programme {name!r} and its {count} interview(s) from the database.")
