"""A form with files, read as it streams: each file written chunk by chunk to a hidden file
in the home's media folder (never held in memory), refused as soon as it grows past the
limit; the text fields kept (small, and capped).

Starlette's own `request.form()` spools files to the system's temporary folder and knows
no limit for them; python-multipart's streaming parser, fed from `request.stream()`, does
what is needed here.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

#: The text fields of one form, together, at most (a description is at most 5,000 bytes).
MAX_FIELDS_BYTES = 1024 * 1024
PART_SUFFIX = ".part"


class UploadRefused(Exception):
    """The form cannot be read; `reason` says why (see the subclasses)."""


class UploadTooLarge(UploadRefused):
    def __init__(self, field: str, limit: int) -> None:
        super().__init__(field, limit)
        self.field = field
        self.limit = limit


class NotAForm(UploadRefused):
    """Not multipart/form-data, a broken body, or text fields over MAX_FIELDS_BYTES."""


@dataclass
class ReceivedFile:
    field: str
    filename: str      # as the browser named it (only to name the stored file)
    path: Path         # the hidden file it was written to
    size: int


@dataclass
class Received:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, ReceivedFile] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def discard(self) -> None:
        """Delete every file received (its hidden file)."""
        for received in self.files.values():
            received.path.unlink(missing_ok=True)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    out: IO[bytes] | None = None
    path: Path | None = None
    size: int = 0


async def receive_form(request: Request, folder: Path, max_file_bytes: int) -> Received:
    """Read the multipart form of `request`, files into `folder` (made if missing).

    Raises UploadTooLarge as soon as a file passes `max_file_bytes` (the rest of the body is
    not read), NotAForm for anything else; in both cases no file is left behind.
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise NotAForm("expected multipart/form-data")
    received = Received()
    events: list[tuple[str, bytes]] = []
    header: dict[str, bytearray] = {"field": bytearray(), "value": bytearray()}

    def on_part_begin() -> None:
        events.append(("begin", b""))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        events.append(("data", bytes(data[start:end])))

    def on_part_end() -> None:
        events.append(("end", b""))

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header["value"] += data[start:end]

    def on_header_end() -> None:
        events.append(("header", bytes(header["field"]).lower() + b"\0" + bytes(header["value"])))
        header["field"], header["value"] = bytearray(), bytearray()

    def on_headers_finished() -> None:
        events.append(("headers_done", b""))

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data,
        "on_part_end": on_part_end, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished})
    part = _Part()
    text_bytes = 0
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except Exception as exc:  # python-multipart's own errors: a broken body
                raise NotAForm(f"the form's body cannot be read: {exc}") from None
            for kind, data in events:
                if kind == "begin":
                    part = _Part()
                elif kind == "header":
                    name, _, value = data.partition(b"\0")
                    part.headers[name] = value
                elif kind == "headers_done":
                    _, options = parse_options_header(part.headers.get(b"content-disposition",
                                                                       b""))
                    part.name = options.get(b"name", b"").decode("utf-8", "replace")
                    raw_name = options.get(b"filename")
                    part.filename = None if raw_name is None else \
                        raw_name.decode("utf-8", "replace")
                    if part.filename:  # a file was chosen (an empty one: no file)
                        folder.mkdir(parents=True, exist_ok=True)
                        part.path = folder / f".upload-{secrets.token_hex(8)}{PART_SUFFIX}"
                        part.out = await run_in_threadpool(_create, part.path)
                elif kind == "data":
                    if part.out is not None:
                        part.size += len(data)
                        if part.size > max_file_bytes:
                            raise UploadTooLarge(part.name, max_file_bytes)
                        await run_in_threadpool(part.out.write, data)
                    elif part.filename is None:
                        text_bytes += len(data)
                        if text_bytes > MAX_FIELDS_BYTES:
                            raise NotAForm("the form's text fields are too long")
                        part.data += data
                elif kind == "end":
                    await _finish(part, received)
            events.clear()
    except BaseException:
        if part.out is not None:
            part.out.close()
            if part.path is not None:
                part.path.unlink(missing_ok=True)
        received.discard()
        raise
    return received


def _create(path: Path) -> IO[bytes]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    return os.fdopen(fd, "wb")


async def _finish(part: _Part, received: Received) -> None:
    if part.out is not None and part.path is not None:
        await run_in_threadpool(part.out.close)
        previous = received.files.get(part.name)
        if previous is not None:  # one file per field: the last one counts
            previous.path.unlink(missing_ok=True)
        if part.size == 0:
            part.path.unlink(missing_ok=True)
        else:
            received.files[part.name] = ReceivedFile(part.name, part.filename or "",
                                                     part.path, part.size)
        part.out = None
    elif part.filename is None:
        try:
            text = part.data.decode("utf-8")
        except UnicodeDecodeError:
            raise NotAForm(f"the field {part.name!r} is not UTF-8 text") from None
        received.fields.setdefault(part.name, []).append(text)
