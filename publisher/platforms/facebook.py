"""Facebook Page adapter: the Graph API's `/{page_id}/feed`, over a plain synchronous httpx client.

Facts (shared/platform-facts/social-platforms.md §2.5):
* `POST {root}/{page_id}/feed` with `message` and `link`, as the Page (Page access token with
  `pages_manage_posts` and `pages_read_engagement`); the answer is `{"id": "PAGE_POST"}`.
  Errors are `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id", ...}}`.
* No idempotency key, and **duplicates have been created despite HTTP 500 answers**
  (koala#699): a 5xx (or Graph code 1/2) is an unknown outcome, resolved by `lookup`, which
  lists `/{page_id}/published_posts` and matches the link inside `message`.
* A duplicate is refused with `(#506) Duplicate status message` or code 368 "You've already
  posted this": the post is looked up and returned. koala#422 reports a 368 with nothing on
  the page, so a duplicate we cannot find is a PermanentError for a person, never a loop.
* An edit is `POST {root}/{page_post_id}` with the new `message` (the link stays): the
  answer is `{"success": true}`; the same message again succeeds too. A post deleted by hand
  (or not the Page's) is code 100 subcode 33 "Unsupported post request. Object with ID ...
  does not exist".
* Throttling: codes 4, 17, 32, 613, 80001; `X-Business-Use-Case-Usage` (and `X-Page-Usage`)
  carry `estimated_time_to_regain_access` in minutes.

How the Page token is sent, the documented ways, and never in a URL (so neither httpx's
request log nor its exceptions can show it):
* a post (`POST /{page_id}/feed`) carries it as the `access_token` form parameter, as the
  Pages API documents it (developers.facebook.com/docs/pages/publishing);
* a read (`GET /published_posts`) has no body, and a query parameter would put the token in
  the URL: it goes in an `Authorization: Bearer` header, which Graph also takes (Meta
  documents it for graph.facebook.com in the WhatsApp Cloud API).
Graph's `paging.next` URLs embed the token, so pagination uses the `after` cursor with our
own parameters instead.

With `app_secret` configured every call also carries `appsecret_proof`, the hex HMAC-SHA256
of the token keyed with the app secret (developers.facebook.com/docs/graph-api/securing-
requests): an app with "Require App Secret" on refuses calls without it (code 100, "API calls
from the server require an appsecret_proof argument"), and a proof made with another app's
secret is refused too ("Invalid appsecret_proof ..."); both are `AuthError`s naming
`facebook.app_secret`. The proof is kept out of logs and errors like the token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import uuid
from typing import Any
from urllib.parse import parse_qs

import httpx

from publisher.platforms.base import (
    CannotCheck,
    CrossPoster,
    NotAPostUrl,
    PostContent,
    Posted,
    PostGone,
    UnknownOutcome,
    is_placeholder,
)
from publisher.platforms.errors import AuthError, PermanentError, PlatformError, TransientError
from publisher.platforms.httpx_errors import json_or_none, transport_error
from publisher.redact import register

log = logging.getLogger(__name__)

THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001})
AUTH_CODES = frozenset({102, 190, 2500})
UNKNOWN_ERROR_CODES = frozenset({1, 2})  # "An unknown error ...", "Service temporarily ..."
DEFAULT_THROTTLE_WAIT = dt.timedelta(hours=1)
LOOKUP_FIELDS = "id,message,permalink_url,created_time"
#: How far before the handle's time a post may be dated (clock skew between us and Meta).
CLOCK_SKEW = dt.timedelta(minutes=15)
_HANDLE_TIME = "%Y%m%dT%H%M%SZ"

_TOKEN_SUBCODES = {
    458: "the app is no longer installed",
    459: "the account is checkpointed: log in to Facebook",
    460: "the password changed",
    463: "the token has expired",
    464: "the account is not confirmed",
    467: "the token is no longer valid",
}


class DuplicatePost(PermanentError):
    """Facebook refused the post as already posted (#506, or 368 "already posted")."""


#: A Page post's address: `/PAGE/posts/POST` (PAGE a number or the Page's name, POST a
#: number), or `/permalink.php?story_fbid=POST&id=PAGE`.
_FB_HOST = r"^https?://(?:(?:www|m|web|business)\.)?facebook\.com/"
_POST_URL = re.compile(_FB_HOST + r"([\w.-]+)/posts/(\d{1,30})/?(?:[?#].*)?$", re.IGNORECASE)
_PERMALINK = re.compile(_FB_HOST + r"(?:permalink|story)\.php\?([^#]*)(?:#.*)?$",
                        re.IGNORECASE)

class FacebookPoster(CrossPoster):
    """Posts the interview's link on a Facebook Page, as the Page."""

    name = "facebook"

    #: Posts per `published_posts` page, and how many pages `lookup` may read.
    lookup_page_size = 100
    lookup_max_pages = 10

    def new_handle(self) -> str:
        """A timestamped handle: `lookup` stops reading at posts older than it."""
        return f"{dt.datetime.now(dt.UTC):{_HANDLE_TIME}}-{uuid.uuid4().hex[:12]}"

    def publish(self, post: PostContent, handle: str) -> Posted:
        try:
            body = self._graph("POST", f"{self._page_id}/feed",
                               data={"message": post.text, "link": post.link}, acting=True)
        except DuplicatePost as dup:
            # The earlier post may predate this handle (a lost record, a new attempt): search
            # without the handle's cutoff.
            try:
                found = self._find(post, cutoff=None)
            except CannotCheck:
                found = None
            if found is None:
                raise DuplicatePost(f"{dup} - yet no post with {post.link} is on the Page: "
                                    "check the Page by hand", platform=self.name,
                                    reason="duplicate_not_found") from None
            log.info("facebook: %s was already posted as %s", post.link, found.remote_id)
            return found
        post_id = body.get("id")
        if not post_id:
            raise UnknownOutcome("Facebook answered the post without an id",
                                 platform=self.name, reason="malformed_answer")
        log.info("facebook: posted %s", post_id)
        return Posted(remote_id=str(post_id), url=_permalink(str(post_id)))

    def lookup(self, post: PostContent, handle: str) -> Posted | None:
        return self._find(post, cutoff=_handle_time(handle))

    @classmethod
    def post_id_from_url(cls, url: str) -> str:
        """`PAGE_POST` from a Page post's address: `facebook.com/PAGE/posts/POST` (PAGE
        the Page's number, or its name: then POST alone, completed with the configured
        page_id when acted on) or `permalink.php?story_fbid=POST&id=PAGE`. An address with a
        `pfbid…` code hides the post's number, and is refused."""
        found = _POST_URL.match(url.strip())
        if found is not None:
            page, post = found.group(1), found.group(2)
            return f"{page}_{post}" if page.isdigit() else post
        found = _PERMALINK.match(url.strip())
        if found is not None:
            query = parse_qs(found.group(1))
            post = (query.get("story_fbid") or [""])[0]
            page = (query.get("id") or [""])[0]
            if post.isdigit() and page.isdigit():
                return f"{page}_{post}"
        raise NotAPostUrl(f"not a Facebook Page post address with the post's number: {url!r}")

    def _post_node(self, remote_id: str) -> str:
        """The Graph node of a recorded post: `PAGE_POST`, its page part added to a post
        number recorded from an address that named the Page by name."""
        post_id = self.post_id(remote_id)
        if post_id.isdigit() and self._page_id:
            return f"{self._page_id}_{post_id}"
        return post_id

    def edit(self, remote_id: str, post: PostContent) -> None:
        try:
            body = self._graph("POST", self._post_node(remote_id), data={"message": post.text},
                               acting=False)
        except AuthError as exc:
            if exc.reason == "unknown_page":  # code 100/33 on the post's own node
                raise PostGone(f"Facebook has no post {remote_id} any more (it was deleted, "
                               f"or is not the Page's): {exc}", platform=self.name,
                               reason="not_found") from None
            raise
        if body.get("success") is not True:
            raise TransientError(f"Facebook answered the edit of {remote_id} without "
                                 "success", platform=self.name, reason="malformed_answer")
        log.info("facebook: edited %s", remote_id)

    def delete(self, remote_id: str) -> bool:
        """`DELETE /{post-id}`: `{"success": true}`. A post that is gone is answered with
        code 100/33 ("does not exist, cannot be loaded due to missing permissions"): for
        an id we posted, gone."""
        try:
            body = self._graph("DELETE", self._post_node(remote_id), acting=False)
        except AuthError as exc:
            if exc.reason == "unknown_page":  # code 100/33 on the post's own id
                return False
            raise
        if body.get("success") is not True:
            raise TransientError(f"Facebook answered the delete of {remote_id} without "
                                 "success", platform=self.name, reason="not_deleted")
        log.info("facebook: deleted %s", remote_id)
        return True

    # ---- plumbing ------------------------------------------------------------------------

    def _find(self, post: PostContent, *, cutoff: dt.datetime | None) -> Posted | None:
        """The Page's post carrying the link, newest first, until found, the posts predate
        `cutoff`, or the list ends; `CannotCheck` if `lookup_max_pages` pages were not enough
        to know."""
        after: str | None = None
        for _ in range(self.lookup_max_pages):
            params = {"fields": LOOKUP_FIELDS, "limit": str(self.lookup_page_size)}
            if after:
                params["after"] = after
            body = self._graph("GET", f"{self._page_id}/published_posts", params=params,
                               acting=False)
            items = [i for i in body.get("data") or [] if isinstance(i, dict)]
            for item in items:
                if item.get("id") and carries(str(item.get("message") or ""), post.link):
                    return Posted(remote_id=str(item["id"]),
                                  url=item.get("permalink_url") or _permalink(str(item["id"])))
            if cutoff is not None and any(_older(i, cutoff) for i in items):
                return None
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            cursors = (paging or {}).get("cursors") or {}
            after = cursors.get("after") if isinstance(cursors, dict) else None
            if not items or not (paging or {}).get("next") or not after:
                return None
        raise CannotCheck(f"{post.link} is not among the Page's newest "
                          f"{self.lookup_max_pages * self.lookup_page_size} posts, which do not "
                          "reach back to the attempt: check the Page by hand",
                          platform=self.name, reason="lookup_exhausted")

    @property
    def _page_id(self) -> str:
        return str(self.settings.get("page_id") or "")

    @property
    def _token(self) -> str:
        return str(self.settings.get("page_access_token") or "")

    @property
    def _proof(self) -> str | None:
        """`appsecret_proof` for the token, when `app_secret` is configured."""
        secret = self.settings.get("app_secret")
        if is_placeholder(secret):
            return None
        proof = appsecret_proof(self._token, str(secret).strip())
        register(proof)  # as secret as the token: keep it out of every log line
        return proof

    def scrub(self, text: str) -> str:
        """As every adapter's, and the proof too."""
        from publisher.redact import scrub

        return scrub(super().scrub(text), self._proof)

    def _graph(self, method: str, path: str, *, acting: bool,
               data: dict[str, str] | None = None,
               params: dict[str, str] | None = None) -> dict[str, Any]:
        """One Graph call; the JSON object answered, or a classified error."""
        token = self._token
        if not token.isascii() or not token.isprintable() or " " in token:
            raise AuthError("facebook.page_access_token holds characters no token has: "
                            "paste it again", platform=self.name, reason="malformed_token")
        url = f"{(self.api_root or self.default_root or '').rstrip('/')}/{path}"
        proof = {"appsecret_proof": self._proof} if self._proof else {}
        headers: dict[str, str] = {}
        if method == "POST":  # the documented access_token parameter, in the body
            data = {**(data or {}), "access_token": token, **proof}
        else:                 # no body: a header keeps the token out of the URL
            headers["Authorization"] = f"Bearer {token}"
            params = {**(params or {}), **proof}
        try:
            with httpx.Client(timeout=self.timeout) as client:
                response = client.request(method, url, data=data, params=params,
                                          headers=headers)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, acting) from None
        except httpx.InvalidURL as exc:
            raise PermanentError(f"The Graph API root is not a valid URL "
                                 f"({self.scrub(str(exc))}): check {self.env_root}",
                                 platform=self.name, reason="bad_root") from None
        body = json_or_none(response)
        if response.is_success and body is not None and "error" not in body:
            return body
        raise self._graph_error(response, body or {}, acting)

    def _transport_error(self, exc: httpx.HTTPError, acting: bool) -> PlatformError:
        """No answer: see httpx_errors.transport_error."""
        if isinstance(exc, httpx.LocalProtocolError):
            what = "LocalProtocolError"  # its text may quote a header (the token)
        else:
            what = f"{type(exc).__name__}: {self.scrub(str(exc))}"
        return transport_error(exc, label=self.label, platform=self.name,
                               env_root=self.env_root, acting=acting, what=what)

    def _graph_error(self, response: httpx.Response, body: dict[str, Any],
                     acting: bool) -> PlatformError:
        status = response.status_code
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        error = error or {}
        code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
        message = self.scrub(str(error.get("message") or response.reason_phrase or status))
        where = f"(code {code}{f'/{subcode}' if subcode else ''}, HTTP {status})"
        said = " ".join(str(error.get(k) or "") for k in
                        ("message", "error_user_title", "error_user_msg")).lower()
        if code in THROTTLE_CODES or status == 429:
            return TransientError(f"Facebook rate limit: {message} {where}", platform=self.name,
                                  reason="rate_limited", retry_at=regain_at(response.headers))
        if code == 506 or (code == 368 and "already posted" in said):
            return DuplicatePost(f"Facebook refused a duplicate: {message} {where}",
                                 platform=self.name, reason="duplicate")
        if code in AUTH_CODES or status == 401:
            why = _TOKEN_SUBCODES.get(subcode or 0, message)
            return AuthError(f"Facebook refused the Page access token ({why}) {where}: renew "
                             "facebook.page_access_token", platform=self.name,
                             reason="bad_token")
        if code == 10 or (code is not None and 200 <= code <= 299):
            return AuthError(f"Facebook: the Page access token lacks a permission ({message}) "
                             f"{where}: renew facebook.page_access_token with pages_manage_posts "
                             "and pages_read_engagement", platform=self.name,
                             reason="permission")
        if code == 100 and "appsecret_proof" in said:
            if self._proof is None:
                return AuthError(f"Facebook: the app requires appsecret_proof (its \"Require "
                                 f"App Secret\" setting) ({message}) {where}: set "
                                 "facebook.app_secret (the app's App settings → Basic → App "
                                 "secret)", platform=self.name, reason="app_secret_required")
            return AuthError(f"Facebook refused the appsecret_proof ({message}) {where}: fix "
                             "facebook.app_secret (the secret of the app the Page token was "
                             "made with)", platform=self.name, reason="app_secret_wrong")
        if code == 803 or (code == 100 and subcode == 33):
            return AuthError(f"Facebook does not know the Page {self._page_id} ({message}) "
                             f"{where}: fix facebook.page_id", platform=self.name,
                             reason="unknown_page")
        if status >= 500 or code in UNKNOWN_ERROR_CODES or response.is_success:
            if acting:
                return UnknownOutcome(f"Facebook answered {message} {where}: the post may have "
                                      "been made", platform=self.name, reason=f"http_{status}")
            return TransientError(f"Facebook answered {message} {where}", platform=self.name,
                                  reason=f"http_{status}")
        return PermanentError(f"Facebook refused the post: {message} {where}",
                              platform=self.name, reason=f"code_{code}")


def appsecret_proof(token: str, app_secret: str) -> str:
    """Graph's `appsecret_proof`: HMAC-SHA256 of the access token keyed with the app secret,
    in hex."""
    return hmac.new(app_secret.encode("utf-8"), token.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def regain_at(headers: httpx.Headers) -> dt.datetime:
    """When a throttled Page may call again: the largest `estimated_time_to_regain_access`
    (minutes) in the usage headers, else an hour from now."""
    minutes = [m for name in ("x-business-use-case-usage", "x-page-usage")
               for m in _regain_minutes(headers.get(name))]
    wait = dt.timedelta(minutes=max(minutes)) if minutes and max(minutes) > 0 \
        else DEFAULT_THROTTLE_WAIT
    return dt.datetime.now(dt.UTC) + wait


def _regain_minutes(raw: str | None) -> list[float]:
    """`estimated_time_to_regain_access` values in a usage header: BUC's
    `{id: [{...}, ...]}` or the flat `{...}` of X-Page-Usage."""
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    entries: list[Any] = [data]
    for value in data.values():
        if isinstance(value, list):
            entries.extend(value)
    found = []
    for entry in entries:
        value = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else None
        if isinstance(value, int | float):
            found.append(float(value))
    return found


def carries(message: str, link: str) -> bool:
    """Whether `message` holds `link` whole: `...?v=abc` is not in `...?v=abcd`."""
    return re.search(re.escape(link) + r"(?=$|[\s)\]}>\"'.,;:!?])", message) is not None


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _permalink(post_id: str) -> str:
    page, _, post = post_id.partition("_")
    return f"https://www.facebook.com/{page}/posts/{post}" if post else \
        f"https://www.facebook.com/{post_id}"


def _handle_time(handle: str) -> dt.datetime | None:
    """The time our handle was made (minus clock skew); None for a foreign handle."""
    try:
        made = dt.datetime.strptime(handle.split("-", 1)[0], _HANDLE_TIME)
    except ValueError:
        return None
    return made.replace(tzinfo=dt.UTC) - CLOCK_SKEW


def _older(item: dict[str, Any], cutoff: dt.datetime) -> bool:
    try:
        created = dt.datetime.strptime(str(item.get("created_time")), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return False
    return created < cutoff
