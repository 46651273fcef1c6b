"""`publisher queue …`: the organizer's commands for the queue of interviews."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from publisher.app import App
from publisher.cli.output import echo, print_csv, print_json, table, warn

if TYPE_CHECKING:
    from publisher.queue import InterviewSpec
    from publisher.store.models import Interview

STATES = ("queued", "held", "staging", "staged", "released", "published", "needs_attention",
          "cancelled")

F = Callable[..., Any]


def interview_options(*, for_edit: bool) -> Callable[[F], F]:
    """The options shared by `queue add` and `queue edit`."""
    opts: list[Callable[[F], F]] = [
        click.option("--title", help="The interview's title (the title template is applied; "
                                     "at most 100 characters, no < or >)."),
        click.option("--speaker", "speakers", multiple=True, metavar="NAME",
                     help="Someone who speaks in it; repeat for each speaker, in order."
                          + (" Replaces all speakers." if for_edit else "")),
        click.option("--role", "roles", multiple=True, metavar="ROLE",
                     help="The role of the speaker in the same position (the first --role "
                          "goes with the first --speaker; use \"\" to skip one)."),
        click.option("--speaker-link", "speaker_links", multiple=True, metavar="NAME=URL",
                     help="A link (site, profile) for the named speaker; repeatable."),
        click.option("--description", help="The description's body text."),
        click.option("--description-file", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Read the description's body from a UTF-8 text file."),
        click.option("--hashtag", "hashtags", multiple=True, metavar="TAG",
                     help="A hashtag for this interview, after the campaign's (with or "
                          "without #); repeatable." + (" Replaces the interview's hashtags."
                                                       if for_edit else "")),
        click.option("--thumbnail", metavar="IMG",
                     help="A JPEG or PNG thumbnail (1280×720 recommended, at most 50 MB)."),
        click.option("--captions", "captions", multiple=True, metavar="LANG=FILE",
                     help="A caption file (SubRip .srt or WebVTT .vtt, UTF-8) for a language; "
                          "repeatable." + (" Replaces all caption files." if for_edit else "")),
        click.option("--language", metavar="LANG",
                     help="Language of the title and description (BCP-47, e.g. it, en, fr). "
                          "Default: the campaign's."),
        click.option("--playlist", metavar="P", help="The YouTube playlist to add it to."),
        click.option("--not-before", metavar="DATE",
                     help="Not to be published before this date (YYYY-MM-DD, or a date and "
                          "time; in the schedule's time zone unless an offset is given)."),
        click.option("--schedule", metavar="NAME",
                     help="The cadence (a file in schedules/) it follows. Default: the "
                          "campaign's default_schedule."),
        click.option("--privacy", type=click.Choice(["private", "unlisted", "public"]),
                     help="Privacy once published. Default: publisher.toml's [youtube]."),
        click.option("--category", "category_id", metavar="ID",
                     help="YouTube category id (22 People & Blogs, 27 Education, ...)."),
        click.option("--made-for-kids/--not-made-for-kids", default=None,
                     help="Declare whether the video is made for children. Default: "
                          "publisher.toml's [youtube]."),
        click.option("--synthetic-media/--no-synthetic-media", default=None,
                     help="Declare realistic altered or synthetic content."),
        click.option("--embeddable/--not-embeddable", default=None,
                     help="Whether other sites may embed the video. Default: YouTube's "
                          "(embeddable)."),
        click.option("--localization", "localizations", multiple=True,
                     metavar="LANG=TITLE",
                     help="The title in another language (YouTube shows it to viewers of "
                          "that language); repeatable."
                          + (" Replaces all localizations." if for_edit else "")),
        click.option("--localized-description", "localized_descriptions", multiple=True,
                     metavar="LANG=TEXT",
                     help="The description for a --localization's language."),
        click.option("--license", "license_",
                     type=click.Choice(["youtube", "creativeCommon"]),
                     help="The video's licence. Default: publisher.toml's [youtube]."),
        click.option("--recording-date", metavar="DATE", help="When it was recorded "
                                                               "(YYYY-MM-DD)."),
        click.option("--recording-place", metavar="TEXT", help="Where it was recorded."),
        click.option("--template", "templates", multiple=True, metavar="KIND=TEMPLATE",
                     help="This interview's own template (KIND: title, description or post), "
                          "over its schedule's and the campaign's; repeatable."
                          + (" Replaces its templates." if for_edit else "")),
        click.option("--allow-duplicate", is_flag=True,
                     help="Queue it even if the same video file is already queued or "
                          "published."),
        click.option("--json", "as_json", is_flag=True,
                     help="Print the interview as JSON instead of its id."),
    ]
    if for_edit:
        opts += [
            click.option("--video", metavar="VIDEO", help="Replace the video file."),
            click.option("--no-thumbnail", is_flag=True, help="Remove the thumbnail."),
            click.option("--no-captions", is_flag=True, help="Remove every caption file."),
            click.option("--no-playlist", is_flag=True,
                         help="Take it out of its playlist."),
            click.option("--no-not-before", is_flag=True, help="Remove the not-before date."),
            click.option("--no-localizations", is_flag=True,
                         help="Remove every localized title and description."),
            click.option("--publish-at", metavar="WHEN",
                         help="Move the slot of an interview uploaded and waiting for it "
                              "(YouTube's scheduled publishing time); in the schedule's time "
                              "zone unless an offset is given."),
        ]

    def decorate(f: F) -> F:
        for opt in reversed(opts):
            f = opt(f)
        return f

    return decorate


def build_spec(opts: dict[str, Any], *, for_edit: bool) -> InterviewSpec:
    """Turn the parsed options into an InterviewSpec; only what was given is set."""
    from publisher.errors import InputError
    from publisher.queue import InterviewSpec, SpeakerSpec

    spec = InterviewSpec()
    video = opts.get("video")
    if video is not None:
        spec.video = Path(video)
    for key in ("title", "language", "playlist", "not_before", "schedule", "privacy",
                "category_id", "made_for_kids", "synthetic_media", "embeddable",
                "recording_date", "recording_place", "publish_at"):
        if opts.get(key) is not None:
            setattr(spec, key, opts[key])
    if opts.get("license_") is not None:
        spec.license = opts["license_"]
    speakers, roles = list(opts["speakers"]), list(opts["roles"])
    if len(roles) > len(speakers):
        raise InputError(f"--role: {len(roles)} roles for {len(speakers)} speakers; each "
                         "--role belongs to the --speaker in the same position")
    links: dict[str, list[str]] = {}
    for item in opts["speaker_links"]:
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise InputError(f"--speaker-link: expected NAME=URL, found {item!r}")
        if name.strip() not in speakers:
            raise InputError(f"--speaker-link: {name.strip()!r} is not one of the --speaker "
                             "names given")
        links.setdefault(name.strip(), []).append(url.strip())
    if speakers:
        spec.speakers = [SpeakerSpec(name, roles[i] if i < len(roles) else None,
                                     links.get(name, [])) for i, name in enumerate(speakers)]
    if opts["description"] is not None and opts["description_file"] is not None:
        raise InputError("give --description or --description-file, not both")
    if opts["description"] is not None:
        spec.description = opts["description"]
    elif opts["description_file"] is not None:
        spec.description = read_description(Path(opts["description_file"]), "description-file")
    if opts["hashtags"]:
        spec.hashtags = list(opts["hashtags"])
    if opts.get("templates"):
        own: dict[str, str] = {}
        for item in opts["templates"]:
            kind, sep, source = item.partition("=")
            if not sep or not kind.strip():
                raise InputError(f"--template: expected KIND=TEMPLATE (e.g. "
                                 f"title='{{{{ title }}}} – Studi Aperti'), found {item!r}")
            own[kind.strip()] = source
        spec.templates = own
    if opts.get("thumbnail") is not None:
        spec.thumbnail = Path(opts["thumbnail"])
    if opts["captions"]:
        captions: dict[str, Path] = {}
        for item in opts["captions"]:
            lang, sep, file = item.partition("=")
            if not sep or not lang.strip() or not file.strip():
                raise InputError(f"--captions: expected LANG=FILE (e.g. it=interview.it.srt), "
                                 f"found {item!r}")
            if lang.strip().casefold() in {k.casefold() for k in captions}:
                raise InputError(f"--captions: language {lang.strip()!r} is given twice "
                                 "(language codes ignore case)")
            captions[lang.strip()] = Path(file.strip())
        spec.captions = captions
    localizations = _localizations(opts)
    if localizations is not None:
        spec.localizations = localizations
    if for_edit:
        if opts.get("no_localizations"):
            if localizations is not None:
                raise InputError("give --localization or --no-localizations, not both")
            spec.localizations = {}
        if opts.get("no_thumbnail"):
            if opts.get("thumbnail") is not None:
                raise InputError("give --thumbnail or --no-thumbnail, not both")
            spec.thumbnail = None
        if opts.get("no_captions"):
            if opts["captions"]:
                raise InputError("give --captions or --no-captions, not both")
            spec.captions = {}
        if opts.get("no_playlist"):
            if opts.get("playlist") is not None:
                raise InputError("give --playlist or --no-playlist, not both")
            spec.playlist = None
        if opts.get("no_not_before"):
            if opts.get("not_before") is not None:
                raise InputError("give --not-before or --no-not-before, not both")
            spec.not_before = None
    return spec


def _localizations(opts: dict[str, Any]) -> dict[str, tuple[str, str]] | None:
    """--localization LANG=TITLE and --localized-description LANG=TEXT, paired by LANG."""
    from publisher.errors import InputError

    titles: dict[str, str] = {}
    for item in opts.get("localizations") or ():
        lang, sep, title = item.partition("=")
        if not sep or not lang.strip() or not title.strip():
            raise InputError(f"--localization: expected LANG=TITLE (e.g. en='Maria Rossi in "
                             f"her studio'), found {item!r}")
        titles[lang.strip()] = title.strip()
    descriptions: dict[str, str] = {}
    for item in opts.get("localized_descriptions") or ():
        lang, sep, text = item.partition("=")
        if not sep or lang.strip() not in titles:
            raise InputError(f"--localized-description: expected LANG=TEXT for a language "
                             f"given with --localization, found {item!r}")
        descriptions[lang.strip()] = text.strip()
    if not titles:
        return None
    return {lang: (title, descriptions.get(lang, "")) for lang, title in titles.items()}


def read_description(path: Path, field: str) -> str:
    """A description body from a file: a regular UTF-8 file within YouTube's byte limit."""
    from publisher.errors import InputError
    from publisher.media import MediaError, read_text_file
    from publisher.platforms.youtube import limits

    try:
        return read_text_file(path, limits.DESCRIPTION_MAX_BYTES,
                              "YouTube's limit for a description")
    except MediaError as exc:
        raise InputError(f"{field}: {exc}") from None


def _report(app: App, item: Interview, warnings: list[str], as_json: bool, verb: str, *,
            correction: dict[str, Any] | None = None) -> None:
    from publisher.services.queue_queries import interview_dict

    warn(warnings)
    if as_json:
        data = interview_dict(item, app.zones, full=True)
        if correction is not None:
            data["correction"] = correction
        print_json(data)
    else:
        click.echo(item.id)
        click.echo(f"{verb} interview {item.id}: {item.title}", err=True)


@click.group()
def queue() -> None:
    """The queue of interviews: add, import, list, show, edit, reorder, hold, cancel, restore,
    remove."""


@queue.command()
@click.argument("video", metavar="VIDEO")
@interview_options(for_edit=False)
@click.pass_obj
def add(app: App, /, video: str, allow_duplicate: bool, as_json: bool, **opts: Any) -> None:
    """Queue a finished interview VIDEO at the end of the queue.

    Everything YouTube will receive is checked now: the video (probed), the title and
    description after templates and hashtags, tags, thumbnail and captions. On any problem
    nothing is queued. Prints the new interview's id.
    """
    from publisher import queue as q

    spec = build_spec({**opts, "video": video}, for_edit=False)
    app.check_ready()
    # Probing and hashing the video happens before the transaction: no lock is held meanwhile.
    prepared = q.prepare(app.queue_context(), spec)
    with app.transaction() as session:
        item = q.add(session, app.queue_context(), prepared, allow_duplicate=allow_duplicate)
        session.flush()
        _report(app, item, prepared.warnings, as_json, "queued")


@queue.command(name="import")
@click.argument("file", metavar="FILE")
@click.option("--allow-duplicate", is_flag=True,
              help="Accept videos already queued or published (and repeated in the file).")
@click.option("--json", "as_json", is_flag=True, help="Print the new interviews as JSON.")
@click.pass_obj
def import_(app: App, file: str, allow_duplicate: bool, as_json: bool) -> None:
    """Queue a whole season from a CSV (header row) or YAML FILE, all or nothing.

    Columns: video, title, speakers ("Name (role); Name (role)"), description or
    description_file, hashtags, thumbnail, captions ("it=a.srt; en=a.vtt"), language,
    playlist, not_before, schedule, privacy, category_id, made_for_kids, synthetic_media,
    license, recording_date, recording_place (YAML also: localizations). Paths are relative
    to FILE's folder. One bad row refuses the whole file, naming the row, column and reason.
    """
    from publisher import queue as q
    from publisher.season_import import read_season
    from publisher.services.queue_queries import interview_dict

    app.check_ready()
    specs = read_season(Path(file))
    prepared = q.prepare_many(app.queue_context(), specs)
    labels = [label for label, _, _ in specs]
    with app.transaction() as session:
        items = q.add_many(session, app.queue_context(), prepared, labels,
                           allow_duplicate=allow_duplicate)
        session.flush()
        for label, p in zip(labels, prepared, strict=True):
            warn([f"{label}: {w}" for w in p.warnings])
        if as_json:
            print_json([interview_dict(item, app.zones, full=True) for item in items])
        else:
            click.echo(f"Queued {len(items)} interviews: "
                       f"{', '.join(str(item.id) for item in items)}")


@queue.command(name="list")
@click.option("--state", "state", type=click.Choice([*STATES, "active", "all"]),
              default="active", show_default=True,
              help="Which interviews: one state, 'active' (not yet published or cancelled) "
                   "or 'all'.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array of objects (id, state, title, position, ...); dates "
                   "are ISO 8601 with the time zone's offset.")
@click.option("--csv", "as_csv", is_flag=True,
              help="Print CSV for a spreadsheet: id, position, state, then the columns of "
                   "`queue import` (title, speakers, hashtags, schedule, not_before, video), "
                   "then duration_s.")
@click.pass_obj
def list_(app: App, state: str, as_json: bool, as_csv: bool) -> None:
    """List the queue in publishing order.

    Dates are in the campaign's time zone (its default schedule's); a not-before date is
    shown as it was entered.
    """
    from publisher.services.queue_queries import CSV_COLUMNS, list_queue, queue_csv_rows
    from publisher.services.times import day_or_moment

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    if as_csv:
        print_csv(CSV_COLUMNS, queue_csv_rows(app, state))
        return
    rows = list_queue(app, state)
    zones = app.zones
    if as_json:
        print_json([r.as_json(zones) for r in rows])
        return
    if not rows:
        click.echo("The queue is empty." if state == "active" else f"No {state} interviews.")
        return
    table(["#", "ID", "STATE", "TITLE", "SCHEDULE", "NOT BEFORE", "LENGTH"],
          [(r.position, r.id, r.state, r.title, r.schedule or "(default)",
            day_or_moment(r.not_before, zones.of_schedule(r.schedule)) if r.not_before
            else "", _duration(r.duration_s)) for r in rows])


def _duration(seconds: float) -> str:
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02}:{s:02}" if h else f"{m}:{s:02}"


@queue.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True,
              help="Print the interview as JSON (dates ISO 8601 with the time zone's offset; "
                   "under \"published\", the video's and each post's address and time).")
@click.pass_obj
def show(app: App, item_id: int, as_json: bool) -> None:
    """Show one interview: its files, its settings, exactly what YouTube will receive, and
    the addresses of what went out (the video, each post), with their times."""
    from publisher.services.queue_queries import show_interview
    from publisher.services.times import day_or_moment, moment

    data = show_interview(app, item_id)
    if as_json:
        print_json(data)
        return
    youtube, published = data["youtube"], data["published"]
    zone = app.zone
    click.secho(f"Interview {data['id']}: {data['title']}", bold=True)
    skip = {"id", "title", "youtube", "description", "published"}
    for key, value in data.items():
        if key in skip or value in (None, [], {}, ""):
            continue
        if key == "speakers":
            value = "; ".join(s["name"] + (f" ({s['role']})" if s["role"] else "")
                              for s in value)
        elif key == "not_before":
            value = day_or_moment(dt.datetime.fromisoformat(value),
                                  app.zones.of_schedule(data["schedule"]))
        elif key in ("created_at", "updated_at"):
            value = moment(dt.datetime.fromisoformat(value), zone, seconds=True)
        click.echo(f"  {key.replace('_', ' ')}: {value}")
    if published["youtube"] or published["posts"]:
        click.secho("\nPublished:", bold=True)
        video = published["youtube"]
        if video:
            when = (f"public since {moment(dt.datetime.fromisoformat(video['public_at']), zone)}"
                    if video["public_at"] else "uploaded, private until its slot")
            click.echo(f"  youtube: {video['url']}  ({when})")
        for post in published["posts"]:
            click.echo(f"  {post['platform']}: {post['url']}  "
                       f"({moment(dt.datetime.fromisoformat(post['at']), zone)})")
    click.secho("\nOn YouTube:", bold=True)
    click.echo(f"  title: {youtube['title']}")
    click.echo(f"  tags: {', '.join(youtube['tags'])}")
    click.echo("  description:")
    for line in youtube["description"].splitlines():
        click.echo(f"    {line}")
    warn(youtube["problems"])


@queue.command()
@click.argument("item_id", metavar="ID", type=int)
@interview_options(for_edit=True)
@click.pass_obj
def edit(app: App, /, item_id: int, allow_duplicate: bool, as_json: bool, **opts: Any) -> None:
    """Change an interview; the result is checked as thoroughly as `queue add`.

    Only what you give changes. Before its upload starts the queue changes; once it is on
    YouTube, the edit is recorded as a correction, which the daemon applies at its next run
    (or `publisher sync ID` at once), without overwriting a change made in YouTube Studio.
    A new thumbnail is set, caption tracks are added, replaced or removed per language
    (only those publisher uploaded), and a new playlist replaces the old one. The video,
    schedule and not-before cannot be corrected, nor a thumbnail removed.
    """
    from publisher.services.corrections import edit_interview

    spec = build_spec(opts, for_edit=True)
    result = edit_interview(app, item_id, spec, allow_duplicate=allow_duplicate)
    _report(app, result.item, result.warnings, as_json, "edited",
            correction=result.changes)
    if result.correction_id is not None and not as_json:
        from publisher.corrections import label

        fields = ", ".join(label(f) for f in result.changes or {})
        echo(f"It is on YouTube: the correction of {fields} goes out at the daemon's next "
             f"run, or now with `publisher sync {item_id}` (`--dry-run` shows it first).",
             err=True)


@queue.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--to", "to", type=int, metavar="N",
              help="The new position, 1 being the next to go out.")
@click.option("--before", type=int, metavar="ID2", help="Put it just before interview ID2.")
@click.pass_obj
def move(app: App, item_id: int, to: int | None, before: int | None) -> None:
    """Change an interview's place in the queue."""
    from publisher import queue as q

    with app.transaction() as session:
        item = q.move(session, app.queue_context(), item_id, to=to, before=before)
        click.echo(f"Interview {item.id} is now at position {item.position}.")


@queue.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--reason", metavar="TEXT", help="Why it is held (kept in its journal).")
@click.pass_obj
def hold(app: App, item_id: int, reason: str | None) -> None:
    """Keep an interview in the queue but skip it until it is released."""
    from publisher import queue as q

    with app.transaction() as session:
        q.set_held(session, app.queue_context(), item_id, True, reason)
    echo(f"Interview {item_id} is held; `publisher queue release {item_id}` lets it go.")


@queue.command()
@click.argument("item_id", metavar="ID", type=int)
@click.pass_obj
def release(app: App, item_id: int) -> None:
    """Let a held interview go out again, at its place in the queue."""
    from publisher import queue as q

    with app.transaction() as session:
        q.set_held(session, app.queue_context(), item_id, False)
    click.echo(f"Interview {item_id} is queued again.")


@queue.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--reason", metavar="TEXT", help="Why it is cancelled (kept in its journal).")
@click.pass_obj
def cancel(app: App, item_id: int, reason: str | None) -> None:
    """Cancel an interview: it will not be published (its journal is kept).

    One that never reached YouTube can be put back with `publisher queue restore ID`.
    """
    from publisher import queue as q

    with app.transaction() as session:
        q.cancel(session, app.queue_context(), item_id, reason)
    click.echo(f"Interview {item_id} is cancelled.")


@queue.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--allow-duplicate", is_flag=True,
              help="Restore it even if the same video file is queued as another interview.")
@click.pass_obj
def restore(app: App, item_id: int, allow_duplicate: bool) -> None:
    """Put a cancelled interview back in the queue, at its end.

    Only one that never reached YouTube: once its upload started, it stays cancelled.
    """
    from publisher import queue as q

    with app.transaction() as session:
        item = q.restore(session, app.queue_context(), item_id,
                         allow_duplicate=allow_duplicate)
        click.echo(f"Interview {item_id} is queued again, at position {item.position} "
                   f"(`publisher queue move {item_id} --to 1` brings it forward).")


@queue.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--yes", "-y", is_flag=True,
              help="Do not ask for confirmation (needed without a terminal, e.g. in a script).")
@click.pass_obj
def remove(app: App, item_id: int, yes: bool) -> None:
    """Delete an interview with nothing on YouTube yet (the video file is not touched)."""
    import sys

    from publisher import queue as q
    from publisher.errors import InputError

    if not yes:
        # Ask outside any transaction: a prompt must not hold the database's write lock.
        with app.transaction() as session:
            item = q.get(session, item_id)
            q.check_removable(session, item)
        if not sys.stdin.isatty():
            raise InputError(f"removing interview {item_id} needs confirmation: pass --yes")
        click.confirm(f"Remove interview {item_id} {item.title!r}?", abort=True)
    with app.transaction() as session:
        q.remove(session, app.queue_context(), item_id)
    click.echo(f"Removed interview {item_id}.")
