"""How values look on the API's wire: timestamps, ids, etags, the ``part`` parameter, request
metadata, and paged list answers."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from publisher.sandbox.http import BodyTooLarge, Request
from publisher.sandbox.youtube.errors import ApiError, required_parameter

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_rfc3339(value: object) -> datetime | None:
    """An RFC 3339 timestamp with a zone (``2026-12-01T16:00:00Z``) as an aware datetime."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    text = value.upper().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_id(prefix: str = "", length: int = 11) -> str:
    raw = base64.urlsafe_b64encode(secrets.token_bytes(length)).decode("ascii")
    return prefix + raw.replace("=", "")[:length]


def etag(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:27]


def parse_parts(value: str | None) -> list[str]:
    """The ``part`` parameter's names (required, non-empty)."""
    if value is None:
        raise required_parameter("part")
    names = [p.strip() for p in value.split(",") if p.strip()]
    if not names:
        raise required_parameter("part")
    return names


def check_parts(names: list[str], allowed: Iterable[str]) -> None:
    known = set(allowed)
    for name in names:
        if name not in known:
            raise ApiError(400, "unknownPart", name, domain="youtube.part", location="part")


def read_metadata(request: Request) -> Any:
    """The request's JSON body (a resource), as Google refuses a bad one."""
    try:
        return request.json()
    except BodyTooLarge:
        raise ApiError(413, "badRequest", "Request metadata too large.") from None
    except ValueError:
        raise ApiError(400, "parseError", "Parse Error") from None


def page(items: list[dict[str, Any]], request: Request, kind: str) -> dict[str, Any]:
    """One page of a list answer, as ``maxResults`` and ``pageToken`` ask."""
    max_text = request.param("maxResults") or "5"
    token = request.param("pageToken") or "0"
    if not max_text.isdigit() or int(max_text) > 50:
        raise ApiError(400, "invalidValue", f"Invalid value '{max_text}'. Values must be "
                       "within the range: [0, 50]", location="maxResults")
    if not token.isdigit():
        raise ApiError(400, "invalidPageToken", "The request specifies an invalid page "
                       "token.", domain="youtube.parameter", location="pageToken")
    max_results, offset = int(max_text), int(token)
    chosen = items[offset:offset + max_results]
    result: dict[str, Any] = {"kind": kind, "etag": etag(kind, len(items), offset)}
    if offset + max_results < len(items):
        result["nextPageToken"] = str(offset + max_results)
    if offset > 0:
        result["prevPageToken"] = str(max(offset - max_results, 0))
    result["pageInfo"] = {"totalResults": len(items), "resultsPerPage": max_results}
    result["items"] = chosen
    return result
