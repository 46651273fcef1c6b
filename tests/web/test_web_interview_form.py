"""Adding and editing an interview in the console: the video uploaded (streamed to the home's
media folder, refused while it streams past `[web] max_upload_mib`) or picked from the inbox
(nothing outside it), everything checked by `queue add` / `queue edit`'s own code, each
problem next to its field, and nothing written — the database and the media folder as they
were — when anything is wrong."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import text
from starlette.requests import Request

from publisher.store.db import make_engine
from publisher.web.uploads import UploadTooLarge, receive_form
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.web_console import Browser, Console, add_user, console_for
from tests.helpers.went_out import went_out


@pytest.fixture
def console(sqlite_home: HomeFixture, media: Media, anna_account: str) -> Iterator[Console]:
    sqlite_home.ok(*add_args(media.video(), "Uno"))
    add_user(sqlite_home, "vera", role="viewer")
    yield from console_for(sqlite_home)


def send(browser: Browser, path: str, fields: dict[str, Any],
         files: dict[str, tuple[str, bytes]] | None = None) -> httpx.Response:
    """POST the form as a browser does: multipart, the CSRF token first."""
    data = {"csrftoken": browser.token(), **fields}
    return browser.client.post(path, data=data, files=files or {"video_file": ("", b"")})


def valid_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": "Maria Rossi nel suo studio",
                              "speaker_name": ["Maria Rossi", "Luca Bianchi"],
                              "speaker_role": ["ceramista", ""],
                              "description": "Una conversazione.\r\nIn due righe.",
                              "hashtags": "#ceramica, faenza", "language": "",
                              "not_before": ""}
    fields.update(changes)
    return fields


def media_files(console: Console) -> list[str]:
    folder = console.home.path / "media"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def show(console: Console, interview_id: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(console.home.ok("queue", "show", interview_id,
                                                      "--json").stdout)
    return data


def field_errors(page: str, name: str) -> list[str]:
    found = re.search(rf'<div role="alert"><ul class="field-error" id="error-{name}">(.*?)</ul>',
                      page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S) if found else []


def set_config(home: HomeFixture, old: str, new: str) -> None:
    path = home.path / "publisher.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---- adding ---------------------------------------------------------------------------------

def test_an_interview_added_with_uploads_is_the_one_queue_add_would_make(
        console: Console, anna: Browser, media: Media) -> None:
    assert 'href="/interviews/new"' in anna.get("/queue").text
    form = anna.get("/interviews/new")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    video = media.video("clip.mp4").read_bytes()
    response = send(anna, "/interviews/new", valid_fields(caption_lang_1="it"), files={
        "video_file": ("Il mio video (finale).mp4", video),
        "thumbnail_file": ("thumb.png", media.png().read_bytes()),
        "caption_file_1": ("subs.srt", media.srt().read_bytes())})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/interviews/2"
    assert "Interview 2 “Maria Rossi nel suo studio” is queued." in anna.follow(response).text
    data = show(console, 2)
    stored = Path(data["video"])
    assert stored.parent == console.home.path / "media"
    assert stored.name == "Il-mio-video-finale-.mp4" and stored.read_bytes() == video
    assert Path(data["thumbnail"]).parent == stored.parent
    assert list(data["captions"]) == ["it"]
    assert [(s["name"], s["role"]) for s in data["speakers"]] == [
        ("Maria Rossi", "ceramista"), ("Luca Bianchi", None)]
    assert data["description"] == "Una conversazione.\nIn due righe."
    assert data["hashtags"] == ["#ceramica", "#faenza"]
    assert data["position"] == 2
    assert not [n for n in media_files(console) if n.endswith(".part")]
    history = json.loads(console.home.ok("history", 2, "--json").stdout)
    assert history[0]["what"] == "queued" and history[0]["by"] == "web:anna"


def test_a_video_picked_from_the_inbox(console: Console, anna: Browser, media: Media) -> None:
    inbox = console.home.path / "inbox" / "season 2"
    inbox.mkdir(parents=True)
    media.video("picked.mp4").rename(inbox / "picked.mp4")
    (inbox / "notes.txt").write_text("not offered")
    form = anna.get("/interviews/new").text
    assert '<option value="season 2/picked.mp4">' in form and "notes.txt" not in form
    response = send(anna, "/interviews/new", valid_fields(video_inbox="season 2/picked.mp4"))
    assert response.status_code == 303, response.text
    assert show(console, 2)["video"] == str((inbox / "picked.mp4").resolve())
    assert media_files(console) == []  # used where it is


@pytest.mark.parametrize("pick", ["../publisher.toml", "/etc/passwd", "season/../../x.mp4",
                                  "outside.mp4"])
def test_nothing_outside_the_inbox_can_be_picked(console: Console, anna: Browser,
                                                 media: Media, pick: str) -> None:
    inbox = console.home.path / "inbox"
    inbox.mkdir()
    outside = media.video("elsewhere.mp4")
    (inbox / "outside.mp4").symlink_to(outside)  # a link that leads out of the inbox
    assert "outside.mp4" not in anna.get("/interviews/new").text
    before = console.home.snapshot()
    response = send(anna, "/interviews/new", valid_fields(video_inbox=pick))
    assert response.status_code == 422
    errors = field_errors(response.text, "video")
    assert errors and ("inbox folder" in errors[0]), errors
    assert console.home.snapshot() == before


def test_a_file_that_is_not_a_video_is_refused_and_not_kept(console: Console,
                                                            anna: Browser) -> None:
    before = console.home.snapshot()
    response = send(anna, "/interviews/new", valid_fields(),
                    files={"video_file": ("talk.mp4", b"this is no video at all" * 100)})
    assert response.status_code == 422
    assert "not a video file" in " ".join(field_errors(response.text, "video"))
    assert 'id="video-file" name="video_file" aria-invalid="true"' in response.text
    assert console.home.snapshot() == before
    assert media_files(console) == []
    # What was typed is kept in the form.
    assert 'value="Maria Rossi nel suo studio"' in response.text
    assert 'value="Luca Bianchi"' in response.text


def test_an_upload_over_the_limit_is_refused_and_not_kept(sqlite_home: HomeFixture,
                                                          media: Media) -> None:
    set_config(sqlite_home, "max_upload_mib = 4096", "max_upload_mib = 1")
    add_user(sqlite_home, "anna")
    for console in console_for(sqlite_home):
        anna = console.logged_in("anna")
        before = console.home.snapshot()
        response = send(anna, "/interviews/new", valid_fields(),
                        files={"video_file": ("big.mp4", b"\0" * (1024 * 1024 + 1))})
        assert response.status_code == 413
        assert "1 MiB" in " ".join(field_errors(response.text, "video"))
        assert console.home.snapshot() == before
        assert media_files(console) == []
        # At the limit is fine (then refused, here, for not being a video).
        at_limit = send(anna, "/interviews/new", valid_fields(),
                        files={"video_file": ("big.mp4", b"\0" * (1024 * 1024))})
        assert at_limit.status_code == 422 and media_files(console) == []


def test_the_limit_stops_the_upload_while_it_streams(tmp_path: Path) -> None:
    """The body is read no further than the limit: the rest never leaves the client."""
    chunk = b"x" * 65536
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"video_file\"; "
            f"filename=\"big.mp4\"\r\nContent-Type: video/mp4\r\n\r\n").encode()
    sent = []

    async def receive() -> dict[str, Any]:
        body = head if not sent else chunk
        sent.append(len(body))
        return {"type": "http.request", "body": body, "more_body": len(sent) < 1000}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [
        (b"content-type", f"multipart/form-data; boundary={boundary}".encode())]}
    request = Request(scope, receive)
    with pytest.raises(UploadTooLarge):
        anyio.run(receive_form, request, tmp_path / "media", 5 * 65536)
    assert len(sent) <= 7  # the head, then five chunks and the one that passed the limit
    assert list((tmp_path / "media").iterdir()) == []


def test_each_problem_is_shown_next_to_its_field_and_nothing_is_written(
        console: Console, anna: Browser, media: Media) -> None:
    before = console.home.snapshot()
    response = send(anna, "/interviews/new", valid_fields(
        title="", speaker_name=["", "Luca"], speaker_role=["ceramista", ""],
        language="klingon-xx-yy", not_before="next tuesday", caption_lang_1="it"),
        files={"video_file": ("clip.mp4", media.video().read_bytes()),
               "caption_file_2": ("subs.srt", media.srt().read_bytes())})
    assert response.status_code == 422
    page = response.text
    assert field_errors(page, "title") == ["title: missing; an interview needs a title (--title)"]
    assert "the role “ceramista” has no name beside it" in " ".join(
        field_errors(page, "speakers"))
    assert field_errors(page, "language")[0].startswith("language: unknown language code")
    assert field_errors(page, "not_before")[0].startswith("not-before: cannot read")
    captions = " ".join(field_errors(page, "captions"))
    assert "no file given for the language “it”" in captions
    assert "needs its language" in captions
    assert field_errors(page, "video") == []
    for name in ("title", "language", "not_before"):
        assert f'aria-invalid="true" aria-describedby="error-{name}"' in page, name
    assert console.home.snapshot() == before
    assert media_files(console) == []  # the good video is not kept either


def test_markup_sent_in_the_form_comes_back_as_text(console: Console, anna: Browser) -> None:
    response = send(anna, "/interviews/new", valid_fields(
        title='<script>alert("x")</script>', description="<img src=x onerror=alert(1)>"))
    assert response.status_code == 422
    assert "<script>" not in response.text and "<img src=x" not in response.text
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in response.text


def test_a_viewer_gets_no_form(console: Console) -> None:
    vera = console.logged_in("vera")
    assert vera.get("/interviews/new").status_code == 403
    assert vera.get("/interviews/1/edit").status_code == 403
    assert 'href="/interviews/new"' not in vera.get("/queue").text
    assert 'href="/interviews/1/edit"' not in vera.get("/interviews/1").text


# ---- editing --------------------------------------------------------------------------------

def test_an_edit_changes_only_what_was_changed(console: Console, anna: Browser) -> None:
    page = anna.get("/interviews/1")
    assert 'href="/interviews/1/edit"' in page.text
    form = anna.get("/interviews/1/edit")
    assert form.status_code == 200
    assert 'value="Uno"' in form.text and 'value="Maria Rossi"' in form.text
    seen = re.search(r'name="seen" value="([^"]+)"', form.text)
    assert seen
    current = show(console, 1)
    response = send(anna, "/interviews/1/edit", {
        "seen": seen.group(1), "title": "Uno, rivisto",
        "speaker_name": ["Maria Rossi"], "speaker_role": ["ceramista"],
        "description": current["description"], "hashtags": " ".join(current["hashtags"]),
        "language": current["language"], "not_before": "2030-01-15"})
    assert response.status_code == 303, response.text
    assert "is changed" in anna.follow(response).text
    after = show(console, 1)
    assert after["title"] == "Uno, rivisto"
    assert after["not_before"].startswith("2030-01-15T00:00:00")
    assert after["video"] == current["video"]
    edited = json.loads(console.home.ok("history", 1, "--json").stdout)[-1]
    assert edited["what"] == "edited" and edited["by"] == "web:anna"
    assert edited["detail"]["fields"] == ["not_before", "title"]


def test_an_edit_that_changes_nothing_or_comes_late_is_refused(console: Console,
                                                               anna: Browser) -> None:
    form = anna.get("/interviews/1/edit").text
    fields = dict(re.findall(
        r'<input id="[^"]+" name="(title|language|hashtags|not_before)" value="([^"]*)"',
        form))
    seen = re.search(r'name="seen" value="([^"]+)"', form)
    assert seen and set(fields) == {"title", "language", "hashtags", "not_before"}
    fields["seen"] = seen.group(1)
    fields.update(speaker_name="Maria Rossi", speaker_role="ceramista",
                  description=show(console, 1)["description"])
    before = console.home.snapshot()
    same = send(anna, "/interviews/1/edit", fields)
    assert same.status_code == 422 and "nothing to change" in same.text
    console.home.ok("queue", "edit", 1, "--title", "Cambiato da un altro")
    late = send(anna, "/interviews/1/edit", {**fields, "title": "Il mio titolo"})
    assert late.status_code == 422
    assert "changed by someone else" in late.text
    assert show(console, 1)["title"] == "Cambiato da un altro"
    assert console.home.snapshot() != before  # only the CLI's edit


def test_an_interview_on_youtube_cannot_be_edited(console: Console, anna: Browser) -> None:
    went_out(console.home, 1, "vid1", dt.datetime(2026, 12, 8, 17, tzinfo=dt.UTC), {})
    engine = make_engine(console.home.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE interviews SET state = 'released' WHERE id = 1"))
    engine.dispose()
    assert 'href="/interviews/1/edit"' not in anna.get("/interviews/1").text
    refused = anna.get("/interviews/1/edit")
    assert refused.status_code == 409 and "it is out on YouTube" in refused.text
    before = console.home.snapshot()
    posted = send(anna, "/interviews/1/edit", valid_fields(seen="x"))
    assert posted.status_code == 409
    assert console.home.snapshot() == before
