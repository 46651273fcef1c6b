"""`publisher web`: serve the console with uvicorn, for one home."""

from __future__ import annotations

import datetime as dt
import ipaddress

from publisher.app import App
from publisher.web.settings import WebSettings, load_or_create_secret

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(app: App, *, host: str, port: int, secure_cookies: bool, idle_minutes: int,
          forwarded_allow_ips: str) -> None:
    """Run until stopped (Ctrl-C, SIGTERM). The proxy's X-Forwarded-Proto and -For are
    believed only from `forwarded_allow_ips`."""
    import uvicorn

    from publisher.web.factory import create_app

    app.check_ready(needs_config=False)  # a broken publisher.toml is shown on the pages
    settings = WebSettings(secret=load_or_create_secret(app.home.path),
                           secure_cookies=secure_cookies,
                           idle_timeout=dt.timedelta(minutes=idle_minutes))
    uvicorn.run(create_app(app, settings), host=host, port=port, proxy_headers=True,
                forwarded_allow_ips=forwarded_allow_ips, server_header=False,
                log_level="info")
