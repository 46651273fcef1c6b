"""`publisher init`: create a working home with the example campaign."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import click

from publisher.app import App
from publisher.cli.output import echo


@click.command()
@click.argument("directory", required=False, metavar="[DIR]")
@click.pass_obj
def init(app: App, directory: str | None) -> None:
    """Create a home in DIR (default: --home or the current directory).

    Writes a commented publisher.toml for the Studi Aperti example campaign, an example
    weekly cadence in schedules/, a credentials.json to fill in (mode 0600), and a migrated
    database. On an existing home it changes nothing and says so.
    """
    from publisher.cli.hints import invocation
    from publisher.credentials import write_private
    from publisher.home import Home, redact_database_url, starting_credentials
    from publisher.resources import resource
    from publisher.store.migrate import upgrade

    home = app.home
    if directory is not None:
        home = Home.resolve(directory, app.home.database_url if app.home.database_url_given
                            else None)
        app = App(home)
    if home.is_initialized():
        click.echo(f"{home.path} is already a publisher home ({home.config_file.name} exists); "
                   "nothing was changed.")
        echo("To apply new migrations after an upgrade, run `publisher db upgrade`.")
        return
    home.path.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    if not home.schedules_dir.exists():
        home.schedules_dir.mkdir()
        target = home.schedules_dir / "studi-aperti.toml"
        shutil.copyfile(resource("schedules/studi-aperti.toml"), target)
        created.append(target)
    if not home.credentials_file.exists():
        write_private(home.credentials_file,
                      starting_credentials(resource("credentials.example.json").read_bytes()))
        created.append(home.credentials_file)
    upgrade(app.engine)
    # The configuration goes last: its presence is what marks a finished home.
    shutil.copyfile(resource("publisher.toml"), home.config_file)
    created.insert(0, home.config_file)
    app.close()
    click.echo(f"Created a publisher home in {home.path}:")
    for path in created:
        click.echo(f"  {path.relative_to(home.path)}")
    click.echo(f"  database: {redact_database_url(home.database_url)}")
    command = invocation()
    click.echo("Next: go into the home; edit publisher.toml (the campaign) and schedules/ "
               "(when it publishes); save your \"Desktop app\" OAuth client's file where "
               "credentials.json's youtube.client_secrets_file says; then connect YouTube "
               "and queue an interview:\n"
               f"  cd {shlex.quote(str(home.path))}\n"
               f"  {command} auth youtube\n"
               f"  {command} queue add interview.mp4 --title \"…\" --speaker \"Name\" "
               "--role \"ceramist\"")
