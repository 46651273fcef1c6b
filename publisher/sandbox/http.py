"""Loopback HTTP plumbing shared by the sandbox fakes (YouTube today; Mastodon, X, Bluesky later).

Standard library only. A fake subclasses :class:`LoopbackServer`, implements :meth:`handle`, and
is started and stopped from Python::

    with MyFake() as fake:
        client.get(fake.root + "api/v1/thing")
        assert fake.requests[-1].status == 200

What the base gives every fake:

* a :class:`~http.server.ThreadingHTTPServer` bound to 127.0.0.1 (port 0 = any free port),
  HTTP/1.1 keep-alive, one thread per connection, started and stopped from Python;
* request bodies that are *streamed*: :class:`Body` reads the declared ``Content-Length`` (or a
  chunked body) block by block, so a handler can hash or spool gigabytes in bounded memory;
  whatever a handler leaves unread is drained before the answer, so keep-alive stays in sync;
* a read timeout while a body is arriving (``body_timeout``), so a client that declares more
  bytes than it sends cannot hang a test (see the YouTube module docstring for why that happens);
* connection-level faults: :class:`Drop` closes the connection without answering, with a TCP
  reset (default) or a clean FIN; :meth:`LoopbackServer.close_idle_connections` closes every
  idle keep-alive connection (a server or proxy timing them out);
* a request log (:class:`RequestRecord`) and a list of handler crashes (``errors``), which tests
  can assert is empty.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, BinaryIO, Self, cast
from urllib.parse import parse_qs, urlsplit

READ_BLOCK = 64 * 1024
DEFAULT_JSON_LIMIT = 4 * 1024 * 1024


class ClientGone(Exception):
    """The client closed the connection, or stalled, before sending the body it announced."""


class BodyTooLarge(Exception):
    """A body that should be small (JSON) is larger than the limit the handler set."""


class Body:
    """A request body, read on demand in blocks (never all at once unless asked).

    ``received`` counts the body bytes read so far; ``declared`` is the ``Content-Length``
    (``None`` for a chunked body).
    """

    def __init__(self, rfile: BinaryIO, declared: int | None, *, chunked: bool = False) -> None:
        self._rfile = rfile
        self.declared = declared
        self._chunked = chunked
        self._chunk_left = 0
        self._chunked_done = False
        self.received = 0

    @property
    def exhausted(self) -> bool:
        if self._chunked:
            return self._chunked_done
        return self.received >= (self.declared or 0)

    def _raw_read(self, n: int) -> bytes:
        try:
            data = self._rfile.read1(n) if hasattr(self._rfile, "read1") else self._rfile.read(n)
        except (TimeoutError, OSError) as exc:
            raise ClientGone(f"reading the body failed after {self.received} bytes: {exc}") from exc
        if not data:
            raise ClientGone(f"the client closed the connection after {self.received} body bytes")
        return data

    def _readline(self) -> bytes:
        try:
            line = self._rfile.readline(1024)
        except (TimeoutError, OSError) as exc:
            raise ClientGone(f"reading a chunk header failed: {exc}") from exc
        if not line:
            raise ClientGone("the client closed the connection inside a chunked body")
        return line

    def read(self, n: int = READ_BLOCK) -> bytes:
        """Up to ``n`` bytes; ``b""`` at the end of the body. Raises :class:`ClientGone`."""
        if n <= 0 or self.exhausted:
            return b""
        if self._chunked:
            if self._chunk_left == 0:
                size_line = self._readline().split(b";", 1)[0].strip()
                try:
                    self._chunk_left = int(size_line, 16)
                except ValueError as exc:
                    raise ClientGone(f"bad chunk size line {size_line!r}") from exc
                if self._chunk_left == 0:
                    while self._readline() not in (b"\r\n", b"\n"):
                        pass  # trailers
                    self._chunked_done = True
                    return b""
            data = self._raw_read(min(n, self._chunk_left))
            self._chunk_left -= len(data)
            if self._chunk_left == 0:
                self._readline()  # the CRLF after the chunk data
        else:
            data = self._raw_read(min(n, (self.declared or 0) - self.received))
        self.received += len(data)
        return data

    def read_all(self, limit: int = DEFAULT_JSON_LIMIT) -> bytes:
        """The whole (small) body. Raises :class:`BodyTooLarge` beyond ``limit`` bytes."""
        if self.declared is not None and self.declared > limit:
            raise BodyTooLarge(f"body of {self.declared} bytes exceeds {limit}")
        parts: list[bytes] = []
        size = 0
        while block := self.read():
            size += len(block)
            if size > limit:
                raise BodyTooLarge(f"body exceeds {limit} bytes")
            parts.append(block)
        return b"".join(parts)

    def drain(self) -> int:
        """Read and discard the rest of the body; the number of bytes discarded."""
        dropped = 0
        while block := self.read():
            dropped += len(block)
        return dropped


@dataclass
class Request:
    """One HTTP request as a handler sees it. Header names are lower-case."""

    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Body
    #: Set by the handler (e.g. "youtube.videos.insert"); copied into the request log.
    tag: str = ""
    #: Free-form notes the handler adds (e.g. "fault: 503 after storing"); copied into the log.
    notes: list[str] = field(default_factory=list)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self, limit: int = DEFAULT_JSON_LIMIT) -> Any:
        """The body parsed as JSON (``ValueError`` if it is not JSON, :class:`BodyTooLarge`)."""
        raw = self.body.read_all(limit)
        return json.loads(raw.decode("utf-8")) if raw.strip() else None

    def form(self, limit: int = 64 * 1024) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body (first value of each field)."""
        raw = self.body.read_all(limit).decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def params(self) -> dict[str, Any]:
        """Query parameters merged with a JSON object or form body, as the Bot API and Graph
        take them (``ValueError`` for a JSON body that does not parse)."""
        params: dict[str, Any] = {k: v[0] for k, v in self.query.items()}
        ctype = (self.header("content-type") or "").lower()
        if ctype.startswith("application/json"):
            body = self.json()
            if isinstance(body, dict):
                params.update(body)
        elif ctype.startswith("application/x-www-form-urlencoded"):
            params.update(self.form())
        return params


@dataclass
class Response:
    """An answer. ``Content-Length`` is always sent; ``close`` ends the connection afterwards
    (and skips draining an unread request body)."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None
             ) -> Response:
        body = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
        return cls(status, body, [("Content-Type", "application/json; charset=UTF-8"),
                                  *(headers or [])])

    @classmethod
    def empty(cls, status: int, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, b"", list(headers or []))


@dataclass
class Drop:
    """Close the connection without answering.

    ``reset=True`` (default) aborts with a TCP RST, which every client sees at once as
    "connection reset by peer". ``reset=False`` closes cleanly (FIN): an HTTP/1.1 client then
    sees an empty status line, which httplib2 treats as a stale keep-alive connection and
    silently re-sends the request once (see the YouTube module docstring).
    """

    reset: bool = True


@dataclass(frozen=True)
class RequestRecord:
    """One line of the request log."""

    method: str
    path: str
    query: str
    #: The status answered (logged just before sending it); ``None`` when the connection was
    #: closed without an answer.
    status: int | None
    headers: Mapping[str, str]
    #: Body bytes the server read (including bytes it discarded).
    bytes_in: int
    tag: str
    notes: tuple[str, ...]
    #: time.monotonic() when the request line had been read, and seconds until the end.
    started: float
    duration: float

    def __str__(self) -> str:
        status = "dropped" if self.status is None else str(self.status)
        target = self.path + ("?" + self.query if self.query else "")
        return f"{self.method} {target} -> {status}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], owner: LoopbackServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Connection-level trouble (resets, timeouts) is expected in fault tests: no noise.
        self.owner._note_error(traceback.format_exc(), quiet=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server_version = "publisher-sandbox"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.busy = False
        self.server.owner._register(self)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.owner._unregister(self)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        owner = self.server.owner
        self.busy = True
        started = time.monotonic()
        split = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        try:
            declared: int | None = None if chunked else int(headers.get("content-length", "0"))
        except ValueError:
            declared = 0
        body = Body(cast(BinaryIO, self.rfile), declared, chunked=chunked)
        request = Request(self.command, self.path, split.path,
                          parse_qs(split.query, keep_blank_values=True), headers, body)
        self.connection.settimeout(owner.body_timeout)
        try:
            result = owner._dispatch(request)
            if isinstance(result, Response) and not result.close and not body.exhausted:
                body.drain()
        except ClientGone as exc:
            request.notes.append(f"client gone: {exc}")
            result = Drop(reset=False)
        # Logged before answering, so a client that has its answer finds the record.
        owner._log(RequestRecord(
            method=self.command, path=split.path, query=split.query,
            status=result.status if isinstance(result, Response) else None,
            headers=headers, bytes_in=body.received, tag=request.tag,
            notes=tuple(request.notes), started=started, duration=time.monotonic() - started))
        try:
            if isinstance(result, Drop):
                self._drop(result)
            else:
                self._send(result)
        finally:
            with contextlib.suppress(OSError):
                self.connection.settimeout(None)
            self.busy = False

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if response.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)
        self.wfile.flush()

    def _drop(self, drop: Drop) -> None:
        self.close_connection = True
        sock = self.connection
        with contextlib.suppress(OSError):
            if drop.reset:
                # SO_LINGER on with a zero timeout: close() sends RST instead of FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.rfile.close()  # drops the makefile() reference so close() is real
                sock.close()
            else:
                sock.shutdown(socket.SHUT_RDWR)


class LoopbackServer:
    """Base of every sandbox fake: a threaded HTTP server on 127.0.0.1 run from Python.

    Subclasses implement :meth:`handle`. Handlers run in server threads: guard shared state
    with ``self.lock`` (an :class:`threading.RLock`) and keep long work (streaming a body)
    outside it.
    """

    #: Shown in thread names.
    name = "sandbox"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 body_timeout: float = 10.0) -> None:
        self.host = host
        self._requested_port = port
        #: Seconds a body may stall before the connection is dropped.
        self.body_timeout = body_timeout
        self.lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._handlers: set[_Handler] = set()
        self._requests: list[RequestRecord] = []
        #: Tracebacks of handler crashes (each answered 500): a test may assert this is empty.
        self.errors: list[str] = []
        self.connection_errors: list[str] = []

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
            name=f"{self.name}-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection (takes about 10 ms: the accept loop polls
        for the stop flag every 10 ms)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self._close_connections(idle_only=False)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return int(self._server.server_address[1])

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT/`` (with the trailing slash)."""
        return f"http://{self.host}:{self.port}/"

    def url(self, path: str = "") -> str:
        return self.root + path.lstrip("/")

    # ---- inspection --------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, in the order the requests arrived.

        (Records are written when a request ends; a dropped request can end after the
        client's next one has been answered, so the log is sorted by arrival.)"""
        with self.lock:
            return sorted(self._requests, key=lambda record: record.started)

    def clear_requests(self) -> None:
        with self.lock:
            self._requests.clear()

    def close_idle_connections(self) -> int:
        """Close every keep-alive connection that is waiting for its next request (as a server
        or proxy does after an idle timeout). Returns how many were closed."""
        return self._close_connections(idle_only=True)

    # ---- the sandbox's view (publisher/sandbox/platforms.py) ------------------------------

    @classmethod
    def for_sandbox(cls, *, port: int = 0, clock: Callable[[], datetime] | None = None
                    ) -> Self:
        """The fake as `SandboxPlatforms` starts it (a fake with a clock takes it)."""
        return cls(port=port)

    @property
    def sandbox_root(self) -> str:
        """The value of the platform's API-root environment variable that reaches us."""
        return self.root

    def sandbox_credentials(self) -> dict[str, Any]:
        """credentials.json's section for this fake (its own values: nothing secret)."""
        raise NotImplementedError

    # ---- for subclasses ----------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        raise NotImplementedError

    # ---- internals ---------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response | Drop:
        try:
            return self.handle(request)
        except ClientGone:
            raise
        except Exception:
            self._note_error(traceback.format_exc(), quiet=False)
            return Response.json(500, {"error": {
                "code": 500, "message": "The sandbox fake crashed (see its .errors).",
                "errors": [{"message": "Backend Error", "domain": "global",
                            "reason": "backendError"}]}}, )

    def _note_error(self, text: str, *, quiet: bool) -> None:
        with self.lock:
            (self.connection_errors if quiet else self.errors).append(text)

    def _log(self, record: RequestRecord) -> None:
        with self.lock:
            self._requests.append(record)

    def _register(self, handler: _Handler) -> None:
        with self.lock:
            self._handlers.add(handler)

    def _unregister(self, handler: _Handler) -> None:
        with self.lock:
            self._handlers.discard(handler)

    def _close_connections(self, *, idle_only: bool) -> int:
        with self.lock:
            targets = [h for h in self._handlers if not (idle_only and h.busy)]
        for handler in targets:
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
        return len(targets)
