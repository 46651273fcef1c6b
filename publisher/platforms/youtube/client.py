"""The YouTube Data API client: google-api-python-client built from the bundled discovery
document, with every endpoint overridable.

`api_endpoint` alone does not move media uploads (the upload URL is built from the
document's rootUrl and keeps https), so the document itself is patched: API calls and
uploads then both go to the configured root. Every request has a timeout.

The transport never sends a streamed body twice (`StreamResendRefused`): when a server or a
proxy closes the connection cleanly without answering, httplib2 silently sends the request
again, and for an upload chunk (a stream already read) that re-send announces the chunk's
length with no body, so the request hangs for the whole timeout. Refusing it makes the
uploader ask the session where it stands at once.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httplib2
    from google.oauth2.credentials import Credentials

DEFAULT_API_ROOT = "https://youtube.googleapis.com/"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
ENV_API_ROOT = "PUBLISHER_YOUTUBE_API_ROOT"
ENV_TOKEN_URI = "PUBLISHER_GOOGLE_TOKEN_URI"
# One scope covers every call we make: insert, update, list, thumbnails, playlists, captions.
SCOPES = ("https://www.googleapis.com/auth/youtube.force-ssl",)
DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Endpoints:
    api_root: str = DEFAULT_API_ROOT
    token_uri: str = DEFAULT_TOKEN_URI

    @classmethod
    def resolve(cls, api_root: str | None = None, token_uri: str | None = None) -> Endpoints:
        """publisher.toml's values, overridden by the environment, else Google's."""
        root = os.environ.get(ENV_API_ROOT) or api_root or DEFAULT_API_ROOT
        token = os.environ.get(ENV_TOKEN_URI) or token_uri or DEFAULT_TOKEN_URI
        return cls(api_root=root if root.endswith("/") else root + "/", token_uri=token)


@lru_cache(maxsize=8)
def _discovery_text(root: str) -> str:
    from googleapiclient.discovery_cache import get_static_doc

    text = get_static_doc("youtube", "v3")
    if text is None:
        raise RuntimeError("google-api-python-client ships no YouTube discovery document")
    doc = json.loads(text)
    doc["rootUrl"] = doc["mtlsRootUrl"] = root
    doc["baseUrl"] = root + doc.get("servicePath", "")
    return json.dumps(doc)


# http.client sends a streamed body 8 KiB per send() by default; for uploads that costs
# 5x the CPU of curl (benchmarks/upload_throughput.py). 256 KiB blocks match curl.
SEND_BLOCK = 256 * 1024


class StreamResendRefused(ConnectionError):
    """A streamed request body (an upload chunk) was about to be sent a second time on a
    connection that closed without answering; a stream cannot be read again. A connection
    error: the uploader asks the session how far it got, then goes on from there."""


class _SendsStreamsOnce(http.client.HTTPConnection):
    """Refuses to send the same streamed body twice (see the module docstring)."""

    _last_stream: object | None = None

    def request(self, method: str, url: str, body: Any = None,
                headers: Mapping[str, Any] | None = None, *,
                encode_chunked: bool = False) -> None:
        if body is not None and hasattr(body, "read"):
            if body is self._last_stream:
                self._last_stream = None
                self.close()
                raise StreamResendRefused(
                    f"the connection closed without an answer to {method} (a chunk of an "
                    "upload); its body is not sent again blind")
            self._last_stream = body
        super().request(method, url, body, dict(headers or {}),
                        encode_chunked=encode_chunked)


@lru_cache(maxsize=1)
def _http_class() -> type[Any]:
    import httplib2

    class FastHTTPConnection(_SendsStreamsOnce,
                             httplib2.HTTPConnectionWithTimeout):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.blocksize = SEND_BLOCK

    class FastHTTPSConnection(_SendsStreamsOnce,
                              httplib2.HTTPSConnectionWithTimeout):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.blocksize = SEND_BLOCK

    class Http(httplib2.Http):  # type: ignore[misc]
        def request(self, uri: str, method: str = "GET", body: Any = None,
                    headers: Any = None, redirections: int = 5,
                    connection_type: Any = None) -> Any:
            if connection_type is None:
                connection_type = (FastHTTPSConnection if uri.startswith("https:")
                                   else FastHTTPConnection)
            return super().request(uri, method, body, headers, redirections,
                                   connection_type)

    return Http


def make_http(credentials: Credentials | None, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    """An authorised httplib2 transport that treats 308 as an answer, not a redirect."""
    from google_auth_httplib2 import AuthorizedHttp

    base = _http_class()(timeout=timeout)
    # Google's "308 Resume Incomplete" carries no Location: following it would fail.
    base.redirect_codes = base.redirect_codes - {308}
    if credentials is None:
        return base
    return AuthorizedHttp(credentials, http=base)


def build_service(http: httplib2.Http | Any, endpoints: Endpoints) -> Any:
    """The `youtube` v3 resource, offline (static discovery), pointed at the endpoints;
    built on first use (`LazyService`)."""
    return LazyService(http, endpoints)


class LazyService:
    """The `youtube` v3 resource, built when first used: a resumed upload asks its session
    and sends its next byte through the transport alone, without importing
    googleapiclient.discovery and building the resource (a tenth of a second of CPU)."""

    def __init__(self, http: httplib2.Http | Any, endpoints: Endpoints) -> None:
        self._http, self._endpoints = http, endpoints
        self._built: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if self._built is None:
            from googleapiclient.discovery import build_from_document

            self._built = build_from_document(_discovery_text(self._endpoints.api_root),
                                              http=self._http)
        return getattr(self._built, name)
