"""The `publisher` command. Thin: parse, call, print. Errors become messages only here.

Exit status: 0 done; 1 unexpected failure; 2 bad input or usage (nothing was written);
3 configuration or database problem (a file to fix, or `publisher db upgrade` to run; or the
database busy, full or unreachable: the message says which).
"""

from __future__ import annotations

import importlib
import sys
from typing import NamedTuple, NoReturn

import click

from publisher import __version__
from publisher.app import App
from publisher.home import ENV_DATABASE_URL, ENV_HOME, Home


class Lazy(NamedTuple):
    """A command whose module is imported only when it runs (or shows its own help)."""

    module: str   # in publisher.cli
    attribute: str
    summary: str  # the first paragraph of its help, as `publisher --help` lists it


#: Every command of `publisher`. A test keeps each summary equal to the command's own help.
COMMANDS: dict[str, Lazy] = {
    "auth": Lazy("auth_cmds", "auth", "Authorise publisher's accounts and check that their "
                 "credentials still work."),
    "db": Lazy("db_cmds", "db", "Database schema: apply migrations after an upgrade of "
               "publisher."),
    "demo": Lazy("demo_cmd", "demo", "Rehearse the whole programme: nothing is published, no "
                 "account is needed."),
    "doctor": Lazy("doctor_cmd", "doctor", "Check now what could fail on release day: "
                   "credentials, files, quota, disk, clock."),
    "history": Lazy("attention_cmds", "history", "The interview's journal: what happened to "
                    "it, when, and by which command or job."),
    "init": Lazy("init_cmd", "init", "Create a home in DIR (default: --home or the current "
                 "directory)."),
    "plan": Lazy("plan_cmd", "plan", "Show the coming slots and which interview each gets."),
    "preview": Lazy("preview_cmd", "preview", "Show exactly what each platform will receive, "
                    "counted as each platform counts."),
    "programmes": Lazy("programmes_cmds", "programmes", "The programmes sharing this "
                       "database: list, add a home, move, pause, resume, remove."),
    "publish": Lazy("youtube_cmds", "publish", "Publish one interview immediately: upload (or "
                    "finish uploading) and make it public."),
    "published": Lazy("published_cmd", "published", "List everything that went out, newest "
                      "first: each video once public on YouTube, and each post, with its "
                      "address and when (in the campaign's time zone)."),
    "queue": Lazy("queue_cmds", "queue", "The queue of interviews: add, import, list, show, "
                  "edit, reorder, hold, cancel, restore, remove."),
    "quota": Lazy("auth_cmds", "quota", "Show today's YouTube API quota: what publisher used, "
                  "its limits and when they reset."),
    "resolve": Lazy("attention_cmds", "resolve", "Record a post you found by hand (it exists, "
                    "at URL), so it is never sent again."),
    "retry": Lazy("attention_cmds", "retry", "Try again now: after fixing what needed "
                  "attention, or to skip a retry's wait."),
    "run": Lazy("run_cmds", "run_cmd", "Run the daemon in the foreground: keep the cadence "
                "until stopped (SIGTERM/Ctrl-C)."),
    "republish": Lazy("withdraw_cmds", "republish", "Undo `publisher withdraw`: the video "
                      "public again and the deleted posts posted again as new posts."),
    "run-due": Lazy("run_cmds", "run_due_cmd", "Do everything that is due now, once, and exit "
                    "(for cron or a systemd timer)."),
    "sandbox": Lazy("sandbox_cmd", "sandbox", "The loopback platforms (YouTube, X, Mastodon, "
                    "Bluesky, Telegram, Facebook)."),
    "skip": Lazy("attention_cmds", "skip", "Do not post this interview to one platform (the "
                 "others go on)."),
    "status": Lazy("attention_cmds", "status", "The daemon's health, what is next, what is in "
                   "flight, and what needs you."),
    "sync": Lazy("sync_cmd", "sync", "Compare an interview with its video on YouTube, field by "
                 "field, and apply its corrections now (one videos.update, 50 quota units)."),
    "upload": Lazy("youtube_cmds", "upload", "Upload one interview now, as private with "
                   "publishAt = its planned slot."),
    "withdraw": Lazy("withdraw_cmds", "withdraw", "Take an interview down at once: its video "
                     "becomes private on YouTube (never deleted), every post is deleted where "
                     "the platform allows it, the organizers are told."),
    "worker": Lazy("worker_cmd", "worker", "Run the pipeline as jobs shared by any number of "
                   "workers (PostgreSQL only)."),
    "web": Lazy("web_cmds", "web", "Serve the organizers' console in the browser (until "
                "Ctrl-C), or manage its accounts with `publisher web user …`."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used: `publisher
    queue list` imports the queue commands and nothing of the others; `publisher --help`
    lists every command from COMMANDS' summaries and imports none."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = COMMANDS.get(cmd_name)
        if lazy is None:
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(f"publisher.cli.{lazy.module}")
        command = getattr(module, lazy.attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lists them, from the summaries (a command's help is its own)."""
        rows = [(name, click.Command(name, help=COMMANDS[name].summary) if name in COMMANDS
                 else self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        shown = [(name, cmd) for name, cmd in rows if cmd is not None and not cmd.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit))
                                    for name, cmd in shown])


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--home", "home", metavar="DIR", envvar=ENV_HOME, show_envvar=True,
              help="The instance folder (publisher.toml, credentials.json, schedules/). "
                   "Default: the current folder, or the nearest folder above it that holds "
                   "a publisher.toml.")
@click.option("--db", "db_url", metavar="URL", envvar=ENV_DATABASE_URL, show_envvar=True,
              help="Database URL, e.g. postgresql://user@host/publisher. "
                   "Default: SQLite file publisher.db in the home.")
@click.option("-v", "--verbose", is_flag=True,
              help="Show full tracebacks on errors, and the libraries' own log lines.")
@click.version_option(__version__, prog_name="publisher")
@click.pass_context
def cli(ctx: click.Context, home: str | None, db_url: str | None, verbose: bool) -> None:
    """Publish a programme's video interviews on YouTube and social media, on a weekly cadence.

    Organizers queue finished interviews; everything that will be published is checked
    against each platform's limits when it is queued. Start with `publisher init`.
    """
    ctx.obj = App(Home.resolve(home, db_url))
    ctx.meta["verbose"] = verbose
    ctx.call_on_close(ctx.obj.close)


def _fail(exc: Exception) -> NoReturn:
    """Print a PublisherError as `error: …` (one indented line per further line) and exit."""
    from publisher.cli.hints import runnable

    lines = runnable(str(exc)).splitlines() or [type(exc).__name__]
    click.secho(f"error: {lines[0]}", fg="red", err=True)
    for line in lines[1:]:
        click.secho(f"  - {line}" if not line.startswith("  ") else line, err=True)
    sys.exit(getattr(exc, "exit_code", 1))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: runs the CLI and maps errors to exit codes."""
    from publisher.errors import PublisherError

    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="publisher", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except PublisherError as exc:
        if verbose:
            raise
        _fail(exc)
    except BrokenPipeError:
        sys.exit(0)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:
        if verbose:
            raise
        from publisher.store.db import database_problem

        problem = database_problem(exc)  # busy, full or unreachable: not a bug
        if problem is not None:
            _fail(problem)
        click.secho(f"error: unexpected {type(exc).__name__}: {exc} "
                    "(run again with --verbose for the details)", fg="red", err=True)
        sys.exit(1)
    finally:
        # The interpreter's last collection walks every SQLAlchemy object for nothing:
        # freezing them makes exit ~0.1 s faster.
        import gc

        gc.freeze()
    sys.exit(0)
