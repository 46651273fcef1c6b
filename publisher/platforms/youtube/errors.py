"""Turning google-api-python-client and transport exceptions into our error kinds.

The machine-readable reason is `error_details[0]["reason"]`; `HttpError.reason` is only the
human message (see platform-facts youtube-api.md §1.4).
"""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import ssl
from typing import Any
from zoneinfo import ZoneInfo

from publisher.platforms.errors import (
    AuthError,
    DeferredError,
    PermanentError,
    PlatformError,
    TransientError,
)
from publisher.redact import scrub

PACIFIC = ZoneInfo("America/Los_Angeles")
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "uploadRateLimitExceeded"}
#: 429 with this reason is thumbnails.set's "the channel has uploaded too many thumbnails in
#: the past 24 hours": a cap on one kind of call over a day, not a short rate limit. Only
#: that step waits (a day); the rest of the interview goes on.
DAILY_STEP_LIMIT = "uploadRateLimitExceeded"


def transport_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the connection, not the server's answer, failed."""
    import httplib2

    return (httplib2.HttpLib2Error, ConnectionError, TimeoutError, socket.timeout, ssl.SSLError,
            http.client.HTTPException, OSError)


def next_quota_reset(now: dt.datetime) -> dt.datetime:
    """Midnight Pacific Time after `now`: when the YouTube daily quotas reset."""
    local = now.astimezone(PACIFIC)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0, 0),
                                   tzinfo=PACIFIC)
    return midnight.astimezone(dt.UTC)


def reason_of(exc: Any) -> str | None:
    details = getattr(exc, "error_details", None)
    if isinstance(details, list) and details and isinstance(details[0], dict):
        reason = details[0].get("reason")
        return str(reason) if reason else None
    return None


def _message(exc: Any) -> str:
    text = getattr(exc, "reason", None) or str(exc)
    return scrub(str(text)).strip()[:300]


def _retry_after(exc: Any, now: dt.datetime) -> dt.datetime | None:
    resp = getattr(exc, "resp", None)
    value = resp.get("retry-after") if resp is not None else None
    if value and str(value).isdigit():
        return now + dt.timedelta(seconds=int(value))
    return None


def classify(exc: BaseException, now: dt.datetime, *, what: str = "request") -> PlatformError:
    """What to do about a failed YouTube call."""
    from googleapiclient.errors import HttpError

    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        reason = reason_of(exc)
        msg = f"YouTube {what} failed ({status} {reason or ''}): {_message(exc)}".replace(
            "( ", "(").replace(" )", ")")
        if reason == "quotaExceeded":
            until = next_quota_reset(now)
            return DeferredError(f"the YouTube API quota is used up for today; work resumes "
                                 f"after the reset at {until:%Y-%m-%d %H:%M} UTC",
                                 until=until, platform="youtube", reason=reason)
        if reason == "uploadLimitExceeded":
            return DeferredError("YouTube's limit of uploads per channel per 24 hours is "
                                 "reached; the upload is retried in 24 hours",
                                 until=now + dt.timedelta(hours=24), platform="youtube",
                                 reason=reason)
        if status == 429 and reason == DAILY_STEP_LIMIT:
            return DeferredError(f"YouTube {what} refused: the channel is over YouTube's limit "
                                 f"for the past 24 hours (429 {reason}: {_message(exc)}); "
                                 "it is tried again in 24 hours",
                                 until=now + dt.timedelta(hours=24), platform="youtube",
                                 reason=reason)
        if status >= 500 or status == 429 or (status == 403 and reason in RATE_REASONS):
            return TransientError(msg, platform="youtube", reason=reason,
                                  retry_at=_retry_after(exc, now))
        if status == 401:
            return AuthError("YouTube refused the authorisation (401): run `publisher auth "
                             "youtube`", platform="youtube", reason=reason)
        return PermanentError(msg, platform="youtube", reason=reason)
    if isinstance(exc, transport_errors()):
        return TransientError(f"YouTube {what}: connection problem: "
                              f"{type(exc).__name__}: {scrub(str(exc))}"[:300],
                              platform="youtube")
    return PermanentError(f"YouTube {what}: unexpected {type(exc).__name__}: "
                          f"{scrub(str(exc))}"[:300],
                          platform="youtube")
