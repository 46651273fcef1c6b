"""The `publisher` command. Thin: parse, call, print. Errors become messages only here.

Exit status: 0 done; 1 unexpected failure; 2 bad input or usage (nothing was written);
3 configuration or database problem (a file to fix, or `publisher db upgrade` to run; or the
database busy, full or unreachable: the message says which).
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from publisher import __version__
from publisher.app import App
from publisher.home import ENV_DATABASE_URL, ENV_HOME, Home


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


def _register() -> None:
    from publisher.cli import (
        attention_cmds,
        auth_cmds,
        db_cmds,
        demo_cmd,
        doctor_cmd,
        init_cmd,
        plan_cmd,
        preview_cmd,
        published_cmd,
        queue_cmds,
        run_cmds,
        sandbox_cmd,
        sync_cmd,
        web_cmds,
        youtube_cmds,
    )

    cli.add_command(init_cmd.init)
    cli.add_command(db_cmds.db)
    cli.add_command(queue_cmds.queue)
    cli.add_command(plan_cmd.plan)
    cli.add_command(preview_cmd.preview)
    cli.add_command(published_cmd.published)
    cli.add_command(youtube_cmds.upload)
    cli.add_command(youtube_cmds.publish)
    cli.add_command(sync_cmd.sync)
    cli.add_command(run_cmds.run_due_cmd)
    cli.add_command(run_cmds.run_cmd)
    cli.add_command(demo_cmd.demo)
    cli.add_command(doctor_cmd.doctor)
    cli.add_command(sandbox_cmd.sandbox)
    cli.add_command(auth_cmds.auth)
    cli.add_command(auth_cmds.quota)
    cli.add_command(web_cmds.web)
    for command in (attention_cmds.status, attention_cmds.history, attention_cmds.retry,
                    attention_cmds.resolve, attention_cmds.skip):
        cli.add_command(command)


_register()


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
