"""`publisher run-due` (once, for cron/timers and rehearsals) and `publisher run` (daemon)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import click

from publisher.app import App
from publisher.cli.output import print_json

if TYPE_CHECKING:
    from publisher.pipeline.runtime import Runtime


SANDBOX_HELP = ("Rehearse: a copy of the queue, every platform a loopback fake in this "
                "process with fake credentials; nothing real is touched.")


def sandbox_echo(line: str) -> None:
    click.echo(f"[SANDBOX] {line}")


@contextlib.contextmanager
def runtime_for(app: App, kind: str, sandbox: bool,
                clock: Callable[[], dt.datetime] | None) -> Iterator[Runtime]:
    """The real runtime (walled off from any running sandbox), or a sandbox one."""
    if not sandbox:
        yield app.runtime(kind)
        return
    from publisher.sandbox.run import banner_logging, sandbox_runtime

    banner_logging()
    # The banner goes to stderr with the logs: stdout stays the command's own (--json).
    with sandbox_runtime(app, kind, clock=clock, echo=lambda line: click.secho(
            line, fg="yellow", bold=True, err=True)) as rt:
        yield rt


def describe_next(app: App, report: object) -> str:
    """`next: stage "Interview with …" for the slot 2026-12-01 18:00 Europe/Rome at …`."""
    from publisher.pipeline.run_due import RunReport

    assert isinstance(report, RunReport)
    if report.paused:
        return (f"the programme {app.programme_name!r} is paused: nothing is done until "
                f"`publisher programmes resume {app.programme_name}`")
    if report.next_what is None or report.next_wake is None:
        return "next: nothing planned (the queue is empty or every slot is taken)"
    from publisher.services.times import moment

    return f"next: {report.next_what} at {moment(report.next_wake, app.zone, seconds=True)}"


@click.command(name="run-due")
@click.option("--at", "at", metavar="ISO8601",
              help="Act as if it were this instant (rehearsals, tests). Default: now.")
@click.option("--json", "as_json", is_flag=True, help="Print the actions taken as JSON.")
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
@click.pass_obj
def run_due_cmd(app: App, at: str | None, as_json: bool, sandbox: bool) -> None:
    """Do everything that is due now, once, and exit (for cron or a systemd timer).

    Stages uploads whose time has come, resumes interrupted ones, releases slots, catches up
    after downtime. Exit 0 when everything due is done or waiting for a known reason, 4 when
    something needs attention.
    """
    from publisher.pipeline import quiet

    real_now = at is None and not sandbox
    if real_now:
        # Nothing due and nothing changed since the last full run: its answer, at once.
        now = dt.datetime.now(dt.UTC)
        answer = quiet.answer(app.home, now)
        if answer is not None:
            if as_json:
                print_json({"now": now.isoformat(), "sandbox": False, "paused": False,
                            "actions": [], "next_wake": answer.next_wake})
            else:
                click.echo("Nothing was due.")
                click.echo(answer.next_line)
            return
        seen = quiet.before(app.home)
    from publisher.cli.logs import setup_logging
    from publisher.cli.plan_cmd import parse_instant
    from publisher.pipeline.run_due import run_due

    setup_logging(app)
    if not real_now:
        now = parse_instant(at) if at else dt.datetime.now(dt.UTC)
    clock = (lambda: now) if at else None
    with runtime_for(app, "run-due", sandbox, clock) as rt:
        if clock is not None:
            rt.clock = clock
        report = run_due(rt, now)
        next_line = describe_next(app, report)
        if real_now:
            quiet.remember(rt, seen, report, now, next_line)
    echo = sandbox_echo if sandbox else click.echo
    if as_json:
        print_json({"now": now.isoformat(), "sandbox": sandbox, "paused": report.paused,
                    "actions": [vars(a) for a in report.actions],
                    "next_wake": report.next_wake.isoformat() if report.next_wake else None})
    else:
        if not report.actions and not report.paused:
            echo("Nothing was due.")
        for a in report.actions:
            echo(a.describe())
        echo(next_line)
    if report.needs_attention:
        raise SystemExit(4)


@click.command(name="run")
@click.option("--max-sleep", type=click.IntRange(10, 3600), default=300, show_default=True,
              metavar="SECONDS",
              help="Wake at least this often to see interviews queued meanwhile.")
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
@click.option("--web", is_flag=True,
              help="Serve the console in the browser too, in this process (as `publisher "
                   "web` does; its accounts: `publisher web user add`).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="With --web: the address the console listens on (see `publisher web "
                   "--help`).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="With --web: the port the console listens on.")
@click.pass_obj
def run_cmd(app: App, max_sleep: int, sandbox: bool, web: bool, host: str, port: int
            ) -> None:
    """Run the daemon in the foreground: keep the cadence until stopped (SIGTERM/Ctrl-C).

    It wakes for each upload start, slot and retry, and calls the same logic as
    `publisher run-due`. Stopping lets an upload save its place; the next start resumes it.
    One daemon per home: a second one refuses, naming the first (exit status 4). With
    --web the console runs in the same process and stops with it.
    """
    from publisher.cli.logs import setup_logging
    from publisher.daemon import Daemon

    if web and sandbox:
        raise click.UsageError("--web shows the real queue: rehearse without it")
    setup_logging(app)
    with runtime_for(app, "daemon", sandbox, None) as rt:
        daemon = Daemon(rt, max_sleep=dt.timedelta(seconds=max_sleep),
                        describe=lambda r: describe_next(app, r))
        if not web:
            daemon.run()
            return
        from publisher.web.serve import is_loopback, start_in_thread

        if not is_loopback(host):
            click.secho(f"warning: listening on {host}: the console answers other machines "
                        "in plain HTTP; put it behind a reverse proxy with TLS (see the "
                        "README).", err=True, fg="yellow")
        click.echo(f"The console is at http://{host if ':' not in host else f'[{host}]'}:"
                   f"{port}/ (Ctrl-C stops it and the daemon).", err=True)
        console = start_in_thread(app, host=host, port=port)
        try:
            daemon.run()
        finally:
            console.stop()
