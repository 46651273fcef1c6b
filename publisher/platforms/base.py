"""The small protocol every cross-posting adapter follows (X, Mastodon, Bluesky, Telegram,
Facebook): its limits as data, its own way of counting, and exactly-once publishing.

Exactly once, the adapter's part:
* `new_handle()` makes the idempotency handle *before* the request (a Mastodon
  Idempotency-Key, a Bluesky record key, ...); the pipeline commits it, then calls
  `publish(post, handle)`, then commits the returned id and URL;
* a request whose outcome cannot be known (a timeout or dropped connection after sending,
  a 5xx) raises `UnknownOutcome`; the pipeline then calls `lookup(post, handle)` before
  anything else: a post found is recorded, not repeated; `None` means it surely does not
  exist, so `publish` may run again with the same handle; a platform with no way to check
  raises `CannotCheck`, and the post needs a person instead of a blind retry.

After a correction (publisher/pipeline/correct_posts.py), a platform whose spec `can_edit`
changes a post already out in place: `edit(remote_id, post)` replaces its text. An edit with
the same text again is harmless (the pipeline re-applies one a crash interrupted), so an
edit never raises `UnknownOutcome`; a post deleted by hand, or not ours, raises `PostGone`.

A post an organizer found by hand (`publisher resolve ID --platform P --url URL`) is recorded
with the id the platform's API takes, read from its address by `post_id_from_url` (the
shapes it takes are the spec's `post_url_shape`; `own_post_id` also refuses an address on
another server than the account's); `edit` and `delete` also take such an address where a
record from before kept one instead of the id (`post_id`).
"""

from __future__ import annotations

import abc
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from publisher.credentials import is_placeholder
from publisher.platforms.errors import PermanentError, PlatformError, TransientError

if TYPE_CHECKING:
    from publisher.platforms.spec import TextRule

__all__ = ["CannotCheck", "CannotDelete", "CrossPoster", "ForeignPostUrl", "NotAPostUrl",
           "PostContent", "PostGone", "Posted", "UnknownOutcome", "is_placeholder"]


@dataclass(frozen=True)
class PostContent:
    """One cross-post, rendered and within the platform's limit."""

    text: str
    link: str                 # the video's YouTube URL (also inside `text`)
    title: str                # for link cards
    description: str          # for link cards: a short summary
    thumbnail: Path | None = None
    language: str = "it"


@dataclass(frozen=True)
class Posted:
    remote_id: str
    url: str | None = None


class UnknownOutcome(TransientError):
    """The request may have been acted on: look the post up before trying again."""


class CannotCheck(PlatformError):
    """The platform offers no way to find out whether a post exists."""


class PostGone(PermanentError):
    """The post to change is no longer there (deleted by hand) or is not ours to change."""


class CannotDelete(PermanentError):
    """The platform will not delete this post (Telegram, once it is 48 hours old): a person
    must delete it by hand."""


class NotAPostUrl(ValueError):
    """An address that is not one of this platform's post addresses."""


class ForeignPostUrl(NotAPostUrl):
    """A post address of the platform's shape, but on another server than the account's
    (Mastodon): its id there is not the id of any post of ours. The message names the
    address, the server it is on and the one expected."""


class CrossPoster(abc.ABC):
    """Base of one platform's adapter. Its facts (label, credential keys, limits, API root)
    come from the platform's spec (publisher/platforms/spec.py)."""

    name: ClassVar[str]                     # key of its spec

    def __init__(self, settings: Mapping[str, Any], *, api_root: str | None = None,
                 timeout: float = 30.0, state_dir: Path | None = None) -> None:
        from publisher.platforms.spec import get
        from publisher.redact import register

        self.spec = get(self.name)
        self.settings = dict(settings)
        register(*(self.settings.get(key) for key in self.secret_fields))
        self.timeout = timeout
        self.state_dir = state_dir  # where a session file may be kept (written 0600)
        env = os.environ.get(self.env_root) if self.env_root else None
        self.api_root = env or api_root or self.default_root

    @property
    def label(self) -> str:
        return self.spec.label

    @classmethod
    def post_id_from_url(cls, url: str) -> str:
        """The id this platform's API takes for the post at `url` (its address as people
        see it); `NotAPostUrl` when `url` is not one of the platform's post addresses."""
        raise NotAPostUrl(f"{cls.name} posts cannot be recorded by their address")

    def own_post_id(self, url: str) -> str:
        """`post_id_from_url` for a post of this account: where an address names the server
        (Mastodon), one on another server than the configured one raises ForeignPostUrl."""
        return self.post_id_from_url(url)

    def post_id(self, remote_id: str) -> str:
        """The id to send for a recorded post: `remote_id`, or, for a record that kept the
        post's address instead (`resolve --url` before its id was read from it), the id
        read from that address."""
        if not remote_id.startswith(("https://", "http://")):
            return remote_id
        try:
            return self.post_id_from_url(remote_id)
        except NotAPostUrl as exc:
            raise PermanentError(f"{self.label}: the post was recorded by its address "
                                 f"{remote_id}, which names no post ({exc})",
                                 platform=self.name, reason="not_a_post_url") from None

    @property
    def required(self) -> tuple[str, ...]:
        return self.spec.required_keys

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return self.spec.secret_keys

    @property
    def env_root(self) -> str | None:
        return self.spec.env_root

    @property
    def default_root(self) -> str | None:
        return self.spec.default_root

    @property
    def rule(self) -> TextRule:
        assert self.spec.text is not None, f"{self.name} takes no posts"
        return self.spec.text

    def scrub(self, text: str) -> str:
        """`text` (a server's message, a library's exception) fit for an exception message:
        without this adapter's credentials or any secret-shaped part (publisher.redact)."""
        from publisher.redact import scrub

        return scrub(text, *(self.settings.get(key) for key in self.secret_fields))

    def length(self, text: str) -> int:
        """The text's length as this platform counts it."""
        return self.rule.count(text)

    def max_length(self) -> int:
        """The most the platform accepts (an adapter may ask the server, and cache it)."""
        return self.rule.limit

    def reported_limits(self) -> tuple[int, int | None] | None:
        """(max length, link length) as the server reported them, for a platform whose
        spec `reports_limit`; None when it reports none or they could not be read. The
        pipeline keeps them for the checks before posting (publisher/platform_limits.py)."""
        return None

    @abc.abstractmethod
    def new_handle(self) -> str:
        """The idempotency handle for a new post, committed before `publish` is called."""

    @abc.abstractmethod
    def publish(self, post: PostContent, handle: str) -> Posted:
        """Send the post. Raises TransientError (with retry_at for rate limits),
        UnknownOutcome, AuthError or PermanentError."""

    @abc.abstractmethod
    def lookup(self, post: PostContent, handle: str) -> Posted | None:
        """Find the post made with this handle (or for this link); None if it surely does not
        exist. Raises CannotCheck where the platform gives no way to know."""

    def edit(self, remote_id: str, post: PostContent) -> None:
        """Replace the text of the post `remote_id` with `post.text`, in place (only where
        the spec `can_edit`). Sending the same text again is no error. Raises PostGone
        (deleted, or not ours), TransientError (with retry_at), AuthError or
        PermanentError."""
        raise PermanentError(f"{self.label} posts cannot be edited", platform=self.name,
                             reason="cannot_edit")

    def delete(self, remote_id: str) -> bool:
        """Delete our post `remote_id` (what `publish` returned). True: deleted now; False:
        it was already gone (the platform answered "not found"), so deleting twice is
        harmless. Raises CannotDelete where the platform will not delete it, TransientError
        (try again later), AuthError or PermanentError."""
        raise CannotDelete(f"{self.label} offers no way to delete a post: delete it by hand",
                           platform=self.name, reason="no_delete")
