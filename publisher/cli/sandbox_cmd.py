"""`publisher sandbox serve`: the loopback platforms, standalone, for rehearsals by hand."""

from __future__ import annotations

import click

from publisher.app import App


@click.group()
def sandbox() -> None:
    """The loopback platforms (YouTube, X, Mastodon, Bluesky, Telegram, Facebook)."""


@sandbox.command()
@click.option("--port", type=click.IntRange(0, 65000), default=0, show_default=True,
              help="First port to use (each platform takes the next one); 0 picks free ports.")
@click.pass_obj
def serve(app: App, port: int) -> None:
    """Start every loopback platform on 127.0.0.1 and print their roots; Ctrl-C stops.

    Prints the environment variables that point a client at them (for trying the platforms
    by hand, e.g. with curl). A real `publisher run` or `run-due` refuses to use them: to
    rehearse the queue, use `publisher run-due --sandbox`. Only loopback addresses are used.
    """
    import contextlib
    import signal
    import threading

    from publisher.guard import registered
    from publisher.sandbox.platforms import SandboxPlatforms

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SandboxPlatforms(port=port) as platforms, registered(platforms.ports):
        click.secho("SANDBOX: loopback platforms are running (Ctrl-C stops them):",
                    fg="yellow", bold=True)
        for name, value in platforms.endpoints().items():
            click.echo(f"export {name}={value}")
        click.echo("", nl=True)
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):
                pass
    click.echo("Sandbox stopped.")
