"""Google's OAuth token endpoint (``POST /token``, refresh grant only) and the check of the
access tokens it issued that every API call passes."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from publisher.sandbox.http import Request, Response
from publisher.sandbox.youtube.errors import ApiError


@dataclass
class AccessToken:
    token: str
    scopes: frozenset[str]
    expires_at: datetime
    refresh_token: str | None


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
            if form.get("grant_type") != "refresh_token":
                return Response.json(400, {"error": "unsupported_grant_type",
                                           "error_description": "Invalid grant_type: "
                                           + form.get("grant_type", "")})
            if (self.client_id is not None and form.get("client_id") != self.client_id) or (
                    self.client_secret is not None
                    and form.get("client_secret") != self.client_secret):
                return Response.json(401, {"error": "invalid_client",
                                           "error_description": "Unauthorized"})
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
