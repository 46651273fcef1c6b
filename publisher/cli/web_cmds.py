"""`publisher web`: serve the console in the browser, and manage its accounts."""

from __future__ import annotations

import sys

import click

from publisher.app import App
from publisher.cli.output import echo, print_json, table

ROLES = ("organizer", "viewer")


@click.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. The default answers only this machine; "
                   "0.0.0.0 answers every network it is on (put a TLS proxy in front).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="The port to listen on.")
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure even on plain HTTP: for a TLS proxy that does not "
                   "send X-Forwarded-Proto (with it, they are marked Secure anyway).")
@click.option("--idle-minutes", type=click.IntRange(1, 24 * 60), default=30,
              show_default=True, help="A session with no request for this long is over.")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              metavar="IPS", help="Proxies whose X-Forwarded-Proto/-For are believed "
                                  "(comma-separated; * for any).")
@click.pass_context
def web(ctx: click.Context, host: str, port: int, secure_cookies: bool, idle_minutes: int,
        forwarded_allow_ips: str) -> None:
    """Serve the organizers' console in the browser (until Ctrl-C), or manage its accounts
    with `publisher web user …`.

    Every page needs a login: add an account first with `publisher web user add NAME`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from publisher.services.web_users import list_users
    from publisher.web.serve import is_loopback, serve

    app: App = ctx.obj
    if not list_users(app):
        echo("warning: there is no account yet: `publisher web user add NAME` makes one.",
             err=True, fg="yellow")
    if not is_loopback(host) and not secure_cookies:
        echo(f"warning: listening on {host}: the console answers other machines in plain "
             "HTTP; put it behind a reverse proxy with TLS (see the README).",
             err=True, fg="yellow")
    click.echo(f"The console is at http://{host if ':' not in host else f'[{host}]'}:{port}/ "
               "(Ctrl-C stops it).", err=True)
    serve(app, host=host, port=port, secure_cookies=secure_cookies,
          idle_minutes=idle_minutes, forwarded_allow_ips=forwarded_allow_ips)


@web.group()
def user() -> None:
    """The console's accounts: add, list, remove, change a password."""


def _read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice, hidden."""
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True,
                              default="", show_default=False)
    return value


PASSWORD_STDIN_HELP = ("Read the password from the first line of standard input (for "
                       "scripts) instead of asking for it twice.")


@user.command(name="add")
@click.argument("name")
@click.option("--role", default="organizer", show_default=True, metavar="|".join(ROLES),
              help="organizer: sees and changes everything; viewer: sees everything, "
                   "changes nothing.")
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
@click.pass_obj
def add_user(app: App, name: str, role: str, password_stdin: bool) -> None:
    """Add an account NAME to the console (asks for its password)."""
    from publisher.services import web_users

    web_users.check_name(name)
    web_users.check_role(role)
    app.check_ready(needs_config=False)
    password = _read_password(password_stdin)
    account = web_users.add_user(app, name, role, password)
    click.echo(f"Added {account.role.value} {account.name}.")


@user.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (name, role, "
                                                      "created_at).")
@click.pass_obj
def list_users(app: App, as_json: bool) -> None:
    """List the console's accounts and their roles."""
    from publisher.services.times import iso, moment
    from publisher.services.web_users import list_users as accounts

    found = accounts(app)
    if as_json:
        print_json([{"name": a.name, "role": a.role.value,
                     "created_at": iso(a.created_at, app.zone)} for a in found])
        return
    if not found:
        click.echo("There is no account yet: `publisher web user add NAME` makes one.")
        return
    table(["NAME", "ROLE", "CREATED"],
          [(a.name, a.role.value, moment(a.created_at, app.zone)) for a in found])


@user.command(name="remove")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True,
              help="Do not ask for confirmation (needed without a terminal).")
@click.pass_obj
def remove_user(app: App, name: str, yes: bool) -> None:
    """Remove the account NAME: it can no longer log in, and its sessions end."""
    from publisher.errors import InputError
    from publisher.services import web_users

    if not yes:
        web_users.get_user(app, name)  # an unknown name is said before asking
        if not sys.stdin.isatty():
            raise InputError(f"removing account {name!r} needs confirmation: pass --yes")
        click.confirm(f"Remove the account {name!r}?", abort=True)
    web_users.remove_user(app, name)
    click.echo(f"Removed the account {name}.")


@user.command(name="password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
@click.pass_obj
def password(app: App, name: str, password_stdin: bool) -> None:
    """Set a new password for the account NAME; its sessions end."""
    from publisher.services import web_users

    web_users.get_user(app, name)
    new = _read_password(password_stdin)
    web_users.set_password(app, name, new)
    click.echo(f"The password of {name} is changed; its sessions are over.")
