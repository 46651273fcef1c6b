"""A streamed reader of ``multipart/related`` bodies (``uploadType=multipart``)."""

from __future__ import annotations

from collections.abc import Callable

from publisher.sandbox.http import Body
from publisher.sandbox.youtube.errors import ApiError


class MultipartReader:
    """Reads a ``multipart/related`` body part by part without holding the media part.

    googleapiclient writes it with bare ``\\n`` line ends (email's compat32 policy); CRLF is
    accepted too.
    """

    def __init__(self, body: Body, boundary: bytes) -> None:
        self._body = body
        self._delimiter = b"\n--" + boundary
        self._buf = b"\n"  # so that a delimiter at the very start is found
        self._closed = False
        self._at_headers = False
        # Skip the preamble up to the first delimiter.
        if not self._until_delimiter(lambda _data: None):
            raise ApiError(400, "badContent", "Invalid multipart request: no boundary found.")
        self._after_delimiter()

    def _fill(self) -> bool:
        block = self._body.read()
        if not block:
            return False
        self._buf += block
        return True

    def _until_delimiter(self, emit: Callable[[bytes], None]) -> bool:
        keep = len(self._delimiter) + 1
        while True:
            index = self._buf.find(self._delimiter)
            if index >= 0:
                content = self._buf[:index]
                emit(content[:-1] if content.endswith(b"\r") else content)
                self._buf = self._buf[index + len(self._delimiter):]
                return True
            if len(self._buf) > keep:
                emit(self._buf[:-keep])
                self._buf = self._buf[-keep:]
            if not self._fill():
                return False

    def _after_delimiter(self) -> None:
        while len(self._buf) < 2 and self._fill():
            pass
        if self._buf.startswith(b"--"):
            self._closed = True
            return
        self._at_headers = True

    def next_headers(self) -> dict[str, str] | None:
        if self._closed or not self._at_headers:
            return None
        while True:
            for end in (b"\r\n\r\n", b"\n\n"):
                index = self._buf.find(end)
                if index >= 0:
                    raw, self._buf = self._buf[:index], self._buf[index + len(end):]
                    self._at_headers = False
                    return parse_part_headers(raw)
            if len(self._buf) > 16 * 1024 or not self._fill():
                raise ApiError(400, "badContent", "Invalid multipart request: bad part headers.")

    def read_small_part(self, limit: int = 4 * 1024 * 1024) -> tuple[dict[str, str], bytes]:
        headers = self.next_headers()
        if headers is None:
            raise ApiError(400, "badContent", "Invalid multipart request: no metadata part.")
        chunks: list[bytes] = []

        def keep(data: bytes) -> None:
            chunks.append(data)
            if sum(len(c) for c in chunks) > limit:
                raise ApiError(413, "badRequest", "Request metadata too large.")

        if not self._until_delimiter(keep):
            raise ApiError(400, "badContent", "Invalid multipart request: unterminated part.")
        self._after_delimiter()
        return headers, b"".join(chunks)

    def read_part_into(self, write: Callable[[bytes], None], limit: int) -> None:
        written = 0

        def emit(data: bytes) -> None:
            nonlocal written
            written += len(data)
            if written > limit:
                raise ApiError(413, "uploadTooLarge",
                               f"Media larger than the maximum of {limit} bytes.")
            write(data)

        if not self._until_delimiter(emit):
            raise ApiError(400, "badContent", "Invalid multipart request: unterminated part.")
        self._after_delimiter()


def parse_part_headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.decode("latin-1").replace("\r\n", "\n").split("\n"):
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return headers
