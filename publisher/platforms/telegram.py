"""Telegram channel adapter: the Bot API's `sendMessage`, over a plain synchronous httpx client.

Facts (shared/platform-facts/social-platforms.md §2.4):
* `POST {root}/bot{token}/sendMessage` with `chat_id`, `text` and `link_preview_options`;
  Telegram builds the link preview itself. The answer is `{"ok": true, "result": Message}`,
  errors are `{"ok": false, "error_code", "description", "parameters"}`; a 429 carries
  `parameters.retry_after` (seconds).
* The text may hold 4,096 characters "after entities parsing". Entity offsets are UTF-16 code
  units, so we count UTF-16 units: conservative (an emoji outside the BMP counts 2).
* No idempotency and no way for a bot to read channel history: `lookup` raises `CannotCheck`,
  and an unknown outcome needs a person (the pipeline's at-most-once choice).
* `editMessageText` (`chat_id`, `message_id`, `text`, the same `link_preview_options`)
  returns the edited Message. The same text again is 400 "message is not modified" (so a
  repeat after a crash is done already); a message deleted by hand, or not in this chat, is
  400 "message to edit not found".
* A bot without the right to post answers 400 "need administrator rights in the channel
  chat" (a channel) or "not enough rights to send text messages to the chat" (a group): an
  `AuthError` telling to make the bot an administrator with the right to post messages.

The bot token is part of every URL. It never reaches an exception or a log record: errors are
built from scrubbed text (`CrossPoster.scrub`) and raised `from None` (an httpx error
carries the request and its URL), and publisher.redact rewrites `/bot<token>/` in httpx's
"HTTP Request: ..." lines, as in every log record.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from typing import Any

import httpx

from publisher.platforms.base import (
    CannotCheck,
    CannotDelete,
    CrossPoster,
    NotAPostUrl,
    PostContent,
    Posted,
    PostGone,
    UnknownOutcome,
)
from publisher.platforms.errors import AuthError, PermanentError, PlatformError, TransientError
from publisher.platforms.httpx_errors import json_or_none, transport_error

log = logging.getLogger(__name__)

#: Seconds to wait after a 429 that names no delay (it always should).
DEFAULT_RETRY_AFTER = 60
#: 400 answers for a bot that is in the chat but may not post there: a channel's
#: administrator without "Post Messages" (or no longer an administrator), or a group member
#: restricted from sending messages. Not a bad request: a person must grant the right.
NO_POST_RIGHTS = ("need administrator rights in the channel chat",
                  "not enough rights to send text messages")


class TelegramPoster(CrossPoster):
    """Posts the interview's link to a Telegram channel the bot administers."""

    name = "telegram"

    def new_handle(self) -> str:
        """Telegram has no idempotency key: the handle only records the intent."""
        return uuid.uuid4().hex

    def publish(self, post: PostContent, handle: str) -> Posted:
        payload = {
            "chat_id": self._chat_id,
            "text": post.text,
            "link_preview_options": {"url": post.link, "prefer_large_media": True},
        }
        message = self._call("sendMessage", payload, acting=True)
        message_id = message.get("message_id")
        if message_id is None:
            raise UnknownOutcome("Telegram answered sendMessage without a message_id",
                                 platform=self.name, reason="malformed_answer")
        chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
        log.info("telegram: sent message %s to %s", message_id, self._chat_id)
        return Posted(remote_id=str(message_id), url=_message_url(chat or {}, message_id))

    @classmethod
    def post_id_from_url(cls, url: str) -> str:
        """The message id at the end of its t.me link (`t.me/CHANNEL/ID`, `t.me/c/N/ID`)."""
        found = _LINK.match(url.strip())
        if found is None:
            raise NotAPostUrl(f"not a Telegram message link: {url!r}")
        return found.group(1)

    def edit(self, remote_id: str, post: PostContent) -> None:
        payload: dict[str, Any] = {
            "chat_id": self._chat_id,
            "message_id": message_id(remote_id),
            "text": post.text,
            "link_preview_options": {"url": post.link, "prefer_large_media": True},
        }
        try:
            self._call("editMessageText", payload, acting=False)
        except PermanentError as exc:
            said = str(exc).lower()
            if "message is not modified" in said:
                return  # it already says this: an edit repeated after a crash
            if "message to edit not found" in said:
                raise PostGone(f"Telegram has no message {remote_id} in {self._chat_id} any "
                               "more (\"message to edit not found\"): it was deleted",
                               platform=self.name, reason="not_found") from None
            raise
        log.info("telegram: edited message %s in %s", remote_id, self._chat_id)

    def lookup(self, post: PostContent, handle: str) -> Posted | None:
        raise CannotCheck("A Telegram bot cannot read its channel's history: check the channel "
                          f"{self._chat_id} by hand for a post with {post.link}",
                          platform=self.name, reason="no_history_api")

    def delete(self, remote_id: str) -> bool:
        """`deleteMessage`: `true`; 400 "message to delete not found" when it is gone; 400
        "message can't be deleted" once it is 48 hours old (the Bot API's limit), which
        only a person can do, in the channel."""
        try:
            self._call("deleteMessage", {"chat_id": self._chat_id,
                                         "message_id": message_id(remote_id)}, acting=False)
        except PermanentError as exc:
            said = str(exc).lower()
            if "message to delete not found" in said:
                return False
            if "can't be deleted" in said or "can not be deleted" in said:
                raise CannotDelete(f"Telegram will not let the bot delete message {remote_id} "
                                   f"in {self._chat_id} ({exc}): a bot may delete a message "
                                   "only within 48 hours of sending it", platform=self.name,
                                   reason="too_old_to_delete") from None
            raise
        log.info("telegram: deleted message %s in %s", remote_id, self._chat_id)
        return True

    def get_me(self) -> dict[str, Any]:
        """The bot's own profile (`getMe`): a cheap check that the token works."""
        return self._call("getMe", {}, acting=False)

    # ---- plumbing ------------------------------------------------------------------------

    @property
    def _token(self) -> str:
        return str(self.settings.get("bot_token") or "")

    @property
    def _chat_id(self) -> str:
        return str(self.settings.get("chat_id") or "")

    def _call(self, method: str, payload: dict[str, Any], *, acting: bool) -> dict[str, Any]:
        """POST a Bot API method; the `result` object, or a classified error."""
        token = self._token
        if not token.isascii() or not token.isprintable() or any(c in token for c in " /?#"):
            raise AuthError("telegram.bot_token holds characters no bot token has: paste it "
                            "again from @BotFather", platform=self.name, reason="bad_token")
        root = (self.api_root or self.default_root or "").rstrip("/")
        url = f"{root}/bot{token}/{method}"
        try:
            with httpx.Client(timeout=self.timeout) as client:
                response = client.post(url, json=payload)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, acting) from None
        except httpx.InvalidURL as exc:
            raise PermanentError(f"Telegram API root is not a valid URL: "
                                 f"{self.scrub(str(exc))} (check {self.env_root})",
                                 platform=self.name, reason="bad_root") from None
        return self._result(response, acting)

    def _transport_error(self, exc: httpx.HTTPError, acting: bool) -> PlatformError:
        """No answer: see httpx_errors.transport_error."""
        what = f"{type(exc).__name__}: {self.scrub(str(exc))}"
        return transport_error(exc, label=self.label, platform=self.name,
                               env_root=self.env_root, acting=acting, what=what)

    def _result(self, response: httpx.Response, acting: bool) -> dict[str, Any]:
        body = json_or_none(response)
        if response.is_success and body is not None and body.get("ok") is True:
            result = body.get("result")
            return result if isinstance(result, dict) else {"value": result}
        raise self._answer_error(response, body or {}, acting)

    def _answer_error(self, response: httpx.Response, body: dict[str, Any],
                      acting: bool) -> PlatformError:
        status = response.status_code
        description = self.scrub(str(body.get("description") or response.reason_phrase
                                     or status))
        params = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        params = params or {}
        if status == 429 or body.get("error_code") == 429:
            return TransientError(f"Telegram rate limit: {description}", platform=self.name,
                                  reason="rate_limited",
                                  retry_at=_retry_at(params, response.headers))
        config = self._config_error(status, description, params)
        if config is not None:
            return config
        if status >= 500 or response.is_success:
            # A 5xx, or a 2xx we cannot read: Telegram may have acted.
            if acting:
                return UnknownOutcome(f"Telegram answered {status} ({description}): the message "
                                      "may have been posted", platform=self.name,
                                      reason=f"http_{status}")
            return TransientError(f"Telegram answered {status}: {description}",
                                  platform=self.name, reason=f"http_{status}")
        return PermanentError(f"Telegram refused the message: {description}",
                              platform=self.name, reason=f"http_{status}")

    def _config_error(self, status: int, description: str,
                      params: dict[str, Any]) -> AuthError | None:
        """Answers that mean a credential is wrong: the person must fix the named key."""
        if status in (401, 404):
            # 404 is what the Bot API answers for a malformed token (the path matches no bot).
            return AuthError(f"Telegram refused the bot token ({description}): fix "
                             "telegram.bot_token (a token from @BotFather)",
                             platform=self.name, reason="bad_token")
        if status == 403:
            return AuthError(f"Telegram refused to post in {self._chat_id} ({description}): "
                             "add the bot as an administrator of the channel, or fix "
                             "telegram.chat_id", platform=self.name, reason="not_admin")
        if "migrate_to_chat_id" in params:
            return AuthError(f"Telegram: {description}; set telegram.chat_id to "
                             f"{params['migrate_to_chat_id']}", platform=self.name,
                             reason="chat_migrated")
        if status == 400 and any(words in description.lower() for words in NO_POST_RIGHTS):
            return AuthError(f"Telegram refused to post in {self._chat_id} ({description}): "
                             "make the bot an administrator of the channel with the right to "
                             "post messages (the channel's Administrators → the bot → Post "
                             "Messages)", platform=self.name, reason="no_post_rights")
        if status == 400 and "chat not found" in description.lower():
            return AuthError(f"Telegram does not know the chat {self._chat_id} ({description}): "
                             "fix telegram.chat_id (@channelname or the numeric id)",
                             platform=self.name, reason="chat_not_found")
        return None


def _retry_at(params: dict[str, Any], headers: httpx.Headers) -> dt.datetime:
    """When a 429 ends: `parameters.retry_after`, else a `Retry-After` header, else a minute."""
    seconds: float = DEFAULT_RETRY_AFTER
    for raw in (params.get("retry_after"), headers.get("retry-after")):
        try:
            seconds = float(str(raw))
            break
        except ValueError:  # None ("None") or not a number
            continue
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=max(seconds, 0))


_LINK = re.compile(r"^https?://t\.me/(?:c/)?[\w-]+/(\d+)/?$")


def message_id(remote_id: str) -> int | str:
    """The message id a record holds: the id the Bot API gave, or, for a post an organizer
    recorded with `publisher resolve --url`, the one at the end of its t.me link."""
    found = _LINK.match(remote_id.strip())
    if found:
        return int(found.group(1))
    return int(remote_id) if remote_id.lstrip("-").isdigit() else remote_id


def _message_url(chat: dict[str, Any], message_id: object) -> str | None:
    """t.me link: public channels by username, private ones by the id without `-100`."""
    username = chat.get("username")
    if username:
        return f"https://t.me/{username}/{message_id}"
    chat_id = str(chat.get("id") or "")
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return None
