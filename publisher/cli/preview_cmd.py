"""`publisher preview ID`: every text that will be sent, with its length against the limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

from publisher.app import App
from publisher.cli.output import print_json

if TYPE_CHECKING:
    from publisher.platform_limits import PlatformLimits


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
    from sqlalchemy import select

    from publisher import queue as q
    from publisher.platform_limits import known
    from publisher.platforms.spec import get
    from publisher.platforms.youtube import limits
    from publisher.store.models import Publication
    from publisher.text.posts import PLACEHOLDER_URL, render_post
    from publisher.text.youtube_text import render_youtube

    with app.transaction() as session:
        item = q.get(session, item_id)
        text = q.text_of(item, app.schedules, app.config.campaign.default_schedule)
        url = session.scalar(select(Publication.url).where(
            Publication.interview_id == item_id, Publication.platform == "youtube",
            Publication.step == "video")) or PLACEHOLDER_URL
        platforms = q.crosspost_platforms(app.queue_context(), item.schedule)
        reported = known(session)
    yt = render_youtube(app.config, text)
    posts = [render_post(app.config, text, p, url, limits=reported.get(p)) for p in platforms]
    youtube = {
        "title": {"text": yt.title, "length": limits.title_length(yt.title),
                  "limit": limits.TITLE_MAX_CHARS, "unit": "characters"},
        "description": {"text": yt.description,
                        "length": len(yt.description.encode("utf-8")),
                        "limit": limits.DESCRIPTION_MAX_BYTES, "unit": "bytes"},
        "tags": {"text": ", ".join(yt.tags), "length": limits.tags_length(yt.tags),
                 "limit": limits.TAGS_MAX_CHARS, "unit": "characters"},
        "problems": list(yt.problems)}
    problems = list(yt.problems) + [p.problem for p in posts if p.problem]
    if as_json:
        print_json({"id": item_id, "link": url, "youtube": youtube,
                    "posts": [{"platform": p.platform, "text": p.text, "length": p.length,
                               "limit": p.limit, "unit": p.unit, "variant": p.variant,
                               "problem": p.problem,
                               "limit_source": _limit_source(p.platform, reported),
                               "configured": app.credentials.configured(p.platform)}
                              for p in posts]})
    else:
        for key in ("title", "description", "tags"):
            part = youtube[key]
            assert isinstance(part, dict)
            _block(f"YouTube {key}", part["text"], part["length"], part["limit"], part["unit"])
        for p in posts:
            label = get(p.platform).label + ("" if p.variant == "template"
                                             else f" ({p.variant} text)")
            missing = app.credentials.missing(p.platform)
            notes = [_limit_note(p.platform, reported)]
            if missing:
                notes.append(f"not configured in credentials.json ({', '.join(missing)} "
                             "empty or a placeholder): will be skipped")
            _block(label, p.text, p.length, p.limit, p.unit,
                   "; ".join(n for n in notes if n) or None)
        if url == PLACEHOLDER_URL:
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


def _limit_source(platform: str, reported: Mapping[str, PlatformLimits]) -> str:
    """"reported": the limit the platform's server last reported; "default": the documented
    one (the platform reports none, or has not yet)."""
    return "reported" if platform in reported else "default"


def _limit_note(platform: str, reported: Mapping[str, PlatformLimits]) -> str | None:
    """Where the limit of a platform whose server reports its own comes from."""
    from publisher.platforms.spec import get

    spec = get(platform)
    if not spec.reports_limit:
        return None
    limits = reported.get(platform)
    if limits is None:
        return (f"{spec.label}'s default limit; the instance's own is learnt at the first "
                "post")
    when = f", reported since {limits.seen_at:%Y-%m-%d}" if limits.seen_at else ""
    return f"the instance's own limit{when}"
