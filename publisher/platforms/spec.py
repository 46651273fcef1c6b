"""One spec per platform: every fact about a platform that more than one module needs.

Configuration (`[x] api_root`, `[x] daily_cap`), schedules (`platforms = [...]`),
credentials.json's sections and which keys are secret, "configured", the post-length check
at `queue add`, `auth status`, `doctor`, `preview`, `status`, the sandbox and its guard all
read this table; none keeps a list of its own. Adding a platform is one spec here, one
adapter module and one loopback fake (see docs/architecture.md, "How to add a platform").

This module is cheap to import: the adapters and fakes are named, not imported, and load
on first use (each pulls in a client library or an HTTP server).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from publisher.text.lengths import graphemes, mastodon_length, utf16_units, x_weighted

if TYPE_CHECKING:
    from publisher.platforms.base import CrossPoster


@dataclass(frozen=True)
class CredentialKey:
    """One key of a platform's section in credentials.json."""

    name: str
    secret: bool = False
    required: bool = True
    #: The value is an address a run sends requests to (checked by the sandbox guard).
    endpoint: bool = False
    #: A list of texts rather than one text.
    is_list: bool = False


@dataclass(frozen=True)
class TextRule:
    """How a platform counts a post, and the most it takes."""

    limit: int
    count: Callable[[str], int]
    unit: str
    max_bytes: int | None = None
    #: For a platform that counts every link as a fixed length its server may report
    #: (Mastodon's `characters_reserved_per_url`): the count given that length, and the
    #: documented length `count` uses.
    count_with_url_length: Callable[[str, int], int] | None = None
    url_length: int | None = None

    def reported(self, limit: int | None, url_length: int | None = None) -> TextRule:
        """This rule with the limit and the link length a server reported (None: the
        documented one)."""
        rule = replace(self, limit=limit or self.limit)
        counter = self.count_with_url_length
        if url_length and counter is not None and url_length != self.url_length:

            def count(text: str) -> int:
                return counter(text, url_length)

            rule = replace(rule, count=count, url_length=url_length)
        return rule

    def problem(self, text: str, limit: int | None = None) -> str | None:
        """What is wrong with the text's length, or None if it fits."""
        limit = limit or self.limit
        length = self.count(text)
        if length > limit:
            return f"{length} {self.unit}, over the limit of {limit} by {length - limit}"
        if self.max_bytes is not None:
            size = len(text.encode("utf-8"))
            if size > self.max_bytes:
                return (f"{size} bytes, over the limit of {self.max_bytes} bytes by "
                        f"{size - self.max_bytes}")
        return None


@dataclass(frozen=True)
class PlatformSpec:
    name: str                                # key in credentials.json, schedules, publisher.toml
    label: str                               # for people
    credentials: tuple[CredentialKey, ...]   # its section of credentials.json
    #: How a post is counted; None for a platform that takes videos, not posts (YouTube).
    text: TextRule | None = None
    env_root: str | None = None              # environment variable overriding the API root
    default_root: str | None = None
    #: Posts a day unless publisher.toml says otherwise (`[x] daily_cap`); None: no cap.
    daily_cap: int | None = None
    #: Whether a post whose outcome is unknown can be looked up (else it needs a person).
    can_lookup: bool = True
    #: Whether a post already out can be edited in place (`CrossPoster.edit`): a correction
    #: of its text is then applied to it; elsewhere the post stays as it was.
    can_edit: bool = False
    #: The server reports its own post limit (Mastodon instances): the check at the door
    #: uses the last one seen, else `text.limit`.
    reports_limit: bool = False
    #: How long after posting the platform lets a post be deleted (Telegram: 48 hours);
    #: None: any time. Past it, a withdrawal asks a person to delete the post by hand.
    delete_window: dt.timedelta | None = None
    #: A post's address as people see it, for `publisher resolve --url` and its errors
    #: (the adapter's `post_id_from_url` reads the id the API takes from it).
    post_url_shape: str | None = None
    adapter: str | None = None               # "module:Class" of the CrossPoster
    fake: str | None = None                  # "module:Class" of the loopback fake

    @property
    def posts(self) -> bool:
        """A cross-posting platform (every one but YouTube)."""
        return self.text is not None

    @property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.credentials if k.required)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.credentials if k.secret)

    @property
    def endpoint_keys(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.credentials if k.endpoint)

    def missing(self, section: Mapping[str, Any]) -> tuple[str, ...]:
        """The required keys left empty or as a placeholder: the one definition of
        "not configured" (any key missing) that the pipeline, `auth status`, `doctor`,
        `preview` and `plan` share."""
        from publisher.credentials import is_placeholder

        return tuple(k for k in self.required_keys if is_placeholder(section.get(k)))

    def configured(self, section: Mapping[str, Any]) -> bool:
        return not self.missing(section)

    def adapter_class(self) -> type[CrossPoster]:
        if self.adapter is None:
            raise LookupError(f"{self.label} has no cross-posting adapter")
        found = _load(self.adapter)
        assert isinstance(found, type)
        return found

    def fake_class(self) -> type[Any]:
        if self.fake is None:
            raise LookupError(f"{self.label} has no loopback fake")
        found = _load(self.fake)
        assert isinstance(found, type)
        return found


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


_Key = CredentialKey

BUILT_IN: tuple[PlatformSpec, ...] = (
    PlatformSpec(
        name="youtube", label="YouTube",
        credentials=(_Key("client_secrets_file"), _Key("token_file")),
        env_root="PUBLISHER_YOUTUBE_API_ROOT", default_root="https://youtube.googleapis.com/",
        fake="publisher.sandbox.youtube:FakeYouTube"),
    PlatformSpec(
        name="x", label="X",
        credentials=(_Key("consumer_key", secret=True), _Key("consumer_secret", secret=True),
                     _Key("access_token", secret=True),
                     _Key("access_token_secret", secret=True)),
        text=TextRule(280, x_weighted, "weighted characters"),
        env_root="PUBLISHER_X_API_ROOT", default_root="https://api.twitter.com",
        daily_cap=17,  # each post with a link costs money (pay-per-use, 2026)
        post_url_shape="https://x.com/NAME/status/NUMBER",
        adapter="publisher.platforms.x:XPoster", fake="publisher.sandbox.x:FakeX"),
    PlatformSpec(
        name="mastodon", label="Mastodon",
        credentials=(_Key("api_base_url", endpoint=True), _Key("access_token", secret=True)),
        text=TextRule(500, mastodon_length, "characters",
                      count_with_url_length=mastodon_length, url_length=23),
        env_root="PUBLISHER_MASTODON_API_ROOT", reports_limit=True,
        can_edit=True,  # PUT /api/v1/statuses/:id
        post_url_shape="https://YOUR-SERVER/@NAME/NUMBER, on the account's own server",
        adapter="publisher.platforms.mastodon:MastodonPoster",
        fake="publisher.sandbox.mastodon:FakeMastodon"),
    PlatformSpec(
        name="bluesky", label="Bluesky",
        credentials=(_Key("handle"), _Key("app_password", secret=True),
                     _Key("service_url", required=False, endpoint=True)),
        text=TextRule(300, graphemes, "graphemes", max_bytes=3000),
        env_root="PUBLISHER_BLUESKY_API_ROOT", default_root="https://bsky.social",
        post_url_shape="https://bsky.app/profile/HANDLE/post/KEY",
        adapter="publisher.platforms.bluesky:BlueskyPoster",
        fake="publisher.sandbox.bluesky:FakeBluesky"),
    PlatformSpec(
        name="telegram", label="Telegram",
        credentials=(_Key("bot_token", secret=True), _Key("chat_id")),
        text=TextRule(4096, utf16_units, "UTF-16 units"),
        env_root="PUBLISHER_TELEGRAM_API_ROOT", default_root="https://api.telegram.org",
        can_lookup=False,  # the Bot API cannot read a channel's history
        can_edit=True,  # editMessageText
        delete_window=dt.timedelta(hours=48),  # deleteMessage's limit
        post_url_shape="https://t.me/CHANNEL/NUMBER",
        adapter="publisher.platforms.telegram:TelegramPoster",
        fake="publisher.sandbox.telegram:FakeTelegram"),
    PlatformSpec(
        name="facebook", label="Facebook",
        credentials=(_Key("page_id"), _Key("page_access_token", secret=True),
                     # optional: sent as appsecret_proof (apps with "Require App Secret")
                     _Key("app_secret", secret=True, required=False)),
        # 63,206 is widely quoted, not in the API reference [unverified]; its unit is
        # undocumented: UTF-16 units are never below it
        text=TextRule(63206, utf16_units, "UTF-16 units"),
        env_root="PUBLISHER_FACEBOOK_GRAPH_ROOT",
        default_root="https://graph.facebook.com/v24.0",
        can_edit=True,  # POST /{page-post-id} with `message`
        post_url_shape=("https://www.facebook.com/PAGE/posts/NUMBER (an address with a "
                        "pfbid… code hides the number: open the post from the Page's "
                        "posts in Meta Business Suite)"),
        adapter="publisher.platforms.facebook:FacebookPoster",
        fake="publisher.sandbox.facebook:FakeFacebook"),
)

_registry: dict[str, PlatformSpec] = {s.name: s for s in BUILT_IN}


def all_specs() -> tuple[PlatformSpec, ...]:
    """Every platform, YouTube first."""
    return tuple(_registry.values())


def names() -> tuple[str, ...]:
    return tuple(_registry)


def crossposters() -> tuple[PlatformSpec, ...]:
    """The platforms that receive posts (every one but YouTube)."""
    return tuple(s for s in _registry.values() if s.posts)


def crosspost_names() -> tuple[str, ...]:
    return tuple(s.name for s in crossposters())


def get(name: str) -> PlatformSpec:
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"unknown platform {name!r} (expected one of "
                          f"{', '.join(_registry)})") from None


def register(spec: PlatformSpec) -> None:
    """Add a platform (its adapter and fake are loaded by name when first used)."""
    if spec.name in _registry or spec.name == "notifications":
        raise ValueError(f"a platform named {spec.name!r} already exists")
    _registry[spec.name] = spec


@contextmanager
def registered(spec: PlatformSpec) -> Iterator[PlatformSpec]:
    """`spec` registered while the block runs (tests)."""
    register(spec)
    try:
        yield spec
    finally:
        _registry.pop(spec.name, None)
