"""Errors every platform adapter raises, by what the pipeline should do about them.

Adapters translate their library's exceptions into these; the pipeline decides (retry,
defer, needs attention); only the CLI turns them into messages.
"""

from __future__ import annotations

import datetime as dt

from publisher.errors import PublisherError


class PlatformError(PublisherError):
    """Something a platform answered (or did not answer)."""

    def __init__(self, message: str, *, platform: str = "", reason: str | None = None) -> None:
        super().__init__(message)
        self.platform = platform
        self.reason = reason


class TransientError(PlatformError):
    """Worth retrying after a backoff: 5xx, 429, a reset connection, a timeout."""

    def __init__(self, message: str, *, platform: str = "", reason: str | None = None,
                 retry_at: dt.datetime | None = None) -> None:
        super().__init__(message, platform=platform, reason=reason)
        self.retry_at = retry_at


class DeferredError(PlatformError):
    """Not before a known time (a daily quota, a per-channel upload limit): never hot-retry."""

    def __init__(self, message: str, *, until: dt.datetime, platform: str = "",
                 reason: str | None = None) -> None:
        super().__init__(message, platform=platform, reason=reason)
        self.until = until


class AuthError(PlatformError):
    """The credentials are missing, expired or revoked: a person must act (re-authorise)."""


class PermanentError(PlatformError):
    """The platform refused this request for good (invalid metadata, rejected video)."""


class SessionExpired(PlatformError):
    """A resumable upload session is gone (404/410): a new one must start from zero."""
