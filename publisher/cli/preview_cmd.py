"""`publisher preview ID`: every text that will be sent, with its length against the limit."""

from __future__ import annotations

import click

from publisher.app import App
from publisher.cli.output import print_json


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
    yt = render_youtube(app.config, text)
    posts = [render_post(app.config, text, p, url) for p in platforms]
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
            note = (None if not missing else
                    f"not configured in credentials.json ({', '.join(missing)} empty or a "
                    "placeholder): will be skipped")
            _block(label, p.text, p.length, p.limit, p.unit, note)
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
