"""Notifications through apprise reach a loopback receiver, and never block publishing."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from publisher.notify import notify
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.test_youtube_stage import connect


class Receiver:
    """An HTTP endpoint for apprise's json:// target, recording what it gets."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.received = received
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/notify"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_notify_delivers_and_survives_a_dead_target(receiver: Receiver) -> None:
    assert notify("Subject", "Body text", [receiver.url])
    assert receiver.received[0]["title"] == "publisher: Subject"
    assert receiver.received[0]["message"] == "Body text"
    assert notify("x", "y", [f"json://127.0.0.1:{closed_port()}/"]) is False
    assert notify("x", "y", ["not-a-url"]) is False
    assert notify("x", "y", []) is True


def test_needs_attention_is_notified_the_moment_it_happens(sqlite_home: HomeFixture,
                                                           media: Media,
                                                           receiver: Receiver) -> None:
    with FakeYouTube() as yt:
        connect(sqlite_home, yt)
        creds_file = sqlite_home.path / "credentials.json"
        creds = json.loads(creds_file.read_text())
        creds["notifications"] = {"urls": [receiver.url,
                                           f"json://127.0.0.1:{closed_port()}/dead"]}
        creds_file.write_text(json.dumps(creds))
        video = media.video()
        sqlite_home.ok(*add_args(video))
        video.write_bytes(b"changed")
        result = sqlite_home.run("upload", 1)
    assert result.exit_code == 4  # the dead notification target blocked nothing
    assert len(receiver.received) == 1
    message = receiver.received[0]
    assert "needs attention" in message["title"]
    assert "changed since it was queued" in message["message"]
    assert "publisher retry 1" in message["message"]
