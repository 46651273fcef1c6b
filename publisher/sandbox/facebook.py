"""A loopback fake of the Facebook Graph API, for one Page posting to its feed.

Quick start::

    with FakeFacebook() as fb:
        poster = FacebookPoster({"page_id": fb.page_id, "page_access_token": fb.token},
                                api_root=fb.api_root)      # http://127.0.0.1:PORT/v24.0
        poster.publish(post, poster.new_handle())
        assert len(fb.posts_with(post.link)) == 1

What is modelled (shared/platform-facts/social-platforms.md §2.5)
---------------------------------------------------------------
* Paths with or without a version prefix (`/v24.0/...`). The token is taken from an
  `access_token` parameter (what the Pages API documents) or `Authorization: Bearer|OAuth
  <token>` (what Meta documents for the Graph host elsewhere, e.g. the WhatsApp Cloud API);
  parameters from the query string, a form body or a JSON body.
* `appsecret_proof` (developers.facebook.com/docs/graph-api/securing-requests): the hex
  HMAC-SHA256 of the access token keyed with the app secret (`app_secret`). A proof that
  does not match → 400 code 100 `GraphMethodException` "Invalid appsecret_proof provided in
  the API argument"; with `require_app_secret=True` (the app's "Require App Secret" setting)
  a call without one → 400 code 100 `GraphMethodException` "API calls from the server
  require an appsecret_proof argument". Both are checked after the token.
* Errors in Graph's shape, HTTP 400 unless said: no token → code 2500; an unknown token → 190
  "Invalid OAuth access token - Cannot parse access token"; after
  :meth:`FakeFacebook.revoke_token` → 190 with subcode 460 (or 463 "expired"); a missing
  permission → 403 code 200; an unknown object → code 100 subcode 33; an unknown edge →
  code 100.
* `POST /{page_id}/feed` (`message`, `link`): neither → code 100; a message over 63,206
  characters → code 100 (the limit is the widely quoted one, the error an assumption); the
  same message and link as a post of the last 24 h → `(#506) Duplicate status message`
  (or code 368 "You've already posted this" with ``duplicate_code=368``). Answers
  `{"id": "PAGE_POST"}`.
* `GET /{page_id}/published_posts` (also `/feed`, `/posts`): newest first, only the `fields`
  asked for (plus `id`), `limit` (25 by default, at most 100), `after` cursors; like Graph,
  `paging.next` embeds the access token. `GET /{post_id}`, `GET /me`, `GET /{page_id}`.
* `POST /{post_id}` (`message`): the Page post's text is replaced, `updated_time` set,
  `{"success": true}` answered (the same message again too); no message → code 100; a post
  that is not there (deleted by hand: :meth:`FakeFacebook.delete_by_hand`) → code 100
  subcode 33, as for any unknown object.
* Every authenticated answer carries `X-Business-Use-Case-Usage` for the Page.

Fault injection (one-shot, applied to the next feed post that passes authentication):
:meth:`~FakeFacebook.fail_next_post` (status, and optionally Graph code and message, before or
after storing: a 500 is code 1 and a 503 code 2, as Graph answers), :meth:`~FakeFacebook.
drop_next_post`, :meth:`~FakeFacebook.rate_limit_next_post` (code 80001 with
`estimated_time_to_regain_access` in the usage header), :meth:`~FakeFacebook.delay_next_post`.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import math
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from publisher.sandbox.call_faults import CallFaults, Endpoint
from publisher.sandbox.http import Drop, LoopbackServer, Request, Response
from publisher.sandbox.post_faults import PostFault, PostFaults

MAX_MESSAGE_CHARS = 63206
DUPLICATE_WINDOW = timedelta(hours=24)
DEFAULT_TOKEN = "EAAGsandboxPageAccessToken0123456789abcdefZZ"
DEFAULT_APP_SECRET = "0123456789abcdefsandboxappsecret"
PERMISSIONS = frozenset({"pages_manage_posts", "pages_read_engagement", "pages_show_list",
                         "pages_manage_metadata"})

_VERSION = re.compile(r"^/v\d+\.\d+(?=/)")
_LIST_EDGES = frozenset({"published_posts", "feed", "posts"})
_FAULT_ERRORS = {500: (1, "An unknown error has occurred."),
                 502: (1, "An unknown error has occurred."),
                 503: (2, "An unexpected error has occurred. Please retry your request later."),
                 504: (2, "An unexpected error has occurred. Please retry your request later.")}


class GraphError(Exception):
    """An error answer in the Graph API's shape."""

    def __init__(self, status: int, code: int, message: str, *, subcode: int | None = None,
                 kind: str = "OAuthException", extra: dict[str, Any] | None = None,
                 headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(f"{status} #{code} {message}")
        self.status, self.code, self.message = status, code, message
        self.subcode, self.kind = subcode, kind
        self.extra = extra or {}
        self.headers = headers or []

    def response(self) -> Response:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error.update(self.extra)
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
        return Response.json(self.status, {"error": error}, self.headers)


def graph_time(moment: datetime) -> str:
    """Graph's timestamps: `2026-11-25T17:00:00+0000`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class FakeFacebook(CallFaults, PostFaults, LoopbackServer):
    """The Graph API for one Page and its Page access token."""

    name = "facebook"

    def __init__(self, *, page_id: str = "104857600000001",
                 page_name: str = "Studi Aperti (sandbox)", token: str = DEFAULT_TOKEN,
                 version: str = "v24.0", duplicate_code: int = 506,
                 app_secret: str = DEFAULT_APP_SECRET, require_app_secret: bool = False,
                 host: str = "127.0.0.1", port: int = 0, body_timeout: float = 10.0) -> None:
        super().__init__(host=host, port=port, body_timeout=body_timeout)
        self.page_id = page_id
        self.page_name = page_name
        self.token = token
        self.version = version
        #: 506 "(#506) Duplicate status message" or 368 "You've already posted this".
        self.duplicate_code = duplicate_code
        #: The secret of the app the Page token was made with, and its "Require App Secret".
        self.app_secret = app_secret
        self.require_app_secret = require_app_secret
        self._permissions = set(PERMISSIONS)
        self._token_subcode: int | None = None   # set once revoked
        self._posts: list[dict[str, Any]] = []   # oldest first
        #: Posts deleted through the API, in the order they went.
        self.deleted: list[dict[str, Any]] = []
        self._faults: list[PostFault] = []
        self._ids = itertools.count(122100000000000001)
        self._calls = 0

    @property
    def api_root(self) -> str:
        """What the adapter takes as its Graph root (`https://graph.facebook.com/v24.0`)."""
        return f"{self.root}{self.version}"

    # ---- inspection and set-up -----------------------------------------------------------

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Every post, oldest first (copies), each with the `request` parameters (without the
        token and the proof), `content_type`, `auth` ("header" or "param") and `proof` (an
        appsecret_proof came with it) as they arrived."""
        with self.lock:
            return copy.deepcopy(self._posts)

    # ---- the sandbox's view (publisher/sandbox/platforms.py) ------------------------------

    @classmethod
    def for_sandbox(cls, *, port: int = 0, clock: Callable[[], datetime] | None = None
                    ) -> FakeFacebook:
        """An app with "Require App Secret" on: the sandbox's calls carry the proof."""
        return cls(port=port, require_app_secret=True)

    @property
    def sandbox_root(self) -> str:
        """The value of the platform's API-root environment variable that reaches us."""
        return self.api_root

    def sandbox_credentials(self) -> dict[str, Any]:
        """credentials.json's section for this fake (its own values: nothing secret)."""
        return {"page_id": self.page_id, "page_access_token": self.token,
                "app_secret": self.app_secret}

    def posts_with(self, link: str) -> list[dict[str, Any]]:
        """Posts whose message or link carries `link`."""
        return [p for p in self.posts if link in (p.get("message") or "") or p.get("link") == link]

    def add_post(self, message: str, *, link: str | None = None,
                 created: datetime | None = None) -> str:
        """Put a post on the Page as if made earlier (by us or by a person); its id."""
        with self.lock:
            post = self._new_post({"message": message, **({"link": link} if link else {})},
                                  "", "seed", created or datetime.now(UTC))
        return str(post["id"])

    # ---- fault injection -----------------------------------------------------------------

    def fail_next_post(self, status: int, *, after_storing: bool, code: int | None = None,
                       message: str | None = None) -> None:
        self._add_fault(PostFault("fail", after_storing, status=status, code=code,
                               message=message))

    def revoke_token(self, subcode: int = 460) -> None:
        """The Page token stops working (460: password changed, 463: expired, ...)."""
        with self.lock:
            self._token_subcode = subcode

    def restore_token(self) -> None:
        """The Page token works again (it was renewed)."""
        with self.lock:
            self._token_subcode = None

    def revoke_permission(self, permission: str) -> None:
        with self.lock:
            self._permissions.discard(permission)

    # ---- HTTP ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        try:
            params = self._params(request)
            auth = self._authenticate(request, params)
            result = self._route(request, params, auth)
        except GraphError as exc:
            return exc.response()
        if isinstance(result, Response):
            result.headers.append(("X-Business-Use-Case-Usage", self._usage(0, busy=False)))
        return result

    def _params(self, request: Request) -> dict[str, Any]:
        try:
            return request.params()
        except ValueError as exc:
            raise GraphError(400, 100, "(#100) Invalid JSON body") from exc

    def appsecret_proof(self, token: str | None = None) -> str:
        """The proof Graph expects with `token` (this Page's by default)."""
        return hmac.new(self.app_secret.encode(), (token or self.token).encode(),
                        hashlib.sha256).hexdigest()

    def _authenticate(self, request: Request, params: dict[str, Any]) -> str:
        """Where the token came from ("header" or "param"); raises Graph's auth errors."""
        header = request.header("authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() in ("bearer", "oauth") and value.strip():
            token, where = value.strip(), "header"
        else:
            token, where = str(params.get("access_token") or ""), "param"
        if not token:
            raise GraphError(400, 2500, "An active access token must be used to query "
                             "information about the current user.")
        challenge = [("WWW-Authenticate", 'OAuth "Facebook Platform" "invalid_token" '
                                          '"Invalid OAuth access token data."')]
        if token != self.token:
            raise GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token",
                             headers=challenge)
        with self.lock:
            subcode = self._token_subcode
        if subcode is not None:
            raise GraphError(400, 190, "Error validating access token: The session has been "
                             "invalidated because the user changed their password or Facebook "
                             "has changed the session for security reasons.", subcode=subcode,
                             headers=challenge)
        proof = str(params.get("appsecret_proof") or "")
        if proof and not hmac.compare_digest(proof, self.appsecret_proof(token)):
            raise GraphError(400, 100, "Invalid appsecret_proof provided in the API argument",
                             kind="GraphMethodException")
        if not proof and self.require_app_secret:
            raise GraphError(400, 100, "API calls from the server require an appsecret_proof "
                             "argument", kind="GraphMethodException")
        with self.lock:
            self._calls += 1
        return where

    def _route(self, request: Request, params: dict[str, Any], auth: str) -> Response | Drop:
        path = _VERSION.sub("", request.path).strip("/")
        parts = path.split("/") if path else []
        node = self.page_id if parts[:1] == ["me"] else (parts[0] if parts else "")
        verb = {"POST": "post", "DELETE": "delete"}.get(request.method, "get")
        if node == self.page_id and len(parts) == 2 and parts[1] == "feed" and verb == "post":
            request.tag = "graph.page.feed.post"
            return self._create_post(request, params, auth)
        if node == self.page_id and len(parts) == 2 and verb == "get":
            if parts[1] not in _LIST_EDGES:
                raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field "
                                 f"({parts[1]}) on node type (Page)")
            request.tag = f"graph.page.{parts[1]}"
            return self._list_posts(params)
        if node == self.page_id and len(parts) == 1 and verb == "get":
            request.tag = "graph.page"
            return Response.json(200, {"id": self.page_id, "name": self.page_name})
        if len(parts) == 1 and verb == "post" and node != self.page_id:
            with self.lock:
                found = next((p for p in self._posts if p["id"] == node), None)
            if found is not None:
                request.tag = "graph.post.update"
                post = found
                return self._faulted(request, Endpoint.EDIT,
                                     lambda: self._update_post(post, params))
        if len(parts) == 1 and verb == "delete":
            # DELETE /{post-id}: {"success": true}; a post that is gone (or not the Page's)
            # falls through to code 100/33 below, as Graph answers both.
            with self.lock:
                found = next((p for p in self._posts if p["id"] == node), None)
            if found is not None:
                request.tag = "graph.post.delete"
                gone = found

                def delete() -> Response:
                    with self.lock:
                        if gone in self._posts:
                            self._posts.remove(gone)
                            self.deleted.append(gone)
                    return Response.json(200, {"success": True})

                return self._faulted(request, Endpoint.DELETE, delete)
        if len(parts) == 1 and verb == "get":
            with self.lock:
                found = next((p for p in self._posts if p["id"] == node), None)
            if found is not None:
                request.tag = "graph.post"
                return Response.json(200, _select(found, params.get("fields")))
        raise GraphError(400, 100, f"Unsupported {verb} request. Object with ID '{node}' does "
                         "not exist, cannot be loaded due to missing permissions, or does not "
                         "support this operation. Please read the Graph API documentation at "
                         "https://developers.facebook.com/docs/graph-api", subcode=33,
                         kind="GraphMethodException")

    def _create_post(self, request: Request, params: dict[str, Any],
                     auth: str) -> Response | Drop:
        with self.lock:
            if "pages_manage_posts" not in self._permissions:
                raise GraphError(403, 200, "(#200) If posting to a page, requires both "
                                 "pages_read_engagement and pages_manage_posts permission")
            fault = self._next_fault()
        if fault is not None:
            request.notes.append(f"fault: {fault.kind} after_storing={fault.after_storing}")
        if fault is not None and fault.kind == "rate":
            raise GraphError(400, 80001, "(#80001) There have been too many calls to this Page "
                             "account. Wait a bit and try again. For more info, please refer "
                             "to https://developers.facebook.com/docs/graph-api/overview/"
                             "rate-limiting.", subcode=2494055, extra={"is_transient": True},
                             headers=[("X-Business-Use-Case-Usage",
                                       self._usage(math.ceil(fault.seconds / 60), busy=True))])
        if fault is not None and not fault.after_storing:
            return _fault_answer(fault)
        fields = {k: str(v) for k, v in params.items()
                  if k not in ("access_token", "appsecret_proof")}
        with self.lock:
            self._validate(fields)
            post = self._new_post(fields, request.header("content-type") or "", auth,
                                  datetime.now(UTC), proof="appsecret_proof" in params)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        elif fault is not None:
            return _fault_answer(fault)
        return Response.json(200, {"id": post["id"]})

    def _call_server_error(self, status: int) -> Response:
        return _call_error(status)

    def _call_rate_limited(self, reset_in_s: int) -> Response:
        """Graph's Page throttle (#80001), with the minutes to wait in its usage header."""
        return GraphError(400, 80001, "(#80001) There have been too many calls to this Page "
                          "account. Wait a bit and try again.", subcode=2494055,
                          extra={"is_transient": True},
                          headers=[("X-Business-Use-Case-Usage",
                                    self._usage(math.ceil(reset_in_s / 60), busy=True))]
                          ).response()

    def _update_post(self, post: dict[str, Any], params: dict[str, Any]) -> Response:
        with self.lock:
            if "pages_manage_posts" not in self._permissions:
                raise GraphError(403, 200, "(#200) If posting to a page, requires both "
                                 "pages_read_engagement and pages_manage_posts permission")
            message = str(params.get("message") or "")
            if not message.strip():
                raise GraphError(400, 100, "(#100) Missing message")
            if len(message) > MAX_MESSAGE_CHARS:
                raise GraphError(400, 100, f"(#100) Param message must be at most "
                                 f"{MAX_MESSAGE_CHARS} characters long")
            if message != post["message"]:
                post.setdefault("edits", []).append(post["message"])
                post["message"] = message
                post["updated_time"] = graph_time(datetime.now(UTC))
        return Response.json(200, {"success": True})

    def delete_by_hand(self, post_id: str) -> None:
        """An administrator deleted the post on the Page."""
        with self.lock:
            self._posts = [p for p in self._posts if p["id"] != post_id]

    def _validate(self, fields: dict[str, str]) -> None:
        message, link = fields.get("message", ""), fields.get("link", "")
        if not message.strip() and not link:
            raise GraphError(400, 100, "(#100) Missing message or attachment")
        if len(message) > MAX_MESSAGE_CHARS:
            raise GraphError(400, 100, f"(#100) Param message must be at most "
                             f"{MAX_MESSAGE_CHARS} characters long")
        since = datetime.now(UTC) - DUPLICATE_WINDOW
        if any(p["message"] == message and p.get("link") == (link or None)
               and p["_created"] >= since for p in self._posts):
            if self.duplicate_code == 368:
                raise GraphError(400, 368, "You've already posted this. Posting the same "
                                 "content repeatedly on Facebook isn't allowed.")
            raise GraphError(400, 506, "(#506) Duplicate status message")

    def _new_post(self, fields: dict[str, str], content_type: str, auth: str,
                  created: datetime, *, proof: bool = False) -> dict[str, Any]:
        post_id = f"{self.page_id}_{next(self._ids)}"
        post: dict[str, Any] = {
            "id": post_id, "message": fields.get("message", ""), "link": fields.get("link"),
            "created_time": graph_time(created), "_created": created,
            "permalink_url": f"https://www.facebook.com/{self.page_id}/posts/"
                             f"{post_id.split('_', 1)[1]}",
            "request": dict(fields), "content_type": content_type, "auth": auth,
            "proof": proof}
        self._posts.append(post)
        self._posts.sort(key=lambda p: p["_created"])
        return post

    def _list_posts(self, params: dict[str, Any]) -> Response:
        try:
            limit = min(int(params.get("limit") or 25), 100)
            start = int(base64.b64decode(str(params["after"])).decode().split(":")[1]) \
                if params.get("after") else 0
        except (ValueError, IndexError) as exc:
            raise GraphError(400, 100, "(#100) Invalid limit or cursor") from exc
        with self.lock:
            newest_first = list(reversed(self._posts))
        chunk = newest_first[start:start + limit]
        body: dict[str, Any] = {"data": [_select(p, params.get("fields")) for p in chunk]}
        if chunk:
            body["paging"] = {"cursors": {"before": _cursor(start),
                                          "after": _cursor(start + len(chunk))}}
            if start + len(chunk) < len(newest_first):
                query = {k: str(v) for k, v in params.items() if k != "after"}
                query.update(access_token=self.token, after=_cursor(start + len(chunk)))
                body["paging"]["next"] = (f"{self.api_root}/{self.page_id}/published_posts?"
                                          + urlencode(query))
        return Response.json(200, body)

    def _usage(self, regain_minutes: int, *, busy: bool) -> str:
        with self.lock:
            calls = self._calls
        entry = {"type": "pages", "call_count": 100 if busy else min(calls, 99),
                 "total_cputime": 1, "total_time": 1,
                 "estimated_time_to_regain_access": regain_minutes}
        return json.dumps({self.page_id: [entry]}, separators=(",", ":"))


def _cursor(index: int) -> str:
    return base64.b64encode(f"pos:{index}".encode()).decode()


def _select(post: dict[str, Any], fields: object) -> dict[str, Any]:
    """The post with only the fields asked for (Graph's default is `id` and the basics)."""
    wanted = [f.strip() for f in str(fields).split(",")] if fields else \
        ["created_time", "message", "id"]
    public = {k: v for k, v in post.items()
              if k in ("id", "message", "created_time", "permalink_url") and v}
    return {"id": post["id"], **{k: public[k] for k in wanted if k in public}}


def _call_error(status: int) -> Response:
    answer = _fault_answer(PostFault("fail", status=status))
    assert isinstance(answer, Response)
    return answer


def _fault_answer(fault: PostFault) -> Response | Drop:
    if fault.kind == "drop":
        return Drop()
    code, message = _FAULT_ERRORS.get(fault.status, (100, "(#100) Invalid parameter"))
    extra = {"is_transient": True} if fault.status >= 500 else None
    return GraphError(fault.status, fault.code if fault.code is not None else code,
                      fault.message or message, extra=extra).response()
