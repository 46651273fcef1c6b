"""Test-side helpers: the real google-api-python-client pointed at a FakeYouTube.

This is the recipe the product's client module will follow (see the docstring of
publisher/sandbox/youtube/__init__.py): patch the bundled static discovery document's root
URLs and build from it, with google-auth user credentials whose token_uri is the fake's.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.http import HttpRequest, MediaFileUpload

from publisher.sandbox.youtube import SCOPE_FORCE_SSL, FakeYouTube

CHUNK = 256 * 1024


def credentials(yt: FakeYouTube, *, token: str | None = None,
                scopes: list[str] | None = None) -> Credentials:
    creds: Credentials = Credentials(  # type: ignore[no-untyped-call]
        token=token, refresh_token="sandbox-refresh-token", client_id="sandbox-client-id",
        client_secret="sandbox-secret", token_uri=yt.token_uri,
        scopes=scopes or [SCOPE_FORCE_SSL])
    return creds


def discovery_document(root: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(get_static_doc("youtube", "v3"))
    doc["rootUrl"] = doc["baseUrl"] = doc["mtlsRootUrl"] = root
    return doc


def service(yt: FakeYouTube, creds: Credentials | None = None) -> Any:
    return build_from_document(discovery_document(yt.root),
                               credentials=creds or credentials(yt))


def insert_request(youtube: Any, path: Path, *, chunksize: int = 4 * CHUNK,
                   body: dict[str, Any] | None = None,
                   part: str = "snippet,status") -> HttpRequest:
    body = body if body is not None else {
        "snippet": {"title": "Maria Rossi nel suo studio", "categoryId": "22",
                    "description": "Intervista #ceramica", "tags": ["ceramica", "Faenza"]},
        "status": {"privacyStatus": "private", "publishAt": "2030-12-01T17:00:00Z",
                   "selfDeclaredMadeForKids": False}}
    media = MediaFileUpload(str(path), mimetype="video/mp4", chunksize=chunksize,
                            resumable=True)
    request: HttpRequest = youtube.videos().insert(part=part, body=body, media_body=media)
    return request


def upload(request: HttpRequest, *, max_calls: int = 50) -> dict[str, Any]:
    """Drive next_chunk(num_retries=0) to the end, without any error handling."""
    for _ in range(max_calls):
        _, response = request.next_chunk(num_retries=0)
        if response is not None:
            result: dict[str, Any] = response
            return result
    raise AssertionError("upload did not finish")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
