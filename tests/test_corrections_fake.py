"""The fake's `videos.update` behaves as the API reference describes it (not as our adapter
happens to call it), driven through the real google-api-python-client:

- each part named in `part` is replaced whole: a mutable property left out of the body is
  removed (a privacy left out reverts to the default, public; a publishAt is unscheduled);
- a part the body holds but `part` does not name is not written;
- updating `snippet` requires `snippet.title` and `snippet.categoryId` (invalidVideoMetadata);
- an unknown part is `unknownPart`; a part with nothing writable is only echoed back;
- a call costs 50 units.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from publisher.platforms.youtube.fields import READ_PARTS, Field, update_request, values_of
from publisher.sandbox.youtube import FakeYouTube
from tests.sandbox.youtube_client import CHUNK, insert_request, service, upload

BODY = {"snippet": {"title": "Maria Rossi", "description": "Ceramista", "tags": ["a", "b"],
                    "categoryId": "27", "defaultLanguage": "it",
                    "defaultAudioLanguage": "it"},
        "status": {"privacyStatus": "private", "publishAt": "2031-02-03T18:00:00Z",
                   "license": "creativeCommon", "embeddable": False,
                   "selfDeclaredMadeForKids": False, "containsSyntheticMedia": True,
                   "publicStatsViewable": False},
        "recordingDetails": {"recordingDate": "2026-10-03T00:00:00.000Z"},
        "localizations": {"en": {"title": "Maria Rossi (EN)", "description": "Ceramist"}}}


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
    path.write_bytes(os.urandom(CHUNK))
    video = upload(insert_request(youtube, path, body=BODY,
                                  part="snippet,status,recordingDetails,localizations"))
    yt.finish_processing(str(video["id"]))
    return str(video["id"])


def _reason(exc: HttpError) -> str:
    details: Any = exc.error_details
    return str(details[0]["reason"])


def _read(youtube: Any, video_id: str) -> dict[str, Any]:
    item: dict[str, Any] = youtube.videos().list(part=READ_PARTS,
                                                 id=video_id).execute()["items"][0]
    return item


def test_a_part_is_replaced_whole(yt: FakeYouTube, youtube: Any, video_id: str) -> None:
    youtube.videos().update(part="status", body={
        "id": video_id, "status": {"license": "youtube"}}).execute()
    status = _read(youtube, video_id)["status"]
    assert status["privacyStatus"] == "public"  # left out: back to the default
    assert "publishAt" not in status  # unscheduled
    assert status["embeddable"] is True and status["publicStatsViewable"] is True
    assert "containsSyntheticMedia" not in status
    # The snippet, not named, is untouched.
    assert _read(youtube, video_id)["snippet"]["tags"] == ["a", "b"]


def test_a_part_the_body_holds_but_part_does_not_name_is_not_written(
        youtube: Any, video_id: str) -> None:
    youtube.videos().update(part="snippet", body={
        "id": video_id, "snippet": {"title": "Nuovo", "categoryId": "27"},
        "status": {"privacyStatus": "public"},
        "localizations": {}}).execute()
    video = _read(youtube, video_id)
    assert video["snippet"]["title"] == "Nuovo"
    assert "tags" not in video["snippet"] and "description" in video["snippet"]
    assert video["snippet"]["description"] == ""  # the snippet was replaced whole
    assert video["status"]["privacyStatus"] == "private"
    assert video["localizations"]["en"]["title"] == "Maria Rossi (EN)"


@pytest.mark.parametrize("snippet", [{"title": "Solo titolo"}, {"categoryId": "22"}, None])
def test_a_snippet_needs_its_title_and_category(yt: FakeYouTube, youtube: Any, video_id: str,
                                                snippet: dict[str, str] | None) -> None:
    body: dict[str, Any] = {"id": video_id}
    if snippet is not None:
        body["snippet"] = snippet
    with pytest.raises(HttpError) as caught:
        youtube.videos().update(part="snippet", body=body).execute()
    assert caught.value.status_code == 400
    assert _reason(caught.value) == "invalidVideoMetadata"
    assert yt.video(video_id).snippet["title"] == "Maria Rossi"


def test_parts_unknown_and_read_only(yt: FakeYouTube, youtube: Any, video_id: str) -> None:
    with pytest.raises(HttpError) as caught:
        youtube.videos().update(part="snippet,bogus", body={
            "id": video_id, "snippet": {"title": "x", "categoryId": "22"}}).execute()
    assert _reason(caught.value) == "unknownPart"
    answer = youtube.videos().update(part="statistics", body={
        "id": video_id, "statistics": {"viewCount": "99"}}).execute()
    assert answer["statistics"]["viewCount"] == "0"  # echoed, never written


def test_an_update_costs_fifty_units(yt: FakeYouTube, youtube: Any, video_id: str) -> None:
    before = yt.quota.used()
    youtube.videos().update(part="status", body={
        "id": video_id, "status": {"privacyStatus": "private"}}).execute()
    assert yt.quota.used() - before == 50


def test_our_read_modify_write_keeps_every_property_of_each_part(
        yt: FakeYouTube, youtube: Any, video_id: str) -> None:
    """The adapter's update (platforms/youtube/fields.py) against the fake's rules: changing
    one field of each part leaves every other property as it was."""
    before = _read(youtube, video_id)
    changes = {Field.TITLE: "Maria Rossi, ceramista", Field.LICENSE: "youtube",
               Field.RECORDING_DATE: "2026-10-04",
               Field.LOCALIZATIONS: {"en": {"title": "Maria Rossi, ceramist",
                                            "description": "Ceramist"},
                                     "fr": {"title": "Maria Rossi, céramiste",
                                            "description": ""}}}
    body, parts = update_request(before, changes)
    youtube.videos().update(part=parts, body=body).execute()
    after = _read(youtube, video_id)
    assert values_of(after) == {**values_of(before), **changes}
    for part in ("snippet", "status", "recordingDetails"):
        kept = {k: v for k, v in before[part].items()
                if k not in ("title", "license", "recordingDate", "localized")}
        assert {k: after[part].get(k) for k in kept} == kept, part
