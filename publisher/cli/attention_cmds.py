"""`publisher status`, `history`, `retry`, `resolve`, `skip`: seeing and fixing what needs
a person."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from publisher.app import App
from publisher.cli.output import echo, print_json, table

if TYPE_CHECKING:
    from publisher.services.attention_actions import AttentionAction


class PlatformChoice(click.Choice):  # type: ignore[type-arg]
    """--platform: one of the platforms the specs know, read when the option is parsed
    (so `publisher --help` loads no spec)."""

    def __init__(self) -> None:
        super().__init__([], case_sensitive=True)

    @property
    def choices(self) -> tuple[str, ...]:
        from publisher.platforms.spec import names

        return names()

    @choices.setter
    def choices(self, _value: object) -> None:
        pass


PLATFORM_CHOICE = PlatformChoice()


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


def _when(iso_text: str | None, app: App) -> str:
    """An ISO 8601 instant from the status data, in the campaign's time zone."""
    from publisher.services.times import moment

    if not iso_text:
        return "not set"
    return moment(dt.datetime.fromisoformat(iso_text), app.zone)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--sandbox", is_flag=True,
              help="The status of the last rehearsal (`run --sandbox`), not the real queue.")
@click.pass_obj
def status(app: App, as_json: bool, sandbox: bool) -> None:
    """The daemon's health, what is next, what is in flight, and what needs you.

    Exit status 4 when something needs you — an interview that needs attention, a post to
    check, an upload waiting for `publisher auth youtube`, a daemon or run-due that stopped,
    an account to set up — each with what resolves it (the console's Needs-you page shows
    the same list).
    """
    from publisher.home import DEFAULT_DB_FILE, sandbox_home_path
    from publisher.services.status import gather_status, rehearsal_app, rehearsal_running

    now = dt.datetime.now(dt.UTC)
    box = sandbox_home_path(app.home.path) / DEFAULT_DB_FILE
    if sandbox:
        if not box.exists():
            from publisher.errors import InputError

            raise InputError("there is no rehearsal yet: run `publisher run-due --sandbox` "
                             "or `publisher run --sandbox` first")
        rehearsal = rehearsal_app(app)
        try:
            data = gather_status(rehearsal, now, rehearsal=True)
        finally:
            rehearsal.close()
    else:
        data = gather_status(app, now)
    data["sandbox"] = sandbox
    if as_json:
        print_json(data)
    else:
        if sandbox:
            click.secho(f"SANDBOX: the rehearsal copy in {box}; nothing here is real.",
                        fg="yellow", bold=True)
        elif box.exists():
            if rehearsal_running(app, now):
                echo("SANDBOX: a rehearsal daemon (`publisher run --sandbox`) is running on a "
                     "copy of this queue; it touches nothing real: `publisher status "
                     "--sandbox`.", fg="yellow", bold=True)
            else:
                echo("(A rehearsal copy exists too: `publisher status --sandbox`.)")
        programme = data["programme"]
        if programme["paused"]:
            echo(f"Programme {programme['name']!r} is paused: nothing is uploaded, released or "
                 f"posted until `publisher programmes resume {programme['name']}`.",
                 fg="yellow", bold=True)
        d = data["daemon"]
        beat = dt.datetime.fromisoformat(d["last_heartbeat"]) if d["last_heartbeat"] else None
        click.echo(f"Daemon: {'running' if d['alive'] else 'not running'} "
                   f"(last heartbeat {_ago(beat, now)})")
        _echo_workers(data, app, now)
        if not d["alive"] and data["last_run_due"]:
            from publisher.services.runner import AHEAD, RunnerState

            ahead = data["runner"]["state"] == RunnerState.RUN_DUE_AHEAD
            click.echo(f"run-due: last run at {_when(data['last_run_due'], app)}"
                       + (f", {AHEAD}" if ahead else ""))
        nxt = data["next"]
        if nxt:
            how = {"staged": "uploaded, private until then", "staging": "uploading"}.get(
                nxt["state"], f"upload from {_when(nxt['upload_at'], app)}")
        click.echo("Next: " + (f"interview {nxt['interview_id']} \"{nxt['title']}\" at "
                               f"{_when(nxt['slot'], app)} ({how})" if nxt
                               else "nothing planned in the next two weeks"))
        if data["in_flight"]:
            click.echo("In flight:")
            for f in data["in_flight"]:
                progress = ""
                if f["state"] == "staging" and f["total_bytes"]:
                    progress = f", {100 * f['uploaded_bytes'] // f['total_bytes']}% uploaded"
                wait = f"; waiting: {f['waiting']}" if f["waiting"] else ""
                echo(f"  {f['interview_id']} {f['title']}: {f['state']}, slot "
                     f"{_when(f['slot'], app)}{progress}{wait}")
        if data["corrections"]:
            click.echo("Corrections (YouTube, and posts edited in place):")
            for c in data["corrections"]:
                wait = (f"; waiting until {_when(c['next_attempt'], app)}: {c['waiting']}"
                        if c["waiting"] and c["next_attempt"] else "")
                where = "" if c.get("platform", "youtube") == "youtube" \
                    else f" on {c['platform']}"
                echo(f"  {c['interview_id']} {c['title']}: {', '.join(c['fields'])}{where} "
                     f"({c['state'].replace('_', ' ')}{wait})")
        if data["withdrawn"]:
            click.echo("Withdrawn:")
            for w in data["withdrawn"]:
                since = f" since {_when(w['since'], app)}" if w["since"] else ""
                echo(f"  {w['interview_id']} {w['title']}: withdrawn{since}"
                     + (f" ({w['reason']})" if w["reason"] else "")
                     + f"; `publisher republish {w['interview_id']}` puts it back")
        if data["needs_you"]:
            click.secho("Needs you:", fg="red", bold=True)
            for n in data["needs_you"]:
                if n["interview_id"] is not None:
                    echo(f"  {n['interview_id']} \"{n['title']}\" on {n['platform']}: "
                         f"{n['reason']}")
                else:
                    echo(f"  {n['reason']}")
                if n["fix"] and n["fix"] not in n["reason"]:
                    echo(f"    to fix: {n['fix']}")
        else:
            click.echo("Nothing needs attention.")
    if data["needs_you"]:
        raise SystemExit(4)


def _echo_workers(data: dict[str, Any], app: App, now: dt.datetime) -> None:
    """The workers serving the database, and which holds what (services/worker_status.py)."""
    from publisher.services.daemon_claim import describe

    workers, leases = data["workers"], data["leases"]
    if workers:
        alive = sum(1 for w in workers if w["alive"])
        click.echo(f"Workers: {alive} alive" + (f", {len(workers) - alive} silent"
                                                if alive < len(workers) else ""))
        for w in workers:
            how = (f"last heartbeat {w['heartbeat_age_s']} s ago" if w["alive"] else
                   f"SILENT: no heartbeat for {w['heartbeat_age_s']} s (stopped without a "
                   f"word: killed, or its machine lost); its jobs are put back in the queue")
            echo(f"  pid {w['pid']} on {w['host']} ({w['name']}): {how}")
    if leases:
        click.echo("Held now:")
        for h in leases:
            worker = next((w for w in workers if w["name"] == h["worker"]), None)
            if worker is not None:
                who = f"pid {worker['pid']} on {worker['host']}" + (
                    "" if worker["alive"] else " (silent)")
            else:  # a daemon or a command: "daemon pid 1234 on host"
                who = f"{h['holder'].split(':')[0]} {describe(h['holder'])}"
            since = f" since {_when(h['since'], app)}" if h["since"] else ""
            echo(f"  {h['interview_id']} {h['title']}: {h['doing']}, held by {who}{since} "
                 f"(lease until {_when(h['until'], app)})")


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the journal as JSON.")
@click.pass_obj
def history(app: App, item_id: int, as_json: bool) -> None:
    """The interview's journal: what happened to it, when, and by which command or job."""
    from publisher.services.status import journal

    events = journal(app, item_id)
    if not events:
        from publisher.errors import InputError

        raise InputError(f"interview {item_id} has no journal (see `publisher queue list`)")
    if as_json:
        print_json(events)
        return
    from publisher.services.times import local_instant, moment

    zone = app.zone
    table(["WHEN", "WHAT", "BY", "DETAIL"],
          [(moment(dt.datetime.fromisoformat(e["at"]), zone, seconds=True),
            e["what"].replace("_", " "), e["by"],
            ", ".join(f"{k}={local_instant(v, zone)}" for k, v in e["detail"].items()
                      if v is not None))
           for e in events], max_width=100)


def _change(app: App, action: AttentionAction, item_id: int, platform: str | None,
            url: str = "") -> None:
    """`retry`, `skip` and `resolve`: the console's Needs-you buttons' own code."""
    from publisher.services.attention_actions import apply

    message = apply(app, action, item_id, app.actor, platform=platform, url=url)
    echo(message[0].upper() + message[1:] + ".")


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--platform", type=PLATFORM_CHOICE,
              help="Retry only this platform's post (default: the YouTube part).")
@click.pass_obj
def retry(app: App, item_id: int, platform: str | None) -> None:
    """Try again now: after fixing what needed attention, or to skip a retry's wait."""
    from publisher.services.attention_actions import AttentionAction

    _change(app, AttentionAction.RETRY, item_id, platform)


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--platform", type=PLATFORM_CHOICE, required=True,
              help="The platform you checked by hand.")
@click.option("--url", required=True, metavar="URL", help="The address of the post you found.")
@click.pass_obj
def resolve(app: App, item_id: int, platform: str, url: str) -> None:
    """Record a post you found by hand (it exists, at URL), so it is never sent again."""
    from publisher.services.attention_actions import AttentionAction

    _change(app, AttentionAction.RESOLVE, item_id, platform, url)


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--platform", type=PLATFORM_CHOICE, required=True,
              help="The platform not to post this interview to.")
@click.pass_obj
def skip(app: App, item_id: int, platform: str) -> None:
    """Do not post this interview to one platform (the others go on)."""
    from publisher.services.attention_actions import AttentionAction

    _change(app, AttentionAction.SKIP, item_id, platform)
