"""`publisher sync ID`: bring YouTube in line with an interview after a correction."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from publisher.app import App
from publisher.cli.output import echo, print_json, table

if TYPE_CHECKING:
    from publisher.pipeline.correct_posts import PostEdit


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--dry-run", is_flag=True,
              help="Only compare: show what YouTube holds and what would change (one "
                   "videos.list, 1 quota unit; 50 more to list the caption tracks when "
                   "captions are corrected).")
@click.option("--force", is_flag=True,
              help="Also overwrite the fields changed by hand in YouTube Studio since "
                   "publisher set them.")
@click.option("--replace", "replace", metavar="PLATFORM", multiple=True,
              help="Replace the post out on PLATFORM (x, bluesky: posts that cannot be "
                   "edited): delete it and post the corrected text as a new post, once. "
                   "Repeat for both.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the comparison and the outcome as JSON.")
@click.pass_obj
def sync(app: App, item_id: int, dry_run: bool, force: bool, replace: tuple[str, ...],
         as_json: bool) -> None:
    """Compare an interview with its video on YouTube, field by field, and apply its
    corrections now (one videos.update, 50 quota units).

    A new thumbnail costs 50 units more, a caption track 400 to add, 450 to replace and 50
    to remove (only tracks publisher uploaded, never YouTube's automatic ones), a playlist
    change 50 per item removed or added.

    Then its posts are edited in place where a correction changed their text and the
    platform allows it (Mastodon, Telegram, Facebook); posts on X and Bluesky stay as
    they were, and the output says so, unless --replace names the platform: then the
    post is deleted and the corrected text posted anew (a new address).

    Reads the video back first: a field changed by hand in YouTube Studio since publisher
    last set it is shown and left as it is, unless --force. Exit status 4 when something
    waits (quota, the upload, the release) or needs you (a conflict, a refusal).
    """
    from publisher.cli.logs import setup_logging
    from publisher.pipeline.correct import Outcome, Verdict
    from publisher.platforms.youtube.fields import shown
    from publisher.services.corrections import sync_interview

    setup_logging(app)
    report = sync_interview(app, item_id, dry_run=dry_run, force=force,
                            replace=tuple(p.strip().lower() for p in replace))
    if as_json:
        print_json({**report.as_json(), "dry_run": dry_run, "force": force})
    else:
        if report.fields:
            marks = {Verdict.SAME: "", Verdict.CHANGE: "will change" if dry_run else "changed",
                     Verdict.STUDIO: "changed in YouTube Studio"}
            rows = []
            for d in report.fields:
                what = marks[d.verdict]
                if d.verdict == Verdict.STUDIO:
                    what += (": overwritten" if d.sent else ": will be overwritten"
                             if force and dry_run else ": kept (--force overwrites)")
                rows.append((d.label, shown(d.live),
                             "" if d.verdict == Verdict.SAME else shown(d.wanted), what))
            table(["FIELD", "ON YOUTUBE" + (" (BEFORE)" if not dry_run else ""),
                   "PUBLISHER", "WHAT"], rows)
        if report.assets:
            table(["ALSO", "BEFORE", "NOW", "ON YOUTUBE", "WHAT"],
                  [(a.label, a.known or "(none)", a.wanted or "(none)", a.live,
                    ("sent: " if a.sent else "will " if dry_run else "") + a.action
                    if a.action else "already on YouTube") for a in report.assets])
        colour = None if report.outcome in (Outcome.APPLIED, Outcome.UP_TO_DATE,
                                            Outcome.DRY_RUN) else "yellow"
        echo(f"Interview {item_id}: {report.outcome.value.replace('_', ' ')}: "
             f"{report.detail}", err=colour is not None, fg=colour)
        _posts(report.posts)
    if report.outcome not in (Outcome.APPLIED, Outcome.UP_TO_DATE, Outcome.DRY_RUN) \
            or any(p.needs_someone for p in report.posts):
        raise SystemExit(4)


def _posts(posts: list[PostEdit]) -> None:
    """What happened (or would happen) to each post out."""
    from publisher.platforms.spec import get

    for p in posts:
        label = get(p.platform).label
        if p.outcome == "kept":
            echo(p.detail)
        else:
            what = {"edited": "edited in place", "would_edit": p.detail,
                    "would_replace": p.detail, "up_to_date": p.detail,
                    "replaced": f"deleted and posted again corrected: {p.url}"}.get(
                p.outcome, f"{p.outcome.replace('_', ' ')}: {p.detail}")
            echo(f"{label} post: {what}", err=p.needs_someone,
                 fg="yellow" if p.needs_someone else None)
        if p.old is not None and p.new is not None and p.old != p.new \
                and p.outcome in ("would_edit", "kept", "edited", "would_replace",
                                  "replaced"):
            echo(f"   it said:   {_one_line(p.old)}")
            echo(f"   corrected: {_one_line(p.new)}")


def _one_line(text: str) -> str:
    return " ⏎ ".join(text.splitlines())
