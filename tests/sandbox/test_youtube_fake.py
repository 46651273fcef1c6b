"""FakeYouTube driven by the REAL google-api-python-client and google-auth.

Every test talks HTTP to 127.0.0.1; nothing is mocked inside the client libraries.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import google.auth.exceptions
import httplib2
import pytest
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build, build_from_document
from googleapiclient.errors import HttpError, ResumableUploadError
from googleapiclient.http import MediaFileUpload, build_http

from publisher.sandbox.youtube import (
    SCOPE_UPLOAD,
    FakeYouTube,
    tags_length,
)
from tests.sandbox.youtube_client import (
    CHUNK,
    credentials,
    discovery_document,
    insert_request,
    service,
    sha256,
    upload,
)

SIZE = 3 * 4 * CHUNK + 17  # three 1 MiB chunks and a short last one


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube(body_timeout=2.0) as fake:
        yield fake
        assert fake.errors == [], fake.errors


@pytest.fixture
def youtube(yt: FakeYouTube) -> Any:
    return service(yt)


@pytest.fixture
def video_file(tmp_path: Path) -> Path:
    path = tmp_path / "interview.mp4"
    data = random.Random(SIZE).randbytes(SIZE)
    # Not ending in CR: in a multipart body a CR before the boundary's line is the CRLF
    # delimiter's (RFC 2046), so the media part would arrive one byte short.
    assert not data.endswith(b"\r")
    path.write_bytes(data)
    return path


def _reason(exc: HttpError) -> str:
    details: Any = exc.error_details
    return str(details[0]["reason"])


def _uploaded(yt: FakeYouTube, youtube: Any, video_file: Path, **kwargs: Any) -> str:
    response = upload(insert_request(youtube, video_file, **kwargs))
    return str(response["id"])


def _session_puts(yt: FakeYouTube) -> list[Any]:
    return [r for r in yt.requests if r.method == "PUT" and r.path.startswith("/upload/")]


# ---- pointing the client at the fake --------------------------------------------------------

def test_api_endpoint_alone_sends_uploads_to_https(yt: FakeYouTube) -> None:
    """Why the product must patch the discovery document: with client_options the media URL
    keeps https (googleapiclient discovery.py _fix_up_media_path_base_url)."""
    youtube = build("youtube", "v3", credentials=credentials(yt), static_discovery=True,
                    client_options={"api_endpoint": yt.root})
    assert youtube.videos().list(part="id", id="x").uri.startswith(yt.root)
    media = MediaFileUpload(__file__, mimetype="video/mp4", resumable=True)
    insert = youtube.videos().insert(part="snippet", body={}, media_body=media)
    assert insert.uri.startswith(f"https://127.0.0.1:{yt.port}/upload/youtube/v3/videos")


def test_patched_discovery_document_moves_api_and_uploads(yt: FakeYouTube,
                                                          youtube: Any) -> None:
    assert youtube.videos().list(part="id", id="x").uri.startswith(yt.root + "youtube/v3/")
    media = MediaFileUpload(__file__, mimetype="video/mp4", resumable=True)
    insert = youtube.videos().insert(part="snippet", body={}, media_body=media)
    assert insert.uri.startswith(yt.root + "upload/youtube/v3/videos?")
    assert "uploadType=resumable" in insert.uri


# ---- resumable upload ----------------------------------------------------------------------

def test_clean_resumable_upload(yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    request = insert_request(youtube, video_file, chunksize=4 * CHUNK)
    progress = []
    response = None
    while response is None:
        status, response = request.next_chunk(num_retries=0)
        if status is not None:
            progress.append(status.resumable_progress)
    assert progress == [4 * CHUNK, 8 * CHUNK, 12 * CHUNK]
    assert response["status"]["uploadStatus"] == "uploaded"
    assert response["status"]["privacyStatus"] == "private"
    assert response["status"]["publishAt"] == "2030-12-01T17:00:00Z"
    assert response["snippet"]["title"] == "Maria Rossi nel suo studio"

    video = yt.video(response["id"])
    assert video.sha256 == sha256(video_file)
    assert video.size == video.bytes_received == SIZE
    assert video.metadata["snippet"]["tags"] == ["ceramica", "Faenza"]
    assert video.mime_type == "video/mp4"
    session = yt.session(request.resumable_uri)
    assert session.complete and session.data_puts == 4 and session.result_id == video.id

    puts = _session_puts(yt)
    assert [r.status for r in puts] == [308, 308, 308, 200]
    assert puts[0].headers["content-range"] == f"bytes 0-{4 * CHUNK - 1}/{SIZE}"
    initiation = next(r for r in yt.requests if r.method == "POST" and "upload" in r.path)
    assert initiation.headers["x-upload-content-length"] == str(SIZE)
    assert initiation.headers["x-upload-content-type"] == "video/mp4"
    assert yt.quota.used("videos.insert") == 1
    assert yt.quota.used() == 0


def test_whole_file_in_one_put_with_chunksize_minus_one(yt: FakeYouTube, youtube: Any,
                                                        video_file: Path) -> None:
    response = upload(insert_request(youtube, video_file, chunksize=-1))
    assert yt.video(response["id"]).sha256 == sha256(video_file)
    assert [r.status for r in _session_puts(yt)] == [200]


def test_503_on_chunk_two_then_status_query_and_resume(yt: FakeYouTube, youtube: Any,
                                                       video_file: Path) -> None:
    yt.fail_chunk(2, 503)
    request = insert_request(youtube, video_file)
    request.next_chunk(num_retries=0)
    with pytest.raises(HttpError) as caught:
        request.next_chunk(num_retries=0)
    assert caught.value.status_code == 503
    assert _reason(caught.value) == "backendError"
    response = upload(request)

    puts = _session_puts(yt)
    assert [(r.status, r.headers["content-range"]) for r in puts[1:4]] == [
        (503, f"bytes {4 * CHUNK}-{8 * CHUNK - 1}/{SIZE}"),
        (308, f"bytes */{SIZE}"),
        (308, f"bytes {4 * CHUNK}-{8 * CHUNK - 1}/{SIZE}"),
    ]
    video = yt.video(response["id"])
    assert video.sha256 == sha256(video_file)
    assert video.bytes_received == SIZE + 4 * CHUNK  # chunk 2 was sent twice


def test_acted_then_failed_chunk_is_not_resent(yt: FakeYouTube, youtube: Any,
                                               video_file: Path) -> None:
    yt.fail_chunk(2, 502, after_storing=True)
    request = insert_request(youtube, video_file)
    request.next_chunk(num_retries=0)
    with pytest.raises(HttpError):
        request.next_chunk(num_retries=0)
    response = upload(request)
    video = yt.video(response["id"])
    assert video.sha256 == sha256(video_file)
    assert video.bytes_received == SIZE  # the status query said chunk 2 had arrived


def test_final_chunk_stored_then_503(yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    yt.fail_chunk(None, 503, after_storing=True)
    request = insert_request(youtube, video_file, chunksize=-1)
    with pytest.raises(HttpError):
        request.next_chunk(num_retries=0)
    _, response = request.next_chunk(num_retries=0)  # status query → the final 200
    assert response["id"] == yt.last_video.id and len(yt.videos) == 1
    assert yt.last_video.bytes_received == SIZE


def test_failed_status_query_then_resume(yt: FakeYouTube, youtube: Any,
                                         video_file: Path) -> None:
    yt.fail_chunk(2, 504)
    yt.fail_status_query(503)
    request = insert_request(youtube, video_file)
    request.next_chunk(num_retries=0)
    for _ in range(2):  # the chunk fails, then the status query fails
        with pytest.raises(HttpError):
            request.next_chunk(num_retries=0)
    assert yt.video(upload(request)["id"]).sha256 == sha256(video_file)
    queries = [r.status for r in _session_puts(yt) if "status query" in r.notes]
    assert queries == [503, 308]


def test_rate_limit_403_on_a_chunk(yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    yt.fail_chunk(3, 403)
    request = insert_request(youtube, video_file)
    request.next_chunk(num_retries=0)
    request.next_chunk(num_retries=0)
    with pytest.raises(HttpError) as caught:
        request.next_chunk(num_retries=0)
    assert caught.value.status_code == 403
    assert caught.value.error_details[0]["reason"] == "rateLimitExceeded"
    assert caught.value.error_details[0]["domain"] == "usageLimits"
    assert yt.video(upload(request)["id"]).sha256 == sha256(video_file)


def test_dropped_connection_mid_chunk_then_resume(yt: FakeYouTube, youtube: Any,
                                                  video_file: Path) -> None:
    yt.drop_chunk(2, after_bytes=100_000)
    request = insert_request(youtube, video_file)
    request.next_chunk(num_retries=0)
    with pytest.raises((OSError, httplib2.HttpLib2Error, http.client.HTTPException)):
        request.next_chunk(num_retries=0)
    response = upload(request)

    video = yt.video(response["id"])
    assert video.sha256 == sha256(video_file)
    assert video.bytes_received - SIZE <= 4 * CHUNK
    dropped = [r for r in _session_puts(yt) if r.status is None]
    assert len(dropped) == 1 and dropped[0].bytes_in == 100_000
    # The server kept the 100 000 bytes: the client resumed from the Range it was given.
    resumed = [r.headers.get("content-range") for r in _session_puts(yt)]
    assert f"bytes {4 * CHUNK + 100_000}-{8 * CHUNK + 100_000 - 1}/{SIZE}" in resumed


def test_completed_but_response_lost(yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    yt.lose_final_response()
    request = insert_request(youtube, video_file)
    for _ in range(3):
        request.next_chunk(num_retries=0)
    with pytest.raises((OSError, httplib2.HttpLib2Error, http.client.HTTPException)):
        request.next_chunk(num_retries=0)
    assert len(yt.videos) == 1  # stored, although the client does not know yet
    status, response = request.next_chunk(num_retries=0)  # the status query answers 200
    assert status is None and response["id"] == yt.last_video.id
    assert _session_puts(yt)[-1].headers["content-range"] == f"bytes */{SIZE}"
    assert len(yt.videos) == 1


def test_lost_response_with_clean_close_is_resent_empty_by_httplib2(
        yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    """With a FIN instead of a reset, httplib2 re-sends the PUT once by itself, with the
    already-consumed body (declares N bytes, sends none); the fake drops it after
    body_timeout, and only then does the client see an error."""
    yt.body_timeout = 0.3
    yt.lose_final_response(reset=False)
    request = insert_request(youtube, video_file, chunksize=-1)
    with pytest.raises(http.client.RemoteDisconnected):
        request.next_chunk(num_retries=0)
    puts = _session_puts(yt)
    assert [(r.status, r.bytes_in) for r in puts] == [(None, SIZE), (None, 0)]
    _, response = request.next_chunk(num_retries=0)
    assert response["id"] == yt.last_video.id


def test_idle_keepalive_closed_by_server_surfaces_as_an_error(
        yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    request = insert_request(youtube, video_file)
    request.next_chunk(num_retries=0)
    # The server marks the connection idle just after answering: give it a moment.
    deadline = time.monotonic() + 5
    while yt.close_idle_connections() < 1:
        assert time.monotonic() < deadline, "no idle connection to close"
        time.sleep(0.01)
    # Whether the next send fails depends on whether the client saw the close first
    # (a race in the kernel): either way the upload must complete intact.
    with contextlib.suppress(OSError, httplib2.HttpLib2Error, http.client.HTTPException):
        request.next_chunk(num_retries=0)
    assert yt.video(upload(request)["id"]).sha256 == sha256(video_file)


def test_delayed_chunk_times_out_the_client_then_resumes(yt: FakeYouTube,
                                                         video_file: Path) -> None:
    http = build_http()
    http.timeout = 0.2
    youtube = build_from_document(discovery_document(yt.root),
                                  http=AuthorizedHttp(credentials(yt), http=http))
    yt.delay_chunk(2, 0.6)
    request = insert_request(youtube, video_file)
    request.next_chunk(num_retries=0)
    with pytest.raises(TimeoutError):
        request.next_chunk(num_retries=0)
    response = upload(request)
    video = yt.video(response["id"])
    assert video.sha256 == sha256(video_file) and video.bytes_received == SIZE


def test_expired_session_answers_404(yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    request = insert_request(youtube, video_file)
    request.next_chunk(num_retries=0)
    yt.expire_session(request.resumable_uri)
    for _ in range(2):  # the chunk, then the status query of the error state
        with pytest.raises(HttpError) as caught:
            request.next_chunk(num_retries=0)
        assert caught.value.status_code == 404
    # Start over with a new session.
    response = upload(insert_request(youtube, video_file))
    assert yt.video(response["id"]).sha256 == sha256(video_file)
    assert yt.quota.used("videos.insert") == 2


def test_session_ttl(video_file: Path) -> None:
    with FakeYouTube(session_ttl=timedelta(hours=6)) as yt:
        request = insert_request(service(yt), video_file)
        request.next_chunk(num_retries=0)
        yt.advance_time(timedelta(hours=7))
        with pytest.raises(HttpError) as caught:
            request.next_chunk(num_retries=0)
        assert caught.value.status_code == 404


# ---- the protocol on the wire (what the client library does not show) ----------------------

def _raw(yt: FakeYouTube, method: str, target: str, body: bytes = b"",
         headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", yt.port, timeout=5)
    conn.request(method, target, body=body, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _session(yt: FakeYouTube, total: int) -> str:
    token = yt.issue_access_token()
    response = _raw(yt, "POST", "/upload/youtube/v3/videos?uploadType=resumable&part=snippet",
                    json.dumps({"snippet": {"title": "t"}}).encode(),
                    {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                     "X-Upload-Content-Length": str(total),
                     "X-Upload-Content-Type": "video/mp4"})
    assert response.status == 200
    location = response.getheader("Location")
    assert location is not None and location.startswith(yt.root)
    return location[len(yt.root) - 1:]


def test_wire_308_range_overlap_and_gap(yt: FakeYouTube) -> None:
    total = 3 * CHUNK
    data = os.urandom(total)
    target = _session(yt, total)

    query = _raw(yt, "PUT", target, headers={"Content-Range": f"bytes */{total}"})
    assert query.status == 308 and query.getheader("Range") is None

    first = _raw(yt, "PUT", target, data[:CHUNK],
                 {"Content-Range": f"bytes 0-{CHUNK - 1}/{total}"})
    assert first.status == 308
    assert first.getheader("Range") == f"bytes=0-{CHUNK - 1}"
    assert first.getheader("Location") is None

    gap = _raw(yt, "PUT", target, data[2 * CHUNK:],
               {"Content-Range": f"bytes {2 * CHUNK}-{total - 1}/{total}"})
    assert gap.status == 400

    short = _raw(yt, "PUT", target, data[CHUNK:CHUNK + 1000],
                 {"Content-Range": f"bytes {CHUNK}-{CHUNK + 999}/{total}"})
    assert short.status == 400  # a non-final chunk below 256 KiB

    # Overlap: re-send from byte 1000; the already stored bytes are skipped.
    overlap = _raw(yt, "PUT", target, data[1000:2 * CHUNK],
                   {"Content-Range": f"bytes 1000-{2 * CHUNK - 1}/{total}"})
    assert overlap.status == 308 and overlap.getheader("Range") == f"bytes=0-{2 * CHUNK - 1}"

    last = _raw(yt, "PUT", target, data[2 * CHUNK:],
                {"Content-Range": f"bytes {2 * CHUNK}-{total - 1}/{total}"})
    assert last.status == 200
    again = _raw(yt, "PUT", target, headers={"Content-Range": f"bytes */{total}"})
    assert again.status == 200

    session = yt.last_session
    video = yt.video(session.result_id or "")
    assert video.sha256 == hashlib.sha256(data).hexdigest()
    # Every body byte read counts: first + refused gap + refused short + overlap + last.
    assert video.bytes_received == CHUNK + CHUNK + 1000 + (2 * CHUNK - 1000) + CHUNK


def test_wire_unknown_session_and_bad_upload_type(yt: FakeYouTube) -> None:
    assert _raw(yt, "PUT", "/upload/youtube/v3/videos?uploadType=resumable&upload_id=nope",
                headers={"Content-Range": "bytes */10"}).status == 404
    token = yt.issue_access_token()
    response = _raw(yt, "POST", "/upload/youtube/v3/videos?part=snippet", b"{}",
                    {"Authorization": f"Bearer {token}"})
    assert response.status == 400


# ---- metadata rules ------------------------------------------------------------------------

VALID: dict[str, Any] = {
    "snippet": {"title": "t" * 100, "description": "ä" * 2500, "categoryId": "22",
                "tags": ["x" * 498, "y"]},
    "status": {"privacyStatus": "private", "publishAt": "2030-01-01T10:00:00+01:00"}}


def _with(section: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(VALID))
    body[section].update(changes)
    return body


@pytest.mark.parametrize(("body", "reason"), [
    (_with("snippet", title="t" * 101), "invalidTitle"),
    (_with("snippet", title="😀" * 51), "invalidTitle"),  # 51 code points, 102 UTF-16 units
    (_with("snippet", title="a <b>"), "invalidTitle"),
    (_with("snippet", title="  "), "invalidTitle"),
    (_with("snippet", description="ä" * 2500 + "x"), "invalidDescription"),
    (_with("snippet", description="1 > 0"), "invalidDescription"),
    (_with("snippet", tags=["x" * 497, "a b"]), "invalidTags"),
    (_with("snippet", categoryId="999"), "invalidCategoryId"),
    (_with("status", privacyStatus="public"), "invalidPublishAt"),
    (_with("status", publishAt="2030-01-01 10:00"), "invalidPublishAt"),
    (_with("status", publishAt="2030-01-01T10:00:00"), "invalidPublishAt"),
    ({**VALID, "localizations": {"de": {"title": "T", "description": "D"}}},
     "defaultLanguageNotSetError"),
])
def test_insert_metadata_rules(yt: FakeYouTube, youtube: Any, video_file: Path,
                               body: dict[str, Any], reason: str) -> None:
    part = "snippet,status,localizations" if "localizations" in body else "snippet,status"
    request = insert_request(youtube, video_file, body=body, part=part)
    with pytest.raises(ResumableUploadError) as caught:
        request.next_chunk(num_retries=0)
    assert caught.value.status_code == 400
    assert caught.value.error_details[0]["reason"] == reason
    assert caught.value.error_details[0]["domain"] == "youtube.video"
    assert yt.videos == {} and yt.sessions == {}


def test_insert_metadata_at_the_limits_is_accepted(yt: FakeYouTube, youtube: Any,
                                                   video_file: Path) -> None:
    assert tags_length(VALID["snippet"]["tags"]) == 500
    body = {**VALID, "localizations": {"de": {"title": "T", "description": "D"}}}
    body["snippet"] = {**VALID["snippet"], "defaultLanguage": "it"}
    video_id = _uploaded(yt, youtube, video_file, body=body, part="snippet,status,localizations")
    assert yt.video(video_id).localizations == {"de": {"title": "T", "description": "D"}}


def test_insert_rejects_a_non_video_media_type(yt: FakeYouTube, youtube: Any,
                                               video_file: Path) -> None:
    media = MediaFileUpload(str(video_file), mimetype="text/plain", resumable=True)
    request = youtube.videos().insert(part="snippet", body={"snippet": {"title": "x"}},
                                      media_body=media)
    with pytest.raises(HttpError) as caught:
        request.next_chunk(num_retries=0)
    assert _reason(caught.value) == "badContent"


def test_non_resumable_multipart_video_insert(yt: FakeYouTube, youtube: Any,
                                              video_file: Path) -> None:
    media = MediaFileUpload(str(video_file), mimetype="video/mp4", resumable=False)
    response = youtube.videos().insert(part="snippet", body={"snippet": {"title": "x"}},
                                       media_body=media).execute()
    video = yt.video(response["id"])
    assert video.sha256 == sha256(video_file) and video.upload_type == "multipart"


# ---- quota and limits ----------------------------------------------------------------------

def test_quota_exceeded_error_shape(yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    yt.exhaust_quota("videos.insert")
    with pytest.raises(HttpError) as caught:
        insert_request(youtube, video_file).next_chunk(num_retries=0)
    error = caught.value
    assert error.status_code == 403
    assert error.error_details[0]["reason"] == "quotaExceeded"
    assert error.error_details[0]["domain"] == "youtube.quota"
    assert "quota" in error.reason  # .reason is the human message, not the machine reason

    yt.exhaust_quota()
    with pytest.raises(HttpError) as caught:
        youtube.videos().list(part="status", id="x").execute(num_retries=2)
    assert _reason(caught.value) == "quotaExceeded"
    # The client does not retry quotaExceeded (only rate-limit reasons among 403s).
    assert len([r for r in yt.requests if r.path == "/youtube/v3/videos"]) == 1
    assert all(c.refused for c in yt.quota.charges)


def test_quota_ledger_costs(yt: FakeYouTube, youtube: Any, video_file: Path,
                            tmp_path: Path) -> None:
    video_id = _uploaded(yt, youtube, video_file)
    youtube.videos().list(part="status", id=video_id).execute()
    youtube.videos().update(part="snippet", body={
        "id": video_id, "snippet": {"title": "New", "categoryId": "27"}}).execute()
    thumb = tmp_path / "t.png"
    thumb.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    youtube.thumbnails().set(videoId=video_id, media_body=str(thumb)).execute()
    playlist = youtube.playlists().insert(part="snippet", body={
        "snippet": {"title": "Season 1"}}).execute()
    youtube.playlistItems().insert(part="snippet", body={"snippet": {
        "playlistId": playlist["id"],
        "resourceId": {"kind": "youtube#video", "videoId": video_id}}}).execute()
    subs = tmp_path / "subs.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:01,000\nCiao\n")
    youtube.captions().insert(part="snippet", body={"snippet": {
        "videoId": video_id, "language": "it", "name": ""}},
        media_body=MediaFileUpload(str(subs), mimetype="application/octet-stream")).execute()
    youtube.channels().list(part="id", mine=True).execute()
    assert yt.quota.used("videos.insert") == 1
    assert yt.quota.used() == 1 + 50 + 50 + 50 + 50 + 400 + 1
    assert yt.quota.spent_on("captions.insert") == 400
    assert yt.quota.remaining() == 10_000 - 602


def test_quota_day_rolls_over_at_pacific_midnight(yt: FakeYouTube, youtube: Any) -> None:
    yt.exhaust_quota()
    with pytest.raises(HttpError):
        youtube.channels().list(part="id", mine=True).execute()
    yt.advance_time(timedelta(days=1))
    youtube.channels().list(part="id", mine=True).execute()
    assert yt.quota.used() == 1


def test_upload_limit_exceeded(yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    yt.exceed_upload_limit()
    with pytest.raises(HttpError) as caught:
        insert_request(youtube, video_file).next_chunk(num_retries=0)
    assert caught.value.status_code == 400
    assert _reason(caught.value) == "uploadLimitExceeded"
    yt.exceed_upload_limit(False)
    _uploaded(yt, youtube, video_file)


def test_injected_method_failure_is_retried_by_execute(yt: FakeYouTube, youtube: Any) -> None:
    yt.fail_next("channels.list", 500)
    request = youtube.channels().list(part="id", mine=True)
    request._sleep = lambda seconds: None  # the client's backoff, not under test here
    response = request.execute(num_retries=1)
    assert response["items"][0]["id"] == yt.channel_id
    assert [r.status for r in yt.requests if r.path == "/youtube/v3/channels"] == [500, 200]


# ---- OAuth ---------------------------------------------------------------------------------

def test_token_refresh_then_api_call(yt: FakeYouTube) -> None:
    creds = credentials(yt)
    youtube = service(yt, creds)
    response = youtube.channels().list(part="contentDetails", mine=True).execute()
    assert response["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"] == \
        yt.uploads_playlist_id
    assert creds.token is not None and creds.token.startswith("ya29.")
    assert creds.expiry is not None and creds.expiry > datetime.now(UTC).replace(tzinfo=None)
    assert [(r.method, r.path, r.status) for r in yt.requests] == [
        ("POST", "/token", 200), ("GET", "/youtube/v3/channels", 200)]


def test_authorized_user_info_needs_the_token_uri_reapplied(yt: FakeYouTube) -> None:
    from google.oauth2.credentials import Credentials

    info = yt.authorized_user_info()
    loaded = Credentials.from_authorized_user_info(info)  # type: ignore[no-untyped-call]
    assert loaded.token_uri == "https://oauth2.googleapis.com/token"  # "always overrides"
    creds = loaded.with_token_uri(info["token_uri"])
    service(yt, creds).channels().list(part="id", mine=True).execute()
    assert yt.requests[0].path == "/token"


def test_invalid_grant_raises_refresh_error(yt: FakeYouTube) -> None:
    yt.revoke_tokens()
    youtube = service(yt)
    with pytest.raises(google.auth.exceptions.RefreshError) as caught:
        youtube.channels().list(part="id", mine=True).execute()
    assert caught.value.args[0] == "invalid_grant: Token has been expired or revoked."
    assert caught.value.args[1]["error"] == "invalid_grant"
    assert caught.value.retryable is False


def test_unknown_access_token_gets_401_and_the_client_refreshes(yt: FakeYouTube) -> None:
    creds = credentials(yt, token="ya29.not-issued-by-the-fake")
    service(yt, creds).channels().list(part="id", mine=True).execute()
    assert [(r.path, r.status) for r in yt.requests] == [
        ("/youtube/v3/channels", 401), ("/token", 200), ("/youtube/v3/channels", 200)]


def test_revocation_mid_run(yt: FakeYouTube) -> None:
    youtube = service(yt)
    youtube.channels().list(part="id", mine=True).execute()
    yt.revoke_tokens()
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        youtube.channels().list(part="id", mine=True).execute()
    assert [r.status for r in yt.requests][-2:] == [401, 400]


def test_token_endpoint_server_error_is_retried_by_google_auth(yt: FakeYouTube) -> None:
    yt.fail_token_endpoint(503)
    service(yt).channels().list(part="id", mine=True).execute()
    assert [r.status for r in yt.requests if r.path == "/token"] == [503, 200]


def test_missing_scope_is_403_insufficient_permissions(yt: FakeYouTube, video_file: Path,
                                                       tmp_path: Path) -> None:
    video_id = _uploaded(yt, service(yt), video_file)
    youtube = service(yt, credentials(yt, scopes=[SCOPE_UPLOAD]))
    subs = tmp_path / "subs.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:01,000\nCiao\n")
    with pytest.raises(HttpError) as caught:
        youtube.captions().insert(part="snippet", body={"snippet": {
            "videoId": video_id, "language": "it"}},
            media_body=MediaFileUpload(str(subs), mimetype="application/octet-stream")).execute()
    assert caught.value.status_code == 403
    assert _reason(caught.value) == "insufficientPermissions"


# ---- videos.list / videos.update -----------------------------------------------------------

def test_processing_transitions(yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    video_id = _uploaded(yt, youtube, video_file)

    def poll() -> dict[str, Any]:
        item: dict[str, Any] = youtube.videos().list(
            part="status,processingDetails", id=video_id).execute()["items"][0]
        return item

    first = poll()
    assert first["status"]["uploadStatus"] == "uploaded"
    assert first["processingDetails"]["processingStatus"] == "processing"
    second = poll()
    assert second["status"]["uploadStatus"] == "processed"
    assert second["processingDetails"]["processingStatus"] == "succeeded"
    assert second["status"]["privacyStatus"] == "private"
    assert second["status"]["publishAt"] == "2030-12-01T17:00:00Z"


@pytest.mark.parametrize(("outcome", "status_field", "value", "processing"), [
    ("failed", "failureReason", "codec", "failed"),
    ("rejected", "rejectionReason", "duplicate", "terminated"),
])
def test_scripted_processing_failure(yt: FakeYouTube, youtube: Any, video_file: Path,
                                     outcome: Any, status_field: str, value: str,
                                     processing: str) -> None:
    yt.script_processing(outcome, polls=0, failure_reason="codec")
    video_id = _uploaded(yt, youtube, video_file)
    item = youtube.videos().list(part="status,processingDetails",
                                 id=video_id).execute()["items"][0]
    assert item["status"]["uploadStatus"] == outcome
    assert item["status"][status_field] == value
    assert item["processingDetails"]["processingStatus"] == processing


def test_scheduled_video_goes_public_when_publish_at_passes(yt: FakeYouTube, youtube: Any,
                                                            video_file: Path) -> None:
    publish_at = (yt.now() + timedelta(hours=48)).replace(microsecond=0)
    body = {"snippet": {"title": "Scheduled", "categoryId": "22"},
            "status": {"privacyStatus": "private",
                       "publishAt": publish_at.isoformat().replace("+00:00", "Z")}}
    video_id = _uploaded(yt, youtube, video_file, body=body)
    yt.finish_processing(video_id)
    assert yt.video(video_id).privacy_status == "private"
    yt.advance_time(timedelta(hours=49))
    item = youtube.videos().list(part="status", id=video_id).execute()["items"][0]
    assert item["status"]["privacyStatus"] == "public"
    assert "publishAt" not in item["status"]
    # A published video can no longer be scheduled.
    with pytest.raises(HttpError) as caught:
        youtube.videos().update(part="status", body={"id": video_id, "status": {
            "privacyStatus": "private", "publishAt": "2031-01-01T00:00:00Z"}}).execute()
    assert _reason(caught.value) == "invalidPublishAt"


def test_videos_list_unknown_id_is_empty_and_part_is_checked(yt: FakeYouTube,
                                                             youtube: Any) -> None:
    assert youtube.videos().list(part="status", id="nope").execute()["items"] == []
    with pytest.raises(HttpError) as caught:
        youtube.videos().list(part="bogus", id="x").execute()
    assert _reason(caught.value) == "unknownPart"


def test_videos_update_rules_and_round_trip(yt: FakeYouTube, youtube: Any,
                                            video_file: Path) -> None:
    video_id = _uploaded(yt, youtube, video_file)
    with pytest.raises(HttpError) as caught:
        youtube.videos().update(part="snippet", body={
            "id": video_id, "snippet": {"title": "No category"}}).execute()
    assert caught.value.status_code == 400 and _reason(caught.value) == "invalidVideoMetadata"

    with pytest.raises(HttpError) as caught:
        youtube.videos().update(part="localizations", body={
            "id": video_id, "localizations": {"en": {"title": "T"}}}).execute()
    assert _reason(caught.value) == "defaultLanguageNotSetError"

    updated = youtube.videos().update(part="snippet,status,localizations", body={
        "id": video_id,
        "snippet": {"title": "Maria Rossi", "categoryId": "27", "defaultLanguage": "it",
                    "description": "Nuova"},
        "status": {"privacyStatus": "private", "publishAt": "2031-02-03T18:00:00Z"},
        "localizations": {"en": {"title": "Maria Rossi (EN)", "description": "New"}},
    }).execute()
    assert updated["snippet"]["title"] == "Maria Rossi"
    assert updated["status"]["publishAt"] == "2031-02-03T18:00:00Z"
    video = yt.video(video_id)
    assert video.snippet["categoryId"] == "27" and "tags" not in video.snippet  # part replaced
    assert video.localizations["en"]["title"] == "Maria Rossi (EN)"
    assert len(video.updates) == 1  # only the accepted update is recorded

    with pytest.raises(HttpError) as caught:
        youtube.videos().update(part="snippet", body={
            "id": "missing", "snippet": {"title": "x", "categoryId": "22"}}).execute()
    assert caught.value.status_code == 404


# ---- thumbnails, playlists, captions, channels --------------------------------------------

def test_thumbnails_set_simple_and_resumable(yt: FakeYouTube, youtube: Any, video_file: Path,
                                             tmp_path: Path) -> None:
    video_id = _uploaded(yt, youtube, video_file)
    png = tmp_path / "thumb.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(5000))
    response = youtube.thumbnails().set(videoId=video_id, media_body=str(png)).execute()
    assert response["items"][0]["maxres"]["width"] == 1280
    video = yt.video(video_id)
    assert video.thumbnail_sha256 == sha256(png) and video.thumbnail_mime == "image/png"
    thumb_post = next(r for r in yt.requests if r.path == "/upload/youtube/v3/thumbnails/set")
    assert "uploadType=media" in thumb_post.query

    jpeg = tmp_path / "thumb.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(3 * CHUNK))
    media = MediaFileUpload(str(jpeg), mimetype="image/jpeg", resumable=True, chunksize=CHUNK)
    upload(youtube.thumbnails().set(videoId=video_id, media_body=media))
    video = yt.video(video_id)
    assert video.thumbnail_sha256 == sha256(jpeg) and video.thumbnails_set == 2


def test_thumbnail_errors(yt: FakeYouTube, youtube: Any, video_file: Path,
                          tmp_path: Path) -> None:
    video_id = _uploaded(yt, youtube, video_file)
    bogus = tmp_path / "bogus.png"
    bogus.write_bytes(b"not an image")
    with pytest.raises(HttpError) as caught:
        youtube.thumbnails().set(videoId=video_id, media_body=str(bogus)).execute()
    assert _reason(caught.value) == "invalidImage"
    with pytest.raises(HttpError) as caught:
        youtube.thumbnails().set(videoId="missing", media_body=str(bogus)).execute()
    assert caught.value.status_code == 404 and _reason(caught.value) == "videoNotFound"

    yt.channel_verified = False
    png = tmp_path / "thumb.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    with pytest.raises(HttpError) as caught:
        youtube.thumbnails().set(videoId=video_id, media_body=str(png)).execute()
    assert caught.value.status_code == 403 and _reason(caught.value) == "forbidden"
    channel = youtube.channels().list(part="status", mine=True).execute()["items"][0]
    assert channel["status"]["longUploadsStatus"] == "eligible"


def test_playlists_and_playlist_items(yt: FakeYouTube, youtube: Any, video_file: Path) -> None:
    video_id = _uploaded(yt, youtube, video_file)
    created = youtube.playlists().insert(part="snippet,status", body={
        "snippet": {"title": "Interviste 2026", "description": "Stagione"},
        "status": {"privacyStatus": "public"}}).execute()
    listed = youtube.playlists().list(part="snippet,contentDetails", mine=True,
                                      maxResults=50).execute()
    assert [p["id"] for p in listed["items"]] == [created["id"]]
    assert listed["items"][0]["contentDetails"]["itemCount"] == 0

    item = youtube.playlistItems().insert(part="snippet", body={"snippet": {
        "playlistId": created["id"],
        "resourceId": {"kind": "youtube#video", "videoId": video_id}}}).execute()
    assert item["snippet"]["position"] == 0
    assert item["snippet"]["resourceId"]["videoId"] == video_id
    assert yt.video(video_id).playlists == [created["id"]]
    assert yt.playlists[created["id"]].video_ids == [video_id]

    items = youtube.playlistItems().list(part="snippet", playlistId=created["id"]).execute()
    assert [i["snippet"]["resourceId"]["videoId"] for i in items["items"]] == [video_id]
    uploads = youtube.playlistItems().list(part="contentDetails",
                                           playlistId=yt.uploads_playlist_id).execute()
    assert [i["contentDetails"]["videoId"] for i in uploads["items"]] == [video_id]

    with pytest.raises(HttpError) as caught:
        youtube.playlistItems().insert(part="snippet", body={"snippet": {
            "playlistId": "PLmissing",
            "resourceId": {"kind": "youtube#video", "videoId": video_id}}}).execute()
    assert caught.value.status_code == 404 and _reason(caught.value) == "playlistNotFound"


def test_playlists_list_pages(yt: FakeYouTube, youtube: Any) -> None:
    for n in range(7):
        youtube.playlists().insert(part="snippet", body={"snippet": {"title": f"P{n}"}}).execute()
    first = youtube.playlists().list(part="snippet", mine=True).execute()
    second = youtube.playlists().list(part="snippet", mine=True,
                                      pageToken=first["nextPageToken"]).execute()
    assert len(first["items"]) == 5 and len(second["items"]) == 2
    assert "nextPageToken" not in second


@pytest.mark.parametrize("resumable", [False, True])
def test_captions_insert(yt: FakeYouTube, youtube: Any, video_file: Path, tmp_path: Path,
                         resumable: bool) -> None:
    video_id = _uploaded(yt, youtube, video_file)
    subs = tmp_path / "subs.it.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:02,000\nBuongiorno a tutti\n\n" * 50)
    media = MediaFileUpload(str(subs), mimetype="application/octet-stream",
                            resumable=resumable)
    request = youtube.captions().insert(part="snippet", body={"snippet": {
        "videoId": video_id, "language": "it", "name": "Italiano", "isDraft": False}},
        media_body=media)
    response = upload(request) if resumable else request.execute()
    assert response["snippet"]["language"] == "it"
    caption = yt.video(video_id).captions["it"][0]
    assert caption.sha256 == sha256(subs) and caption.size == subs.stat().st_size
    assert caption.upload_type == ("resumable" if resumable else "multipart")
    listed = youtube.captions().list(part="snippet", videoId=video_id).execute()
    assert [c["id"] for c in listed["items"]] == [response["id"]]

    with pytest.raises(HttpError) as caught:  # same language and name again
        youtube.captions().insert(part="snippet", body={"snippet": {
            "videoId": video_id, "language": "it", "name": "Italiano"}},
            media_body=MediaFileUpload(str(subs), mimetype="application/octet-stream")
        ).execute()
    assert caught.value.status_code == 409


def test_channels_list_mine(yt: FakeYouTube, youtube: Any) -> None:
    item = youtube.channels().list(part="snippet,contentDetails,status",
                                   mine=True).execute()["items"][0]
    assert item["id"] == yt.channel_id
    assert item["status"]["longUploadsStatus"] == "allowed"
    assert item["snippet"]["title"] == "Sandbox Channel"


# ---- storage modes, concurrency, policy switches -------------------------------------------

def test_disk_and_discard_storage(video_file: Path) -> None:
    with FakeYouTube(storage="disk") as yt:
        video_id = _uploaded(yt, service(yt), video_file)
        video = yt.video(video_id)
        assert video.path is not None and video.path.read_bytes() == video_file.read_bytes()
        folder = yt.storage_dir
    assert folder is not None and not folder.exists()  # a temporary folder, removed on stop

    with FakeYouTube(storage="discard") as yt:
        video = yt.video(_uploaded(yt, service(yt), video_file))
        assert video.sha256 is None and video.size == SIZE and video.path is None


def test_parallel_uploads(yt: FakeYouTube, tmp_path: Path) -> None:
    files = []
    for n in range(4):
        path = tmp_path / f"v{n}.mp4"
        path.write_bytes(os.urandom(2 * CHUNK + n))
        files.append(path)
    results: dict[str, str] = {}

    def worker(path: Path) -> None:
        youtube = service(yt)  # httplib2 connections are not thread-safe: one client each
        results[path.name] = _uploaded(yt, youtube, path, chunksize=CHUNK)

    threads = [threading.Thread(target=worker, args=(p,)) for p in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(results) == 4
    for path in files:
        assert yt.video(results[path.name]).sha256 == sha256(path)


def test_lock_private_uploads(video_file: Path) -> None:
    with FakeYouTube(lock_private_uploads=True) as yt:
        body = {"snippet": {"title": "x"}, "status": {"privacyStatus": "public"}}
        response = upload(insert_request(service(yt), video_file, body=body))
        assert response["status"]["privacyStatus"] == "private"


def test_request_log_and_fake_stop_is_quick(video_file: Path) -> None:
    import time
    yt = FakeYouTube().start()
    _uploaded(yt, service(yt), video_file)
    assert str(yt.requests[0]) == "POST /token -> 200"
    started = time.monotonic()
    yt.stop()
    assert time.monotonic() - started < 1.0
    assert not yt.running
