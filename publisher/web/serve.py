"""`publisher web`: serve the console with uvicorn, for one home; and `publisher run --web`:
the same console in a thread beside the daemon."""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
import time
from typing import TYPE_CHECKING

from publisher.app import App
from publisher.errors import PublisherError
from publisher.web.settings import WebSettings, load_or_create_secret

if TYPE_CHECKING:
    import uvicorn

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: How long `start_in_thread` waits for the console to listen.
START_TIMEOUT_S = 30.0
#: How long a console thread gets to finish its requests when stopped.
STOP_TIMEOUT_S = 10.0


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _config(app: App, *, host: str, port: int, secure_cookies: bool, idle_minutes: int,
            forwarded_allow_ips: str) -> uvicorn.Config:
    import uvicorn

    from publisher.web.factory import create_app

    app.check_ready(needs_config=False)  # a broken publisher.toml is shown on the pages
    settings = WebSettings(secret=load_or_create_secret(app.home.path),
                           secure_cookies=secure_cookies,
                           idle_timeout=dt.timedelta(minutes=idle_minutes))
    return uvicorn.Config(create_app(app, settings), host=host, port=port,
                          proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips,
                          server_header=False, log_level="info")


def serve(app: App, *, host: str, port: int, secure_cookies: bool, idle_minutes: int,
          forwarded_allow_ips: str) -> None:
    """Run until stopped (Ctrl-C, SIGTERM). The proxy's X-Forwarded-Proto and -For are
    believed only from `forwarded_allow_ips`."""
    import uvicorn

    uvicorn.Server(_config(app, host=host, port=port, secure_cookies=secure_cookies,
                           idle_minutes=idle_minutes,
                           forwarded_allow_ips=forwarded_allow_ips)).run()


class ConsoleThread:
    """The console served from a thread (uvicorn leaves the signals to the main thread,
    where the daemon handles them); `stop()` lets the requests in progress finish."""

    def __init__(self, server: uvicorn.Server) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.run, name="console", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise PublisherError("the console could not start (is the port in use? "
                                     "its log says why)")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(STOP_TIMEOUT_S)


def start_in_thread(app: App, *, host: str, port: int, secure_cookies: bool = False,
                    idle_minutes: int = 30, forwarded_allow_ips: str = "127.0.0.1"
                    ) -> ConsoleThread:
    """The console, listening, in a thread of its own (PublisherError if it cannot)."""
    import uvicorn

    console = ConsoleThread(uvicorn.Server(_config(
        app, host=host, port=port, secure_cookies=secure_cookies, idle_minutes=idle_minutes,
        forwarded_allow_ips=forwarded_allow_ips)))
    console.start()
    return console
