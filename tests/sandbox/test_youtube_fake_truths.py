"""The fake YouTube behaves as YouTube does where the pipeline once assumed otherwise
(issue 12): the automatic caption track after processing, the thumbnails-per-24-hours limit,
an answer lost after the call took effect. Through the real google-api-python-client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from publisher.sandbox.youtube import FakeYouTube
from tests.sandbox.youtube_client import insert_request, service, upload


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture
def youtube(yt: FakeYouTube) -> Any:
    return service(yt)


@pytest.fixture
def video_id(yt: FakeYouTube, youtube: Any, tmp_path: Path) -> str:
    path = tmp_path / "v.mp4"
    path.write_bytes(os.urandom(300_000))
    body = {"snippet": {"title": "Intervista", "categoryId": "22",
                        "defaultAudioLanguage": "it"},
            "status": {"privacyStatus": "private"}}
    return str(upload(insert_request(youtube, path, body=body))["id"])


def _tracks(youtube: Any, video_id: str) -> list[dict[str, Any]]:
    items = youtube.captions().list(part="snippet", videoId=video_id).execute()["items"]
    return [item["snippet"] for item in items]


def test_a_processed_video_has_youtubes_automatic_track(yt: FakeYouTube, youtube: Any,
                                                        video_id: str, tmp_path: Path) -> None:
    assert _tracks(youtube, video_id) == []  # still processing: nothing yet
    yt.finish_processing(video_id)
    (asr,) = _tracks(youtube, video_id)
    assert (asr["trackKind"], asr["language"], asr["name"]) == ("asr", "it", "")
    subs = tmp_path / "it.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:01,000\nCiao\n")
    youtube.captions().insert(part="snippet", body={"snippet": {
        "videoId": video_id, "language": "it", "name": "Intervista (it)"}},
        media_body=MediaFileUpload(str(subs), mimetype="application/octet-stream")).execute()
    kinds = sorted((t["trackKind"], t["name"]) for t in _tracks(youtube, video_id))
    assert kinds == [("asr", ""), ("standard", "Intervista (it)")]
    assert [c.name for c in yt.video(video_id).captions["it"]] == ["Intervista (it)"]
    yt.asr_captions = False
    assert [t["trackKind"] for t in _tracks(youtube, video_id)] == ["standard"]


def test_thumbnail_limit_answers_429_upload_rate_limit_exceeded(
        yt: FakeYouTube, youtube: Any, video_id: str, tmp_path: Path) -> None:
    thumb = tmp_path / "t.png"
    thumb.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    yt.exceed_thumbnail_limit()
    with pytest.raises(HttpError) as caught:
        youtube.thumbnails().set(videoId=video_id, media_body=str(thumb)).execute()
    assert caught.value.status_code == 429
    assert caught.value.error_details[0]["reason"] == "uploadRateLimitExceeded"
    assert "too many thumbnails" in caught.value.error_details[0]["message"]
    assert yt.video(video_id).thumbnails_set == 0
    yt.exceed_thumbnail_limit(False)
    youtube.thumbnails().set(videoId=video_id, media_body=str(thumb)).execute()
    assert yt.video(video_id).thumbnails_set == 1


def test_an_answer_dropped_after_the_call_took_effect(yt: FakeYouTube, youtube: Any) -> None:
    yt.drop_next_answer("playlists.insert")
    with pytest.raises(ConnectionError):
        youtube.playlists().insert(part="snippet", body={
            "snippet": {"title": "Stagione 1"}}).execute()
    assert [p.title for p in yt.playlists.values()] == ["Stagione 1"]  # it was made...
    assert yt.quota.spent_on("playlists.insert") == 50                   # ...and charged
    youtube.playlists().insert(part="snippet", body={"snippet": {"title": "Stagione 2"}}
                               ).execute()  # one-shot
    assert len(yt.playlists) == 2
