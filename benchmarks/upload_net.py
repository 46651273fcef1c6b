"""The network pieces of benchmarks/upload_throughput.py, each run in a process of its own.

`Receiver`: the least a server can do and still speak enough of YouTube's resumable protocol
for publisher's client (a token, a session start answered with a Location, PUTs with
Content-Range answered 308 + Range, the last one 200 with a video resource, status queries).
It reads every body into one buffer and throws it away, so it is not the bottleneck.

`Link`: a loopback proxy that behaves like a real link: a bandwidth cap on the way up and a
delay each way (half the round trip). Bytes are taken from the client only as fast as the
link carries them, so the client's own socket buffer is the queue in front of the link.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections import deque
from typing import Any

RECV_BLOCK = 1024 * 1024
LINK_BLOCK = 64 * 1024


# --- The receiver -----------------------------------------------------------------------------

class Session:
    def __init__(self, sid: str, total: int) -> None:
        self.id, self.total = sid, total
        self.received = 0
        self.bytes_read = 0
        self.puts = 0
        self.first_byte_at: float | None = None  # time.time() of the first body byte


class Receiver:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.sessions: dict[str, Session] = {}
        self.lock = threading.Lock()
        self.errors = 0

    def serve_forever(self) -> None:
        while True:
            conn, _ = self.sock.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def new_session(self, total: int, host: str) -> str:
        with self.lock:
            sid = f"s{len(self.sessions) + 1}"
            self.sessions[sid] = Session(sid, total)
        return f"http://{host}/upload/youtube/v3/videos?uploadType=resumable&upload_id={sid}"

    def _connection(self, conn: socket.socket) -> None:
        buf = bytearray(RECV_BLOCK)
        view = memoryview(buf)
        pending = b""
        try:
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                head, _, pending = pending.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in
                           (ln.partition(":") for ln in lines[1:])}
                length = int(headers.get("content-length", "0"))
                session = self._session_of(target) if method == "PUT" else None
                body = b""
                if session is None or length == 0:
                    while len(pending) < length:
                        data = conn.recv(65536)
                        if not data:
                            return
                        pending += data
                    body, pending = pending[:length], pending[length:]
                else:
                    left = length
                    if session.first_byte_at is None and (pending or left):
                        session.first_byte_at = time.time()
                    take = min(len(pending), left)
                    pending, left = pending[take:], left - take
                    session.bytes_read += take
                    while left:
                        n = conn.recv_into(view, min(left, RECV_BLOCK))
                        if not n:
                            return
                        if session.first_byte_at is None:
                            session.first_byte_at = time.time()
                        left -= n
                        session.bytes_read += n
                conn.sendall(self._answer(method, target, headers, body, session, length))
        except (OSError, ValueError):
            self.errors += 1
        finally:
            conn.close()

    def _session_of(self, target: str) -> Session | None:
        if "upload_id=" not in target:
            return None
        return self.sessions.get(target.rsplit("upload_id=", 1)[1].split("&")[0])

    def _answer(self, method: str, target: str, headers: dict[str, str], body: bytes,
                session: Session | None, length: int) -> bytes:
        if method == "POST" and target.startswith("/token"):
            return _response(200, json.dumps({"access_token": "bench", "expires_in": 3600,
                                              "token_type": "Bearer"}).encode())
        if method == "POST" and "uploadType=resumable" in target:
            total = int(headers.get("x-upload-content-length", "0"))
            uri = self.new_session(total, headers.get("host", f"127.0.0.1:{self.port}"))
            return _response(200, b"", [("Location", uri)])
        if method == "PUT" and session is not None:
            rng = headers.get("content-range", "")
            if rng.replace(" ", "").startswith("bytes*/"):
                return self._state(session)
            session.puts += 1
            start = int(rng.split()[1].split("-")[0]) if rng else 0
            if start <= session.received:
                session.received = max(session.received, start + length)
            return self._state(session)
        return _response(404, b"{}")

    @staticmethod
    def _state(session: Session) -> bytes:
        if session.received >= session.total:
            video = {"kind": "youtube#video", "id": session.id,
                     "status": {"uploadStatus": "uploaded", "privacyStatus": "private"}}
            return _response(200, json.dumps(video).encode())
        extra = [("Range", f"bytes=0-{session.received - 1}")] if session.received else []
        return _response(308, b"", extra)


def _response(status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> bytes:
    reason = {200: "OK", 308: "Resume Incomplete", 404: "Not Found"}[status]
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}",
             "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers or []]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def serve_receiver(stdin: Any, stdout: Any) -> int:
    """The receiver's process: prints its port, then answers one-line commands (JSON)."""
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    print(json.dumps({"port": receiver.port, "pid": os.getpid()}), file=stdout, flush=True)
    for line in stdin:
        words = line.split()
        reply: dict[str, Any]
        if words == ["cpu"]:
            reply = {"cpu_s": time.process_time(), "errors": receiver.errors}
        elif words[:1] == ["session"] and len(words) == 2:
            s = receiver.sessions.get(words[1])
            reply = ({"error": f"no session {words[1]}"} if s is None else
                     {"total": s.total, "received": s.received, "bytes_read": s.bytes_read,
                      "puts": s.puts, "first_byte_at": s.first_byte_at})
        elif words[:1] == ["prefill"] and len(words) == 3:
            s = receiver.sessions[words[1]]
            s.received = int(words[2])
            reply = {"received": s.received}
        else:
            reply = {"error": f"unknown command {line.strip()!r}"}
        print(json.dumps(reply), file=stdout, flush=True)
    return 0


# --- The link ---------------------------------------------------------------------------------

class Link:
    """Forwards 127.0.0.1:port to the upstream port, capped and delayed (module doc)."""

    def __init__(self, upstream: int, mbit_s: float, rtt_ms: float) -> None:
        self.upstream = upstream
        self.rate = mbit_s * 1e6 / 8  # bytes per second
        self.one_way = rtt_ms / 2000
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def serve_forever(self) -> None:
        while True:
            client, _ = self.sock.accept()
            server = socket.create_connection(("127.0.0.1", self.upstream))
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._direction, args=(client, server, self.rate),
                             daemon=True).start()
            threading.Thread(target=self._direction, args=(server, client, None),
                             daemon=True).start()

    def _direction(self, src: socket.socket, dst: socket.socket, rate: float | None) -> None:
        """Read from src no faster than `rate`; deliver each block one-way delay later."""
        line: deque[tuple[float, bytes]] = deque()
        ready = threading.Condition()
        done = False

        def deliver() -> None:
            while True:
                with ready:
                    while not line and not done:
                        ready.wait()
                    if not line:
                        break
                    at, data = line.popleft()
                wait = at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                try:
                    dst.sendall(data)
                except OSError:
                    break
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        writer = threading.Thread(target=deliver, daemon=True)
        writer.start()
        free_at = time.monotonic()  # when the link has sent everything taken so far
        try:
            while True:
                if rate is not None:
                    ahead = free_at - time.monotonic()
                    if ahead > 0.002:
                        time.sleep(ahead - 0.001)  # take no more than the link can carry
                try:
                    data = src.recv(LINK_BLOCK)
                except OSError:
                    data = b""
                if not data:
                    break
                now = time.monotonic()
                if rate is not None:
                    free_at = max(free_at, now) + len(data) / rate
                    at = free_at + self.one_way
                else:
                    at = now + self.one_way
                with ready:
                    line.append((at, data))
                    ready.notify()
        finally:
            with ready:
                done = True
                ready.notify()
            writer.join()


def serve_link(upstream: int, mbit_s: float, rtt_ms: float, stdin: Any, stdout: Any) -> int:
    link = Link(upstream, mbit_s, rtt_ms)
    threading.Thread(target=link.serve_forever, daemon=True).start()
    print(json.dumps({"port": link.port, "pid": os.getpid()}), file=stdout, flush=True)
    for line in stdin:
        if line.split() == ["cpu"]:
            print(json.dumps({"cpu_s": time.process_time()}), file=stdout, flush=True)
    return 0


# --- The ceiling: a zero-copy sender ------------------------------------------------------------

def sendfile_put(port: int, uri_path: str, path: str, size: int) -> dict[str, Any]:
    """One PUT of the whole file with os.sendfile (no copy through user space)."""
    cpu0, start = time.process_time(), time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock, open(path, "rb") as fh:
        head = (f"PUT {uri_path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Length: {size}\r\nContent-Range: bytes 0-{size - 1}/{size}\r\n\r\n")
        sock.sendall(head.encode())
        offset = 0
        while offset < size:
            sent = os.sendfile(sock.fileno(), fh.fileno(), offset, size - offset)
            if not sent:
                raise OSError("sendfile sent nothing")
            offset += sent
        answer = sock.recv(65536)
    if not answer.startswith(b"HTTP/1.1 200"):
        raise OSError(f"the receiver answered {answer[:40]!r}")
    return {"seconds": time.perf_counter() - start, "cpu_s": time.process_time() - cpu0}
