"""What the adapters built on plain httpx (Telegram, Facebook) share: telling a request that
never left from one whose answer was lost, and reading a JSON object safely."""

from __future__ import annotations

from typing import Any

import httpx

from publisher.platforms.base import UnknownOutcome
from publisher.platforms.errors import PermanentError, PlatformError, TransientError

# Failures that happen before any byte of the request reaches the platform.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError,
            httpx.LocalProtocolError)


def transport_error(exc: httpx.HTTPError, *, label: str, platform: str, env_root: str | None,
                    acting: bool, what: str) -> PlatformError:
    """No answer: refused before sending is safe to retry; anything later is unknown.

    `what` is the already scrubbed description (it must not carry a token).
    """
    if isinstance(exc, httpx.UnsupportedProtocol):
        return PermanentError(f"the {label} API root is not usable ({what}): check {env_root}",
                              platform=platform, reason="bad_root")
    if not acting or isinstance(exc, NOT_SENT):
        return TransientError(f"{label} could not be reached: {what}", platform=platform,
                              reason="unreachable")
    return UnknownOutcome(f"{label} did not answer after the post was sent ({what}): it may "
                          "have been posted", platform=platform, reason="no_answer")


def json_or_none(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
