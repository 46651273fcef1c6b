"""Google's OAuth consent page (``GET /o/oauth2/auth``: the fake user consents at once) and
token endpoint (``POST /token``: the refresh grant, and the authorization-code grant with
PKCE), and the check of the access tokens it issued that every API call passes."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from publisher.sandbox.http import Request, Response
from publisher.sandbox.youtube.errors import ApiError


@dataclass(frozen=True)
class Grant:
    """A consent's authorization code: single use, for the client and address it was
    given to, redeemable only with the PKCE verifier of its challenge."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    scopes: frozenset[str]


@dataclass
class AccessToken:
    token: str
    scopes: frozenset[str]
    expires_at: datetime
    refresh_token: str | None


def _client_of(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """The client's id and secret: in the form, or in HTTP Basic auth (both are Google's)."""
    auth = request.header("authorization") or ""
    if auth.lower().startswith("basic "):
        from urllib.parse import unquote

        try:
            pair = base64.b64decode(auth[6:].strip()).decode("utf-8")
        except ValueError:
            return None, None
        name, _, secret = pair.partition(":")
        return unquote(name), unquote(secret)
    return form.get("client_id"), form.get("client_secret")


class TokenAuthority:
    """Issues access tokens for refresh tokens and recognises them on API calls.

    Shares the server's ``lock``; ``tokens`` (access token → :class:`AccessToken`) is what it
    has issued and not yet forgotten (revoking or expiring tokens forgets them).
    """

    def __init__(self, lock: threading.RLock, now: Callable[[], datetime], *,
                 lifetime: int, granted_scopes: Iterable[str], client_id: str | None,
                 client_secret: str | None) -> None:
        self._lock = lock
        self._now = now
        #: Seconds an access token lives.
        self.lifetime = lifetime
        #: Scopes the (fake) user consented to; a refresh asking for more gets invalid_scope.
        self.granted_scopes = frozenset(granted_scopes)
        #: When set, the token endpoint checks them (401 invalid_client otherwise).
        self.client_id = client_id
        self.client_secret = client_secret
        #: True once the user revoked access (refreshes get invalid_grant).
        self.revoked = False
        self.tokens: dict[str, AccessToken] = {}
        self.refresh_tokens_seen: set[str] = set()
        #: Authorization codes the consent page gave and the token endpoint not yet redeemed.
        self.grants: dict[str, Grant] = {}
        #: Refresh tokens issued by the authorization-code grant.
        self.refresh_tokens_issued: list[str] = []
        self._faults: list[tuple[int, dict[str, Any]]] = []

    def authorized_user_info(self, token_uri: str, *, refresh_token: str,
                             client_id: str | None,
                             client_secret: str | None) -> dict[str, Any]:
        return {"type": "authorized_user", "refresh_token": refresh_token,
                "client_id": client_id or self.client_id or "sandbox-client-id",
                "client_secret": client_secret or self.client_secret or "sandbox-secret",
                "token_uri": token_uri, "scopes": sorted(self.granted_scopes)}

    def _mint(self, scopes: frozenset[str], lifetime: int, refresh_token: str | None) -> str:
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        self.tokens[token] = AccessToken(
            token, scopes, self._now() + timedelta(seconds=lifetime), refresh_token)
        return token

    def issue(self, scopes: Iterable[str] | None = None, lifetime: int | None = None) -> str:
        """Mint an access token directly (as if a refresh had happened)."""
        with self._lock:
            return self._mint(frozenset(scopes) if scopes is not None else self.granted_scopes,
                              lifetime or self.lifetime, None)

    def token_endpoint(self, request: Request) -> Response:
        request.tag = "oauth2.token"
        form = request.form()
        with self._lock:
            if self._faults:
                status, payload = self._faults.pop(0)
                request.notes.append(f"fault: {status}")
                return Response.json(status, payload)
            grant_type = form.get("grant_type")
            if grant_type not in ("refresh_token", "authorization_code"):
                return Response.json(400, {"error": "unsupported_grant_type",
                                           "error_description": "Invalid grant_type: "
                                           + form.get("grant_type", "")})
            client_id, client_secret = _client_of(request, form)
            if (self.client_id is not None and client_id != self.client_id) or (
                    self.client_secret is not None and client_secret != self.client_secret):
                return Response.json(401, {"error": "invalid_client",
                                           "error_description": "Unauthorized"})
            if grant_type == "authorization_code":
                return self._redeem(form, client_id)
            refresh_token = form.get("refresh_token", "")
            if not refresh_token or self.revoked:
                return Response.json(400, {"error": "invalid_grant",
                                           "error_description":
                                           "Token has been expired or revoked."})
            requested = frozenset(form.get("scope", "").split())
            if requested - self.granted_scopes:
                return Response.json(400, {"error": "invalid_scope",
                                           "error_description": "Bad Request"})
            scopes = requested or self.granted_scopes
            self.refresh_tokens_seen.add(refresh_token)
            token = self._mint(scopes, self.lifetime, refresh_token)
        return Response.json(200, {"access_token": token, "expires_in": self.lifetime,
                                   "scope": " ".join(sorted(scopes)), "token_type": "Bearer"})

    def consent_endpoint(self, request: Request) -> Response:
        """Google's consent page, where the fake user says yes at once: a redirect back to
        ``redirect_uri`` with a code and the request's ``state`` (PKCE S256 required)."""
        request.tag = "oauth2.auth"
        client_id = request.param("client_id") or ""
        redirect_uri = request.param("redirect_uri") or ""
        challenge = request.param("code_challenge") or ""
        if (not redirect_uri or request.param("response_type") != "code"
                or (self.client_id is not None and client_id != self.client_id)):
            return Response.json(400, {"error": "invalid_request"})
        if not challenge or request.param("code_challenge_method") != "S256":
            return Response.json(400, {"error": "invalid_request",
                                       "error_description": "code_challenge_method S256"})
        scopes = frozenset((request.param("scope") or "").split()) & self.granted_scopes
        code = "4/sandbox-" + secrets.token_urlsafe(18)
        with self._lock:
            self.grants[code] = Grant(client_id, redirect_uri, challenge, scopes)
        back = {"code": code, "scope": " ".join(sorted(scopes))}
        if request.param("state") is not None:
            back["state"] = request.param("state") or ""
        joiner = "&" if "?" in redirect_uri else "?"
        return Response.empty(302, [("Location", redirect_uri + joiner + urlencode(back))])

    def _redeem(self, form: dict[str, str], client_id: str | None) -> Response:
        """The authorization-code grant (called under the lock)."""
        grant = self.grants.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (grant is None or grant.redirect_uri != form.get("redirect_uri")
                or client_id not in (None, grant.client_id)
                or challenge != grant.code_challenge):
            return Response.json(400, {"error": "invalid_grant",
                                       "error_description": "Bad Request"})
        refresh_token = "1//sandbox-" + secrets.token_urlsafe(24)
        self.refresh_tokens_issued.append(refresh_token)
        scopes = grant.scopes or self.granted_scopes
        token = self._mint(scopes, self.lifetime, refresh_token)
        return Response.json(200, {"access_token": token, "expires_in": self.lifetime,
                                   "refresh_token": refresh_token,
                                   "scope": " ".join(sorted(scopes)), "token_type": "Bearer"})

    def authenticate(self, request: Request, scopes: frozenset[str]) -> None:
        """Refuse a call without a live token of ours (401) or without one of ``scopes``
        (403), with the ``WWW-Authenticate`` header Google sends."""
        auth = request.header("authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        with self._lock:
            access = self.tokens.get(token)
            if access is not None and access.expires_at <= self._now():
                del self.tokens[token]
                access = None
            if access is None:
                raise ApiError(
                    401, "authError",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential. See "
                    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                    location="Authorization", location_type="header",
                    headers=[("WWW-Authenticate",
                              'Bearer realm="https://accounts.google.com/", '
                              'error="invalid_token"')])
            if not access.scopes & scopes:
                raise ApiError(403, "insufficientPermissions",
                               "Request had insufficient authentication scopes.",
                               headers=[("WWW-Authenticate",
                                         'Bearer realm="https://accounts.google.com/", '
                                         'error="insufficient_scope", scope="'
                                         + " ".join(sorted(scopes)) + '"')])

    # ---- faults ----------------------------------------------------------------------------

    def revoke(self) -> None:
        with self._lock:
            self.revoked = True
            self.tokens.clear()

    def restore(self) -> None:
        with self._lock:
            self.revoked = False

    def forget_access_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def fail(self, status: int, error: str, times: int) -> None:
        with self._lock:
            for _ in range(times):
                self._faults.append((status, {"error": error,
                                              "error_description": "Sandbox fault"}))
