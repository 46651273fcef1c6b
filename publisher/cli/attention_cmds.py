"""`publisher status`, `history`, `retry`, `resolve`, `skip`: seeing and fixing what needs
a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from publisher.app import App
from publisher.cli.output import print_json, table

PLATFORM_CHOICE = click.Choice(["youtube", "x", "mastodon", "bluesky", "telegram", "facebook"])


def _ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def daemon_health(daemon: dict[str, Any], now: dt.datetime) -> tuple[dt.datetime | None, bool]:
    """The daemon's last heartbeat, and whether it is alive: a beat in the last 15 minutes
    from a process that still exists."""
    from publisher.leases import holder_is_dead

    beat = dt.datetime.fromisoformat(daemon["heartbeat"]) if daemon.get("heartbeat") else None
    owner = daemon.get("owner")
    alive = bool(beat and now - beat < dt.timedelta(minutes=15)
                 and not (owner and holder_is_dead(owner)))
    return beat, alive


def gather_status(app: App, now: dt.datetime) -> dict[str, Any]:
    """Everything `status` shows, as data (also its --json)."""
    from sqlalchemy import select

    from publisher.cadence import make_plan
    from publisher.pipeline import state
    from publisher.pipeline.planning import plan_items
    from publisher.store.models import Interview, Publication, PublicationState, State

    with app.transaction() as s:
        daemon = state.get(s, "daemon")
        last_run = state.get(s, "run_due").get("last_now")
        items, _held = plan_items(s, now)
        in_flight = s.execute(
            select(Interview.id, Interview.title, Interview.state, Interview.slot_at,
                   Publication.progress, Publication.total, Publication.last_error,
                   Publication.next_attempt_at)
            .outerjoin(Publication, (Publication.interview_id == Interview.id)
                       & (Publication.platform == "youtube") & (Publication.step == "video"))
            .where(Interview.state.in_([State.STAGING.value, State.STAGED.value,
                                        State.RELEASED.value]))
            .order_by(Interview.slot_at)).all()
        attention = s.execute(select(Interview.id, Interview.title, Interview.attention_reason)
                              .where(Interview.state == State.NEEDS_ATTENTION.value)).all()
        post_attention = s.execute(
            select(Publication.interview_id, Interview.title, Publication.platform,
                   Publication.step, Publication.last_error)
            .join(Interview).where(
                Publication.state == PublicationState.NEEDS_ATTENTION.value)).all()
    plan = make_plan(app.schedules, items, now, dt.timedelta(weeks=2),
                     default_schedule=app.config.campaign.default_schedule)
    nxt = next((e for e in plan.entries if e.interview is not None
                and e.interview.slot_at is None), None)
    beat, alive = daemon_health(daemon, now)
    needs = [{"interview_id": r.id, "title": r.title, "platform": "youtube",
              "reason": r.attention_reason or "",
              "fix": f"publisher retry {r.id}"} for r in attention]
    needs += [{"interview_id": r.interview_id, "title": r.title, "platform": r.platform,
               "reason": r.last_error or "",
               "fix": f"publisher retry {r.interview_id} --platform {r.platform}"}
              for r in post_attention]
    return {
        "now": now.isoformat(),
        "daemon": {"alive": alive, "last_heartbeat": beat.isoformat() if beat else None,
                   "next_wake": daemon.get("next_wake")},
        "last_run_due": last_run,
        "next": None if nxt is None or nxt.interview is None else {
            "interview_id": nxt.interview.id, "title": nxt.interview.title,
            "slot": nxt.slot.local.isoformat(), "upload_at": nxt.upload_at.isoformat()},
        "in_flight": [{"interview_id": r.id, "title": r.title, "state": r.state,
                       "slot": r.slot_at.isoformat() if r.slot_at else None,
                       "uploaded_bytes": r.progress, "total_bytes": r.total,
                       "waiting": r.last_error if r.next_attempt_at else None,
                       "next_attempt": r.next_attempt_at.isoformat() if r.next_attempt_at
                       else None} for r in in_flight],
        "needs_attention": needs,
    }


def _rehearsal_running(app: App, now: dt.datetime) -> bool:
    """Whether `run --sandbox` is beating in the home's rehearsal copy."""
    from publisher.home import Home
    from publisher.pipeline import state
    from publisher.sandbox.run import sandbox_database_url

    box = App(Home(path=app.home.path, database_url=sandbox_database_url(app.home.path)))
    try:
        with box.transaction(needs_config=False) as s:
            return daemon_health(state.get(s, "daemon"), now)[1]
    except Exception:  # an unreadable rehearsal copy must not break the real status
        return False
    finally:
        box.close()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--sandbox", is_flag=True,
              help="The status of the last rehearsal (`run --sandbox`), not the real queue.")
@click.pass_obj
def status(app: App, as_json: bool, sandbox: bool) -> None:
    """The daemon's health, what is next, what is in flight, and what needs you.

    Exit status 4 when something needs attention (each with the command that resolves it).
    """
    from publisher.home import Home
    from publisher.sandbox.run import sandbox_database_url, sandbox_home_path

    now = dt.datetime.now(dt.UTC)
    box = sandbox_home_path(app.home.path) / "publisher.db"
    if sandbox:
        if not box.exists():
            from publisher.errors import InputError

            raise InputError("there is no rehearsal yet: run `publisher run-due --sandbox` "
                             "or `publisher run --sandbox` first")
        app = App(Home(path=app.home.path,
                       database_url=sandbox_database_url(app.home.path)), actor=app.actor)
    data = gather_status(app, now)
    data["sandbox"] = sandbox
    if as_json:
        print_json(data)
    else:
        if sandbox:
            click.secho(f"SANDBOX: the rehearsal copy in {box}; nothing here is real.",
                        fg="yellow", bold=True)
        elif box.exists():
            if _rehearsal_running(app, now):
                click.secho("SANDBOX: a rehearsal daemon (`publisher run --sandbox`) is "
                            "running on a copy of this queue; it touches nothing real: "
                            "`publisher status --sandbox`.", fg="yellow", bold=True)
            else:
                click.echo("(A rehearsal copy exists too: `publisher status --sandbox`.)")
        d = data["daemon"]
        beat = dt.datetime.fromisoformat(d["last_heartbeat"]) if d["last_heartbeat"] else None
        click.echo(f"Daemon: {'running' if d['alive'] else 'not running'} "
                   f"(last heartbeat {_ago(beat, now)})")
        nxt = data["next"]
        click.echo("Next: " + (f"interview {nxt['interview_id']} \"{nxt['title']}\" at "
                               f"{nxt['slot']} (upload from {nxt['upload_at']})" if nxt
                               else "nothing planned in the next two weeks"))
        if data["in_flight"]:
            click.echo("In flight:")
            for f in data["in_flight"]:
                progress = ""
                if f["state"] == "staging" and f["total_bytes"]:
                    progress = f", {100 * f['uploaded_bytes'] // f['total_bytes']}% uploaded"
                wait = f"; waiting: {f['waiting']}" if f["waiting"] else ""
                click.echo(f"  {f['interview_id']} {f['title']}: {f['state']}, slot "
                           f"{f['slot']}{progress}{wait}")
        if data["needs_attention"]:
            click.secho("Needs attention:", fg="red", bold=True)
            for n in data["needs_attention"]:
                click.echo(f"  {n['interview_id']} \"{n['title']}\" on {n['platform']}: "
                           f"{n['reason']}")
                if n["fix"] not in n["reason"]:
                    click.echo(f"    to fix: {n['fix']}")
        else:
            click.echo("Nothing needs attention.")
    if data["needs_attention"]:
        raise SystemExit(4)


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the journal as JSON.")
@click.pass_obj
def history(app: App, item_id: int, as_json: bool) -> None:
    """The interview's journal: what happened to it, when, and by which command or job."""
    from sqlalchemy import select

    from publisher.store.models import Event

    with app.transaction(needs_config=False) as s:
        rows = s.scalars(select(Event).where(Event.interview_id == item_id)
                         .order_by(Event.at, Event.id)).all()
        events: list[dict[str, Any]] = [
            {"at": e.at.isoformat(), "what": e.kind, "by": e.actor, "detail": e.detail}
            for e in rows]
    if not events:
        from publisher.errors import InputError

        raise InputError(f"interview {item_id} has no journal (see `publisher queue list`)")
    if as_json:
        print_json(events)
        return
    table(["WHEN (UTC)", "WHAT", "BY", "DETAIL"],
          [(e["at"][:19].replace("T", " "), e["what"].replace("_", " "), e["by"],
            ", ".join(f"{k}={v}" for k, v in e["detail"].items() if v is not None))
           for e in events], max_width=100)


def _change(app: App, fn: Any, *args: Any) -> None:
    with app.transaction() as s:
        message = fn(s, *args, app.actor)
    click.echo(message[0].upper() + message[1:] + ".")


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--platform", type=PLATFORM_CHOICE,
              help="Retry only this platform's post (default: the YouTube part).")
@click.pass_obj
def retry(app: App, item_id: int, platform: str | None) -> None:
    """Try again now: after fixing what needed attention, or to skip a retry's wait."""
    from publisher import attention

    _change(app, attention.retry, item_id, platform)


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--platform", type=PLATFORM_CHOICE, required=True,
              help="The platform you checked by hand.")
@click.option("--url", required=True, metavar="URL", help="The address of the post you found.")
@click.pass_obj
def resolve(app: App, item_id: int, platform: str, url: str) -> None:
    """Record a post you found by hand (it exists, at URL), so it is never sent again."""
    from publisher import attention

    _change(app, attention.resolve, item_id, platform, url)


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--platform", type=PLATFORM_CHOICE, required=True,
              help="The platform not to post this interview to.")
@click.pass_obj
def skip(app: App, item_id: int, platform: str) -> None:
    """Do not post this interview to one platform (the others go on)."""
    from publisher import attention

    _change(app, attention.skip, item_id, platform)
