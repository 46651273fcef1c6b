"""`publisher worker`: run the pipeline's steps as jobs from PostgreSQL (publisher/workers/)."""

from __future__ import annotations

import click

from publisher.app import App


@click.command(name="worker")
@click.option("--concurrency", type=click.IntRange(1, 64), default=2, show_default=True,
              metavar="N", help="How many jobs (uploads, releases, posts) run at once.")
@click.pass_obj
def worker(app: App, concurrency: int) -> None:
    """Run the pipeline as jobs shared by any number of workers (PostgreSQL only).

    Every minute one tick, for the whole deployment, plans what is due; each upload, release,
    cross-post, correction and chore is then a job that any worker may take. Stops cleanly on
    SIGTERM or Ctrl-C: an upload saves its place and another worker resumes it. With SQLite,
    use `publisher run`.
    """
    from publisher.cli.logs import setup_logging
    from publisher.workers.app import require_postgresql

    require_postgresql(app.home.database_url)
    app.check_ready()
    setup_logging(app)
    from publisher.workers.app import run_worker
    from publisher.workers.deployment import Deployment

    click.echo(f"publisher worker: {concurrency} at once; stop with Ctrl-C or SIGTERM.",
               err=True)
    run_worker(Deployment(app.home), concurrency)
