"""The fake's `captions.update`, `captions.delete` and `playlistItems.delete` behave as the
API reference documents them, driven through the real google-api-python-client:

- `captions.update` replaces an uploaded track's file (same id, language and name; a new
  `lastUpdated`), costs 450 units; resumable uploads work too;
- `captions.delete` answers 204 and costs 50 units; `captions.list` no longer shows the track;
- YouTube's automatic (ASR) track cannot be updated or deleted: 403 `forbidden`;
- a track id that names nothing: 404 `captionNotFound` (a track already deleted included);
- `playlistItems.delete` answers 204 (50 units); an unknown or already deleted item is 404
  `playlistItemNotFound`; an item of the channel's uploads playlist is 403.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from publisher.sandbox.youtube import FakeYouTube
from tests.helpers.clock import Clock
from tests.sandbox.youtube_client import CHUNK, insert_request, service, upload

SRT = "1\n00:00:00,000 --> 00:00:01,000\nCiao\n"
SRT2 = "1\n00:00:00,000 --> 00:00:01,000\nCiao, corretto\n"


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC))


@pytest.fixture
def yt(clock: Clock) -> Iterator[FakeYouTube]:
    with FakeYouTube(clock=clock) as fake:
        yield fake


@pytest.fixture
def youtube(yt: FakeYouTube) -> Any:
    return service(yt)


@pytest.fixture
def video_id(yt: FakeYouTube, youtube: Any, tmp_path: Path) -> str:
    path = tmp_path / "v.mp4"
    path.write_bytes(os.urandom(CHUNK))
    video = upload(insert_request(youtube, path))
    yt.finish_processing(str(video["id"]))
    return str(video["id"])


def _reason(exc: HttpError) -> str:
    details: Any = exc.error_details
    return str(details[0]["reason"])


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _insert(youtube: Any, video_id: str, path: Path, language: str = "it") -> str:
    result = youtube.captions().insert(
        part="snippet", body={"snippet": {"videoId": video_id, "language": language,
                                          "name": "Maria Rossi (it)"}},
        media_body=MediaFileUpload(str(path), mimetype="application/octet-stream")).execute()
    return str(result["id"])


def _listed(youtube: Any, video_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = youtube.captions().list(
        part="snippet", videoId=video_id).execute()["items"]
    return items


@pytest.mark.parametrize("resumable", [False, True])
def test_captions_update_replaces_the_file_and_keeps_the_track(
        yt: FakeYouTube, youtube: Any, video_id: str, tmp_path: Path, clock: Clock,
        resumable: bool) -> None:
    track_id = _insert(youtube, video_id, _file(tmp_path, "a.srt", SRT))
    first = yt.captions[track_id].sha256
    listed_before = next(i for i in _listed(youtube, video_id) if i["id"] == track_id)
    clock.now += dt.timedelta(minutes=5)
    spent = yt.quota.spent_on("captions.update")
    request = youtube.captions().update(
        part="snippet", body={"id": track_id, "snippet": {"isDraft": False}},
        media_body=MediaFileUpload(str(_file(tmp_path, "b.srt", SRT2)),
                                   mimetype="application/octet-stream", resumable=resumable))
    answer = upload(request) if resumable else request.execute()
    assert answer["id"] == track_id and answer["snippet"]["language"] == "it"
    track = yt.captions[track_id]
    assert track.sha256 != first and track.updates == 1 and track.name == "Maria Rossi (it)"
    listed = next(i for i in _listed(youtube, video_id) if i["id"] == track_id)
    assert listed["snippet"]["lastUpdated"] > listed_before["snippet"]["lastUpdated"]
    assert yt.quota.spent_on("captions.update") - spent == 450


def test_captions_delete_removes_the_track_once(yt: FakeYouTube, youtube: Any,
                                                video_id: str, tmp_path: Path) -> None:
    track_id = _insert(youtube, video_id, _file(tmp_path, "a.srt", SRT))
    spent = yt.quota.spent_on("captions.delete")
    assert youtube.captions().delete(id=track_id).execute() == ""
    assert yt.quota.spent_on("captions.delete") - spent == 50
    assert track_id not in yt.captions and [c.id for c in yt.deleted_captions] == [track_id]
    assert all(i["id"] != track_id for i in _listed(youtube, video_id))
    assert video_id in yt.videos and yt.videos[video_id].captions == {}
    with pytest.raises(HttpError) as again:
        youtube.captions().delete(id=track_id).execute()
    assert again.value.status_code == 404 and _reason(again.value) == "captionNotFound"


def test_youtubes_automatic_track_cannot_be_updated_or_deleted(
        yt: FakeYouTube, youtube: Any, video_id: str, tmp_path: Path) -> None:
    (asr,) = [i for i in _listed(youtube, video_id) if i["snippet"]["trackKind"] == "asr"]
    with pytest.raises(HttpError) as deleting:
        youtube.captions().delete(id=asr["id"]).execute()
    assert deleting.value.status_code == 403 and _reason(deleting.value) == "forbidden"
    with pytest.raises(HttpError) as updating:
        youtube.captions().update(
            part="snippet", body={"id": asr["id"]},
            media_body=MediaFileUpload(str(_file(tmp_path, "b.srt", SRT2)),
                                       mimetype="application/octet-stream")).execute()
    assert updating.value.status_code == 403 and _reason(updating.value) == "forbidden"
    assert [i["id"] for i in _listed(youtube, video_id)] == [asr["id"]]


def test_a_missing_track_is_404(youtube: Any, video_id: str, tmp_path: Path) -> None:
    with pytest.raises(HttpError) as updating:
        youtube.captions().update(
            part="snippet", body={"id": "AUieDaNOSUCHTRACK"},
            media_body=MediaFileUpload(str(_file(tmp_path, "b.srt", SRT2)),
                                       mimetype="application/octet-stream")).execute()
    assert updating.value.status_code == 404 and _reason(updating.value) == "captionNotFound"


def test_playlist_items_delete(yt: FakeYouTube, youtube: Any, video_id: str) -> None:
    playlist = youtube.playlists().insert(
        part="snippet,status", body={"snippet": {"title": "Ceramica"},
                                     "status": {"privacyStatus": "public"}}).execute()
    item = youtube.playlistItems().insert(part="snippet", body={"snippet": {
        "playlistId": playlist["id"],
        "resourceId": {"kind": "youtube#video", "videoId": video_id}}}).execute()
    spent = yt.quota.spent_on("playlistItems.delete")
    assert youtube.playlistItems().delete(id=item["id"]).execute() == ""
    assert yt.quota.spent_on("playlistItems.delete") - spent == 50
    assert yt.playlists[playlist["id"]].video_ids == []
    assert yt.videos[video_id].playlists == []
    listed = youtube.playlistItems().list(part="snippet", playlistId=playlist["id"]).execute()
    assert listed["items"] == []
    with pytest.raises(HttpError) as again:
        youtube.playlistItems().delete(id=item["id"]).execute()
    assert again.value.status_code == 404 and _reason(again.value) == "playlistItemNotFound"
    with pytest.raises(HttpError) as uploads:
        youtube.playlistItems().delete(id="UU" + video_id).execute()
    assert uploads.value.status_code == 403
    assert _reason(uploads.value) == "playlistItemsNotAccessible"
