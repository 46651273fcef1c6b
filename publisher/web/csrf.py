"""CSRF protection on every state-changing request, by asgi-csrf (a signed double-submit
cookie; the token travels in each form's hidden `csrftoken` field, first in the form).

For a form with files (multipart/form-data) asgi-csrf reads the body only until the token,
which must come first. Its parser was written for python-multipart's old
`FormParser(FileClass=…)`, which python-multipart no longer has; `TokenFirstParser` takes its
place (installed into asgi_csrf at import): it reads field by field, refuses a file before the
token, and gives up after MAX_BEFORE_TOKEN bytes, so a body without a token is never held in
memory.

asgi-csrf lets a POST that carries no cookie at all through (it cannot be a forged one
riding on a session); such a request reaches publisher/web/auth.py as anonymous and is
refused there, except on the public routes, which are always checked here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asgi_csrf as _asgi_csrf
from asgi_csrf import asgi_csrf
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Scope, Send

from publisher.web import context
from publisher.web.auth import PUBLIC_PATHS

COOKIE = "csrftoken"
#: The token field is the first of every form: a multipart body without it in its first
#: bytes is refused (as a forged one).
MAX_BEFORE_TOKEN = 64 * 1024


@dataclass(frozen=True)
class _Field:
    field_name: bytes
    value: bytes


class TokenFirstParser:
    """What asgi-csrf 0.11 calls `FormParser("multipart/form-data", on_field, on_end,
    boundary=…, FileClass=…)` for: each text field handed to `on_field` as it ends (asgi-csrf
    stops at its token), a file before the token refused with asgi-csrf's FileBeforeToken."""

    def __init__(self, content_type: str, on_field: Callable[[Any], None],
                 on_end: Callable[[], None] | None = None, *, boundary: bytes | str,
                 FileClass: Any = None) -> None:
        self._on_field = on_field
        self._read = 0
        self._headers: dict[bytes, bytes] = {}
        self._header = [bytearray(), bytearray()]
        self._name = b""
        self._value = bytearray()
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._begin, "on_part_data": self._data,
            "on_part_end": self._end, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished})

    def write(self, data: bytes) -> int:
        if self._read >= MAX_BEFORE_TOKEN:  # the token would have been found by now
            raise _asgi_csrf.FileBeforeToken()
        self._read += len(data)
        return self._parser.write(data)

    def _begin(self) -> None:
        self._headers, self._name, self._value = {}, b"", bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header[0] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._header[1] += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header[0]).lower()] = bytes(self._header[1])
        self._header = [bytearray(), bytearray()]

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"filename" in options:
            raise _asgi_csrf.FileBeforeToken()
        self._name = options.get(b"name", b"")

    def _data(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]
        if len(self._value) > MAX_BEFORE_TOKEN:
            raise _asgi_csrf.FileBeforeToken()

    def _end(self) -> None:
        self._on_field(_Field(self._name, bytes(self._value)))


_asgi_csrf.FormParser = TokenFirstParser


def protect(app: ASGIApp, *, signing_secret: str) -> ASGIApp:
    protected: ASGIApp = asgi_csrf(app, signing_secret=signing_secret, cookie_name=COOKIE,
                                   always_protect=set(PUBLIC_PATHS),
                                   send_csrf_failed=_refused)
    return protected


async def _refused(scope: Scope, send: Send, _reason: Any) -> None:
    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    request = Request(scope, no_body)
    _ = context.translator(request).gettext
    response = context.console(request).pages.render(
        request, "error.html", status_code=403, title=_("Form expired"),
        message=_("This form was not accepted: it is out of date or did not come from this "
                  "console. Go back, reload the page and try again."))
    await response(scope, no_body, send)
