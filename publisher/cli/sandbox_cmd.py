"""`publisher sandbox serve`: the loopback platforms, standalone, for rehearsals by hand."""

from __future__ import annotations

import click

from publisher.cli.app import App


@click.group()
def sandbox() -> None:
    """The loopback platforms (YouTube, X, Mastodon, Bluesky, Telegram, Facebook)."""


@sandbox.command()
@click.option("--port", type=click.IntRange(0, 65000), default=0, show_default=True,
              help="First port to use (each platform takes the next one); 0 picks free ports.")
@click.pass_obj
def serve(app: App, port: int) -> None:
    """Start every loopback platform on 127.0.0.1 and print their roots; Ctrl-C stops.

    Prints the environment variables that point publisher at them, so that `publisher
    run-due` in another terminal rehearses against them. Only loopback addresses are used.
    """
    import contextlib
    import signal
    import threading

    from publisher.sandbox.bluesky import FakeBluesky
    from publisher.sandbox.facebook import FakeFacebook
    from publisher.sandbox.mastodon import FakeMastodon
    from publisher.sandbox.telegram import FakeTelegram
    from publisher.sandbox.x import FakeX
    from publisher.sandbox.youtube import FakeYouTube

    def at(offset: int) -> int:
        return port + offset if port else 0

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeYouTube(port=at(0)) as yt, FakeX(port=at(1)) as x, \
            FakeMastodon(port=at(2)) as mastodon, FakeBluesky(port=at(3)) as bluesky, \
            FakeTelegram(port=at(4)) as telegram, FakeFacebook(port=at(5)) as facebook:
        lines = {
            "PUBLISHER_YOUTUBE_API_ROOT": yt.root,
            "PUBLISHER_GOOGLE_TOKEN_URI": yt.token_uri,
            "PUBLISHER_X_API_ROOT": x.root,
            "PUBLISHER_MASTODON_API_ROOT": mastodon.root,
            "PUBLISHER_BLUESKY_API_ROOT": bluesky.root,
            "PUBLISHER_TELEGRAM_API_ROOT": telegram.api_root,
            "PUBLISHER_FACEBOOK_GRAPH_ROOT": facebook.api_root,
        }
        click.secho("SANDBOX: loopback platforms are running (Ctrl-C stops them):",
                    fg="yellow", bold=True)
        for name, value in lines.items():
            click.echo(f"export {name}={value}")
        click.echo("", nl=True)
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):
                pass
    click.echo("Sandbox stopped.")
