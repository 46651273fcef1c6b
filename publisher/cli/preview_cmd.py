"""`publisher preview ID`: every text that will be sent, with its length against the limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from publisher.app import App
from publisher.cli.output import print_json

if TYPE_CHECKING:
    from publisher.services.preview import PostPreview


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the texts as JSON.")
@click.pass_obj
def preview(app: App, item_id: int, as_json: bool) -> None:
    """Show exactly what each platform will receive, counted as each platform counts.

    YouTube's title, description and tags, then the post for every platform of the
    interview's schedule (with the video's link, or a stand-in of the same length before
    the upload). Exit status 4 when a text does not fit.
    """
    from publisher.platforms.spec import get
    from publisher.services.preview import preview as texts_of

    found = texts_of(app, item_id)
    problems = found.problems
    if as_json:
        print_json(found.as_json())
    else:
        for key, part in found.youtube.items():
            _block(f"YouTube {key}", part.text, part.length, part.limit, part.unit)
        for p in found.posts:
            label = get(p.platform).label + ("" if p.variant == "template"
                                             else f" ({p.variant} text)")
            notes = [_limit_note(p)]
            if p.missing:
                notes.append(f"not configured in credentials.json ({', '.join(p.missing)} "
                             "empty or a placeholder): will be skipped")
            if p.correction:
                notes.append(p.correction)
            _block(label, p.text, p.length, p.limit, p.unit,
                   "; ".join(n for n in notes if n) or None)
        if found.placeholder_link:
            click.echo("(the link is a stand-in of the same length until the video is up)")
        for problem in problems:
            click.secho(f"problem: {problem}", fg="red", err=True)
    if problems:
        raise SystemExit(4)


def _block(label: str, text: str, length: int, limit: int, unit: str,
           note: str | None = None) -> None:
    fits = length <= limit
    click.secho(f"── {label}: {length} of {limit} {unit}", bold=True,
                fg=None if fits else "red")
    if note:
        click.secho(f"   ({note})", fg="yellow")
    for line in text.splitlines() or [""]:
        click.echo(f"   {line}")
    click.echo("")


def _limit_note(post: PostPreview) -> str | None:
    """Where the limit of a platform whose server reports its own comes from."""
    from publisher.platforms.spec import get

    if not post.reports_limit:
        return None
    if post.limit_source == "default":
        return (f"{get(post.platform).label}'s default limit; the instance's own is learnt "
                "at the first post")
    when = f", reported since {post.limit_seen_at:%Y-%m-%d}" if post.limit_seen_at else ""
    return f"the instance's own limit{when}"
