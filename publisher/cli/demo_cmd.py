"""`publisher demo`: a rehearsal of the whole programme, needing no account and no network."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from publisher.app import App


@click.command()
@click.option("--home", "demo_home", metavar="DIR",
              help="Where to build the demo home (default: a new temporary folder).")
@click.option("--weeks", type=click.IntRange(1, 12), default=4, show_default=True,
              help="How many weeks to simulate.")
@click.option("--faults", is_flag=True,
              help="Inject realistic failures (a connection reset mid-upload, a lost answer, "
                   "a rate limit, 5xx errors) and show how each was recovered from.")
@click.pass_obj
def demo(app: App, demo_home: str | None, weeks: int, faults: bool) -> None:
    """Rehearse the whole programme: nothing is published, no account is needed.

    Builds a home with the Studi Aperti campaign, makes three short sample interviews,
    queues them, and runs the real pipeline through simulated weeks: uploads as private
    with publishAt, release at Tuesday and Friday 18:00 Rome, then posts on Mastodon,
    Bluesky and Telegram. Those platforms are stand-ins running inside this command, so
    the links it shows lead nowhere. Ends with the calendar kept and what each platform
    received (and, with --faults, what recovered from what). Touches no real account: the
    process cannot even connect to anything but this computer.
    """
    import shlex
    import tempfile

    from publisher.cli.hints import invocation
    from publisher.platforms.spec import get
    from publisher.sandbox.rehearsal import rehearse

    folder = Path(demo_home) if demo_home else Path(tempfile.mkdtemp(prefix="publisher-demo-"))
    if (folder / "publisher.toml").exists():
        raise click.UsageError(f"{folder} is already a publisher home; the demo needs a new "
                               "folder (or omit --home)")
    click.secho("SANDBOX: this is a rehearsal. Nothing is published and no account is used: "
                "YouTube, Mastodon, Bluesky and Telegram below are stand-ins running inside "
                "this command, on this computer, so the links it shows lead nowhere. The "
                "weeks pass on a simulated clock, in a few seconds.", fg="yellow", bold=True)
    with _progress() as progress:
        outcome = rehearse(folder, weeks=weeks, faults=faults, progress=progress)
    click.secho(f"\nThe calendar kept ({weeks} simulated weeks):", bold=True)
    for slot, title, state in outcome.calendar:
        click.echo(f"  {slot:28} {state:10} {title}")
    click.secho("\nThe stand-in YouTube received (its links lead nowhere):", bold=True)
    for video in outcome.videos:
        click.echo(f"  {video['title']}  [{video['privacy']}, publishAt "
                   f"{_local(video['publish_at'], outcome.zone)}, captions "
                   f"{', '.join(video['captions'])}]")
        click.echo(f"    {video['url']}")
        last = video["description"].strip().splitlines()[-1]
        click.echo(f"    description ends: {last}")
    for platform, posts in outcome.posts.items():
        spec = get(platform)
        rule = spec.text
        assert rule is not None
        click.secho(f"\nThe stand-in {spec.label} received {len(posts)} post(s):", bold=True)
        for post in posts:
            text = post["text"]
            click.echo(f"  ({rule.count(text)} of {rule.limit} {rule.unit})")
            for line in text.splitlines():
                click.echo(f"    {line}")
    if faults:
        click.secho("\nFaults injected, and what recovered from them:", bold=True)
        for line in outcome.recoveries:
            click.echo(f"  {line}")
    command = f"{invocation()} --home {shlex.quote(str(folder))}"
    click.echo(f"\nThe demo home is {folder}. Look around it (it is a rehearsal too):\n"
               f"  {command} queue list --state all\n"
               f"  {command} published")


def _local(iso_text: str | None, zone: dt.tzinfo) -> str:
    """publishAt as YouTube holds it (UTC), in the campaign's time zone."""
    from publisher.services.times import moment

    if not iso_text:
        return "none"
    return moment(dt.datetime.fromisoformat(iso_text.replace("Z", "+00:00")), zone)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[str | None, float], None]]:
    """A rich progress bar over the simulated weeks on a terminal; plain lines otherwise."""
    import sys

    if not sys.stdout.isatty():
        def plain(line: str | None, done: float) -> None:
            if line:
                click.echo(line)

        yield plain
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]simulated weeks"), BarColumn(), TextColumn(
            "{task.percentage:>3.0f}%"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("demo", total=1.0)

        def rich_line(line: str | None, done: float) -> None:
            if line:
                bar.console.print(line, highlight=False)
            bar.update(task, completed=done)

        yield rich_line
