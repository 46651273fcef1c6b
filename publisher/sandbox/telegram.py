"""A loopback fake of the Telegram Bot API (the part a channel-posting bot uses).

Quick start::

    with FakeTelegram() as tg:
        poster = TelegramPoster({"bot_token": tg.token, "chat_id": tg.chat_username},
                                api_root=tg.api_root)
        poster.publish(post, poster.new_handle())
        assert len(tg.posts_with(post.link)) == 1

What is modelled (shared/platform-facts/social-platforms.md §2.4)
---------------------------------------------------------------
* Paths `/bot<token>/<method>`, GET or POST; method names are case-insensitive (as in the Bot
  API). Parameters from the query string, a form body or a JSON body (nested objects such as
  `link_preview_options` arrive JSON-encoded in a form). Answers are
  `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"[, "parameters"]}`.
* A path that names no well-formed token, or an unknown method → 404 `Not Found`; a
  well-formed token the fake does not know (or after :meth:`FakeTelegram.revoke_token`) →
  401 `Unauthorized`.
* `getMe` → the bot's User; `getChat` → the channel.
* `sendMessage` to the channel (`chat_id` = its numeric id or `@username`): text required
  (400 `message text is empty`), at most 4,096 UTF-16 units (400 `message is too long`: the
  unit is our assumption, the facts leave it open), another chat → 400 `chat not found`;
  after :meth:`FakeTelegram.remove_bot` → 403 `bot is not a member of the channel chat`;
  after :meth:`FakeTelegram.demote_bot` (the bot is still in the chat, without the right to
  post) → 400 `need administrator rights in the channel chat` in a channel, or 400 `not
  enough rights to send text messages to the chat` in a group (`chat_type="supergroup"`),
  the Bot API's answers for a bot that may not post there. The Message has `message_id`,
  `sender_chat` (`from` in a group), `chat`, `date`, `text`, `link_preview_options` and
  `url`/`hashtag` `entities` with offsets in UTF-16 units, as Telegram counts them.

* `editMessageText` (`chat_id`, `message_id`, `text`, optional `link_preview_options`): a
  message not in the chat (deleted by hand: :meth:`FakeTelegram.delete_by_hand`) → 400
  `message to edit not found`; no `message_id` → 400 `message identifier is not
  specified`; the same text and preview → 400 `message is not modified: ...`; else the text
  is replaced, `edit_date` set, and the edited Message returned.

Fault injection (one-shot, applied to the next `sendMessage` that passes authentication):
:meth:`~FakeTelegram.fail_next_post` (an error status, before or after storing the message),
:meth:`~FakeTelegram.drop_next_post` (close the connection without answering),
:meth:`~FakeTelegram.rate_limit_next_post` (429 with `parameters.retry_after`),
:meth:`~FakeTelegram.delay_next_post` (store, then answer late: a client timeout).
"""

from __future__ import annotations

import copy
import json
import re
import time
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from publisher.sandbox.call_faults import CallFaults, Endpoint
from publisher.sandbox.http import Drop, LoopbackServer, Request, Response
from publisher.sandbox.post_faults import PostFault, PostFaults

MAX_TEXT_UTF16 = 4096
DEFAULT_TOKEN = "7000000001:AAHsandbox-bot-token_for-tests-0123456"

_PATH = re.compile(r"^/bot(?P<token>[^/]*)/(?P<method>[A-Za-z]+)$")
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")
_HASHTAG = re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")


class BotApiError(Exception):
    """An error answer in the Bot API's shape."""

    def __init__(self, status: int, description: str,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.parameters = parameters

    def response(self) -> Response:
        payload: dict[str, Any] = {"ok": False, "error_code": self.status,
                                   "description": self.description}
        if self.parameters:
            payload["parameters"] = self.parameters
        return Response.json(self.status, payload)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


#: A bot may delete a message only this long after it was sent (deleteMessage).
DELETE_WINDOW_S = 48 * 3600


class FakeTelegram(CallFaults, PostFaults, LoopbackServer):
    """The Bot API for one bot that administers one channel."""

    name = "telegram"

    def __init__(self, *, token: str = DEFAULT_TOKEN, bot_username: str = "studiaperti_bot",
                 chat_id: int = -1001987654321, chat_username: str | None = "studiaperti_sandbox",
                 chat_title: str = "Studi Aperti (sandbox)", chat_type: str = "channel",
                 host: str = "127.0.0.1", port: int = 0, body_timeout: float = 10.0) -> None:
        super().__init__(host=host, port=port, body_timeout=body_timeout)
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.chat_id = chat_id
        self.chat_username = f"@{chat_username}" if chat_username else None
        self.chat_title = chat_title
        if chat_type not in ("channel", "supergroup", "group"):
            raise ValueError(f"chat_type {chat_type!r}: expected channel, supergroup or group")
        self.chat_type = chat_type
        self._tokens = {token}
        self._bot_in_channel = True
        self._bot_may_post = True
        self._posts: list[dict[str, Any]] = []
        self._faults: list[PostFault] = []
        self._next_message_id = 100
        self._deleted: list[dict[str, Any]] = []

    @property
    def api_root(self) -> str:
        """What the adapter takes as its API root (`https://api.telegram.org` for real)."""
        return self.root.rstrip("/")

    # ---- inspection ----------------------------------------------------------------------

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Every message stored, oldest first (copies), each with the `request` parameters
        and `content_type` as they arrived on the wire."""
        with self.lock:
            return copy.deepcopy(self._posts)

    @property
    def deleted(self) -> list[dict[str, Any]]:
        """The messages deleted with deleteMessage, in the order they went."""
        with self.lock:
            return copy.deepcopy(self._deleted)

    def age_post(self, message_id: int, delta: timedelta) -> None:
        """Make a stored message `delta` older (past 48 hours, it can no longer be deleted)."""
        with self.lock:
            for post in self._posts:
                if post["message_id"] == message_id:
                    post["date"] -= int(delta.total_seconds())

    # ---- the sandbox's view (publisher/sandbox/platforms.py) ------------------------------

    @property
    def sandbox_root(self) -> str:
        """The value of the platform's API-root environment variable that reaches us."""
        return self.api_root

    def sandbox_credentials(self) -> dict[str, Any]:
        return {"bot_token": self.token, "chat_id": self.chat_username}

    def posts_with(self, link: str) -> list[dict[str, Any]]:
        """Messages whose text or link preview carries `link`."""
        return [p for p in self.posts
                if link in p["text"] or (p.get("link_preview_options") or {}).get("url") == link]

    # ---- fault injection -----------------------------------------------------------------

    def fail_next_post(self, status: int, *, after_storing: bool) -> None:
        self._add_fault(PostFault("fail", after_storing, status=status))

    def revoke_token(self) -> None:
        """The bot's token was revoked in @BotFather: every call gets 401."""
        with self.lock:
            self._tokens.clear()

    def restore_token(self) -> None:
        """The bot token works again (a fresh one from @BotFather was filled in)."""
        with self.lock:
            self._tokens = {self.token}

    def remove_bot(self) -> None:
        """The bot is no longer in the chat: sendMessage gets 403."""
        with self.lock:
            self._bot_in_channel = False

    def demote_bot(self) -> None:
        """The bot stays in the chat but may not post: in a channel it is no longer an
        administrator with the right to post messages, in a group it is restricted from
        sending messages. sendMessage gets 400, as from the Bot API."""
        with self.lock:
            self._bot_may_post = False

    def promote_bot(self) -> None:
        """The bot is an administrator with the right to post again."""
        with self.lock:
            self._bot_in_channel = True
            self._bot_may_post = True

    # ---- HTTP ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        try:
            match = _PATH.match(request.path)
            if not match or not _TOKEN_SHAPE.match(match["token"]):
                raise BotApiError(404, "Not Found")
            method = match["method"].lower()
            request.tag = f"telegram.{method}"
            handler = {"getme": self._get_me, "getchat": self._get_chat,
                       "sendmessage": self._send_message,
                       "editmessagetext": self._edit_message_text,
                       "deletemessage": self._delete_message}.get(method)
            if handler is None:
                raise BotApiError(404, "Not Found")
            with self.lock:
                known = match["token"] in self._tokens
            if not known:
                raise BotApiError(401, "Unauthorized")
            endpoint = {"editmessagetext": Endpoint.EDIT,
                        "deletemessage": Endpoint.DELETE}.get(method)
            if endpoint is not None:
                return self._faulted(request, endpoint, lambda: handler(request))
            return handler(request)
        except BotApiError as exc:
            return exc.response()

    def _params(self, request: Request) -> dict[str, Any]:
        try:
            return request.params()
        except ValueError as exc:
            raise BotApiError(400, "Bad Request: can't parse JSON body") from exc

    def _user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Studi Aperti",
                "username": self.bot_username, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}

    def _chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "title": self.chat_title,
                                "type": self.chat_type}
        if self.chat_username:
            chat["username"] = self.chat_username[1:]
        return chat

    def _get_me(self, request: Request) -> Response:
        self._params(request)
        return Response.json(200, {"ok": True, "result": self._user()})

    def _get_chat(self, request: Request) -> Response:
        self._resolve_chat(self._params(request).get("chat_id"))
        return Response.json(200, {"ok": True, "result": {**self._chat(), "accent_color_id": 0,
                                                          "max_reaction_count": 11}})

    def _resolve_chat(self, chat_id: Any) -> None:
        if chat_id is None or chat_id == "":
            raise BotApiError(400, "Bad Request: chat_id is empty")
        text = str(chat_id)
        if text == str(self.chat_id):
            return
        if self.chat_username and text.lower() == self.chat_username.lower():
            return
        raise BotApiError(400, "Bad Request: chat not found")

    def _send_message(self, request: Request) -> Response | Drop:
        ctype = request.header("content-type") or ""
        params = self._params(request)
        self._resolve_chat(params.get("chat_id"))
        with self.lock:
            if not self._bot_in_channel:
                raise BotApiError(403, f"Forbidden: bot is not a member of the "
                                       f"{self.chat_type} chat")
            if not self._bot_may_post:
                raise BotApiError(400, "Bad Request: need administrator rights in the "
                                       "channel chat" if self.chat_type == "channel" else
                                       "Bad Request: not enough rights to send text messages "
                                       "to the chat")
            fault = self._next_fault()
        if fault is not None:
            request.notes.append(f"fault: {fault.kind} after_storing={fault.after_storing}")
        if fault is not None and fault.kind == "rate":
            seconds = int(fault.seconds)
            raise BotApiError(429, f"Too Many Requests: retry after {seconds}",
                              {"retry_after": seconds})
        if fault is not None and not fault.after_storing:
            return _fault_answer(fault)
        message = self._store(params, ctype)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        elif fault is not None:
            return _fault_answer(fault)
        return Response.json(200, {"ok": True, "result": message})

    def delete_by_hand(self, message_id: int | str) -> None:
        """An administrator deleted the message in the channel."""
        with self.lock:
            self._posts = [p for p in self._posts if str(p["message_id"]) != str(message_id)]

    def _call_server_error(self, status: int) -> Response:
        return _call_answer(status)

    def _call_rate_limited(self, reset_in_s: int) -> Response:
        return _call_answer(429, reset_in_s)

    def _edit_message_text(self, request: Request) -> Response:
        params = self._params(request)
        self._resolve_chat(params.get("chat_id"))
        raw_id = params.get("message_id")
        if raw_id is None or raw_id == "":
            raise BotApiError(400, "Bad Request: message identifier is not specified")
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT_UTF16:
            raise BotApiError(400, "Bad Request: message is too long")
        preview = _link_preview_options(params.get("link_preview_options"))
        with self.lock:
            if not self._bot_in_channel:
                raise BotApiError(403, f"Forbidden: bot is not a member of the "
                                       f"{self.chat_type} chat")
            stored = next((p for p in self._posts if str(p["message_id"]) == str(raw_id)),
                          None)
            if stored is None:
                raise BotApiError(400, "Bad Request: message to edit not found")
            if stored["text"] == text and (preview is None or
                                           stored.get("link_preview_options") == preview):
                raise BotApiError(400, "Bad Request: message is not modified: specified new "
                                       "message content and reply markup are exactly the "
                                       "same as a current content and reply markup of the "
                                       "message")
            stored.setdefault("edits", []).append(stored["text"])
            stored["text"] = text
            stored["entities"] = entities(text)
            stored["edit_date"] = int(time.time())
            if preview:
                stored["link_preview_options"] = preview
            message = {k: copy.deepcopy(v) for k, v in stored.items()
                       if k not in ("request", "content_type", "edits")}
        return Response.json(200, {"ok": True, "result": message})

    def _delete_message(self, request: Request) -> Response:
        """deleteMessage: `true`; "message to delete not found" for one that is not there
        (never sent, or deleted already); "message can't be deleted" once it is 48 hours
        old (the Bot API's limit, whatever the bot's rights)."""
        params = self._params(request)
        self._resolve_chat(params.get("chat_id"))
        raw = params.get("message_id")
        try:
            message_id = int(str(raw))
        except ValueError:
            raise BotApiError(400, "Bad Request: message identifier is not specified") from None
        with self.lock:
            found = next((p for p in self._posts if p["message_id"] == message_id), None)
            if found is None:
                raise BotApiError(400, "Bad Request: message to delete not found")
            if time.time() - found["date"] >= DELETE_WINDOW_S:
                raise BotApiError(400, "Bad Request: message can't be deleted")
            self._posts.remove(found)
            self._deleted.append(found)
        return Response.json(200, {"ok": True, "result": True})

    def _store(self, params: dict[str, Any], content_type: str) -> dict[str, Any]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT_UTF16:
            raise BotApiError(400, "Bad Request: message is too long")
        preview = _link_preview_options(params.get("link_preview_options"))
        with self.lock:
            self._next_message_id += 1
            # A channel post is signed by the channel; in a group the bot is the sender.
            sender = ({"sender_chat": self._chat()} if self.chat_type == "channel"
                      else {"from": self._user()})
            message: dict[str, Any] = {
                "message_id": self._next_message_id, **sender,
                "chat": self._chat(), "date": int(time.time()), "text": text,
                "entities": entities(text)}
            if preview:
                message["link_preview_options"] = preview
            self._posts.append({**copy.deepcopy(message), "request": copy.deepcopy(params),
                                "content_type": content_type})
        return message


def _call_answer(status: int, reset_in_s: int = 0) -> Response:
    """An edit or delete fault in the Bot API's shape: a 5xx, or 429 with `retry_after`."""
    if status == 429:
        return BotApiError(429, f"Too Many Requests: retry after {reset_in_s}",
                           {"retry_after": reset_in_s}).response()
    answer = _fault_answer(PostFault("fail", status=status))
    assert isinstance(answer, Response)
    return answer


def _fault_answer(fault: PostFault) -> Response | Drop:
    if fault.kind == "drop":
        return Drop()
    try:
        phrase = HTTPStatus(fault.status).phrase
    except ValueError:
        phrase = "Error"
    return BotApiError(fault.status, phrase).response()


def _link_preview_options(raw: Any) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise BotApiError(400, "Bad Request: can't parse link preview options JSON "
                              "object") from exc
    if not isinstance(raw, dict):
        raise BotApiError(400, "Bad Request: can't parse link preview options JSON object")
    return raw


def entities(text: str) -> list[dict[str, Any]]:
    """`url` and `hashtag` entities, offsets and lengths in UTF-16 units (as Telegram sends)."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in (("url", _URL), ("hashtag", _HASHTAG)):
        found.extend((m.start(), m.end(), kind) for m in pattern.finditer(text))
    found.sort()
    result: list[dict[str, Any]] = []
    last_end = -1
    for start, end, kind in found:
        if start < last_end:
            continue  # a '#fragment' inside a URL
        result.append({"type": kind, "offset": utf16_len(text[:start]),
                       "length": utf16_len(text[start:end])})
        last_end = end
    return result
