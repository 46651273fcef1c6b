"""Bluesky: the shared adapter contract plus what is Bluesky's own (graphemes and bytes,
byte-offset facets, the link card, TID record keys, saved sessions), checked on the fake's
side of the wire with the real atproto SDK."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from atproto import Client  # type: ignore[import-untyped]
from atproto_client.exceptions import BadRequestError  # type: ignore[import-untyped]
from atproto_client.models.string_formats import TID_RE  # type: ignore[import-untyped]

from publisher.platforms.base import UnknownOutcome
from publisher.platforms.bluesky import BlueskyPoster, new_tid, tid_time
from publisher.platforms.errors import AuthError, PermanentError, TransientError
from publisher.samples import make_png
from publisher.sandbox.bluesky import FakeBluesky
from tests.adapter_contract import LINK, AdapterContract, sample_post

PASSWORD = "abcd-efgh-ijkl-mnop"
HANDLE = "studi-aperti.bsky.social"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("PUBLISHER_BLUESKY_API_ROOT", raising=False)


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    with FakeBluesky(handle=HANDLE, app_password=PASSWORD) as server:
        yield server
        assert server.errors == []


def make_adapter(fake: FakeBluesky, state_dir: Path | None, password: str = PASSWORD,
                 **settings: str) -> BlueskyPoster:
    return BlueskyPoster({"handle": HANDLE, "app_password": password, **settings},
                         api_root=fake.root, timeout=5.0, state_dir=state_dir)


@pytest.fixture
def adapter(fake: FakeBluesky, tmp_path: Path) -> BlueskyPoster:
    return make_adapter(fake, tmp_path / "state")


@pytest.fixture
def bad_adapter(fake: FakeBluesky, tmp_path: Path) -> BlueskyPoster:
    return make_adapter(fake, tmp_path / "bad-state", password="wxyz-wxyz-wxyz-wxyz")


class TestBlueskyContract(AdapterContract):
    pass


def calls(fake: FakeBluesky, nsid: str) -> int:
    return sum(1 for record in fake.requests if record.tag == nsid)


# ---- counting ----------------------------------------------------------------------------

FAMILY = "👨‍👩‍👧‍👦"  # 7 code points, 25 UTF-8 bytes, one grapheme
LONG_URL = LINK + "&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&index=7&t=95s"


@pytest.mark.parametrize(("text", "expected"), [
    ("Nicolò Désirée", 14),
    (unicodedata.normalize("NFD", "Nicolò Désirée"), 14),   # combining accents
    (FAMILY, 1),
    ("🇮🇹 👍🏽", 3),                                         # flag, space, skin tone
    ("陶芸家のインタビュー", 10),                             # CJK: one each, no weighting
    ("Новое интервью", 14),                                # Cyrillic
    ("#Città #Керамика", 16),                              # accented hashtags, as typed
    (LONG_URL, len(LONG_URL)),                             # URLs count in full
])
def test_counts_graphemes(adapter: BlueskyPoster, text: str, expected: int) -> None:
    assert adapter.length(text) == expected


def test_exactly_300_graphemes_with_emoji_and_accents_is_accepted(
        fake: FakeBluesky, adapter: BlueskyPoster) -> None:
    lead = unicodedata.normalize("NFD", "Nicolò Désirée ") + FAMILY + " 陶芸 "
    filler = 300 - adapter.length(lead + LINK) - 1
    text = lead + "x" * filler + " " + LINK
    assert adapter.length(text) == 300 < len(text)  # more code points than graphemes
    adapter.publish(dataclasses.replace(sample_post(), text=text), adapter.new_handle())
    assert fake.posts_with(LINK)[0]["record"]["text"] == text


def test_over_300_graphemes_is_refused_before_sending(fake: FakeBluesky,
                                                      adapter: BlueskyPoster) -> None:
    text = "é" * (300 - len(LINK)) + " " + LINK
    with pytest.raises(PermanentError, match="301 graphemes"):
        adapter.publish(dataclasses.replace(sample_post(), text=text), adapter.new_handle())
    assert fake.requests == []


def test_byte_limit_binds_before_the_grapheme_limit(fake: FakeBluesky,
                                                    adapter: BlueskyPoster) -> None:
    # 119 families + " " + LINK: 163 graphemes, but 2975 + 1 + 43 = 3019 bytes.
    heavy = FAMILY * 119 + " " + LINK
    assert adapter.length(heavy) == 163 and len(heavy.encode()) == 3019
    with pytest.raises(PermanentError, match="3019 bytes, over the limit of 3000 bytes"):
        adapter.publish(dataclasses.replace(sample_post(), text=heavy), adapter.new_handle())
    fits = FAMILY * 118 + "xxxxxx " + LINK   # exactly 3000 bytes
    assert len(fits.encode()) == 3000
    adapter.publish(dataclasses.replace(sample_post(), text=fits), adapter.new_handle())
    assert len(fake.posts_with(LINK)) == 1


def test_the_fake_enforces_the_same_limits(fake: FakeBluesky) -> None:
    client = Client(base_url=fake.root)
    client.login(HANDLE, PASSWORD)
    for text, unit in (("x" * 301, "graphemes"), (FAMILY * 121, "characters")):
        with pytest.raises(BadRequestError) as info:
            client.send_post(text)
        # The PDS's name for it (createRecord turns InvalidRecordError into InvalidRequest).
        assert info.value.response.content.error == "InvalidRequest"
        assert info.value.response.content.message.startswith(
            "Invalid app.bsky.feed.post record: Record/text must not be longer than")
        assert unit in info.value.response.content.message
    client.send_post("x" * 300)


# ---- what goes on the wire ---------------------------------------------------------------

def test_facets_use_utf8_byte_offsets(fake: FakeBluesky, adapter: BlueskyPoster) -> None:
    lead = unicodedata.normalize("NFD", "Nicolò Désirée") + f" {FAMILY} 陶芸家 — "
    text = f"{lead}{LINK} #Città #Керамика #StudiAperti."
    adapter.publish(dataclasses.replace(sample_post(), text=text), adapter.new_handle())
    [post] = fake.posts_with(LINK)
    assert fake.facet_slices(post) == [
        ("link", LINK, LINK),
        ("tag", "#Città", "Città"),
        ("tag", "#Керамика", "Керамика"),
        ("tag", "#StudiAperti", "StudiAperti"),   # the final full stop is not part of it
    ]
    link_facet = post["record"]["facets"][0]["index"]
    assert link_facet["byteStart"] == len(lead.encode("utf-8")) != len(lead)


def test_link_card_carries_the_thumbnail_as_a_blob(fake: FakeBluesky, adapter: BlueskyPoster,
                                                   tmp_path: Path) -> None:
    thumb = make_png(tmp_path / "thumb.png", 64, 36)
    post = dataclasses.replace(sample_post(), thumbnail=thumb, language="it")
    adapter.publish(post, adapter.new_handle())
    [stored] = fake.posts_with(LINK)
    record = stored["record"]
    assert record["langs"] == ["it"]
    dt.datetime.fromisoformat(record["createdAt"])
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    external = record["embed"]["external"]
    assert (external["uri"], external["title"], external["description"]) == (
        LINK, post.title, post.description)
    assert external["thumb"]["mimeType"] == "image/png"
    assert external["thumb"]["size"] == thumb.stat().st_size
    assert fake.blob(external["thumb"]["ref"]["$link"]) == ("image/png", thumb.read_bytes())


def noise_png(path: Path, width: int, height: int) -> Path:
    """A real PNG of random pixels: it does not compress, so it is large."""
    from PIL import Image

    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(
        path, compress_level=1)
    return path


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080), (720, 1280)])
def test_a_thumbnail_over_the_limit_is_scaled_to_fit(fake: FakeBluesky, adapter: BlueskyPoster,
                                                     tmp_path: Path, width: int,
                                                     height: int) -> None:
    from PIL import Image

    thumb = noise_png(tmp_path / "thumb.png", width, height)
    assert thumb.stat().st_size > 1_000_000      # what the card used to lose
    adapter.publish(dataclasses.replace(sample_post(), thumbnail=thumb), adapter.new_handle())
    [stored] = fake.posts_with(LINK)
    blob = stored["record"]["embed"]["external"]["thumb"]
    assert blob["mimeType"] == "image/jpeg" and blob["size"] <= 1_000_000
    mime, data = fake.blob(blob["ref"]["$link"]) or ("", b"")
    assert mime == "image/jpeg" and len(data) == blob["size"]
    with Image.open(io.BytesIO(data)) as received:
        got_width, got_height = received.size
    assert got_width <= width and got_height <= height          # never upscaled
    assert abs(got_width / got_height - width / height) < 0.01  # the same aspect ratio
    assert abs(got_height - round(got_width * height / width)) <= 1


def test_image_fit_tries_quality_before_size_and_never_upscales() -> None:
    from PIL import Image

    from publisher.platforms.image_fit import fit_jpeg

    buffer = io.BytesIO()
    Image.frombytes("RGB", (640, 360), os.urandom(640 * 360 * 3)).save(buffer, "PNG")
    roomy = fit_jpeg(buffer.getvalue(), 10_000_000)
    assert roomy is not None and (roomy.width, roomy.height, roomy.quality) == (640, 360, 90)
    tight = fit_jpeg(buffer.getvalue(), 40_000)
    assert tight is not None and len(tight.data) <= 40_000 and tight.width < 640
    assert abs(tight.width / tight.height - 16 / 9) < 0.02
    assert fit_jpeg(buffer.getvalue(), 100) is None             # not even a tiny one fits
    assert fit_jpeg(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, 1000) is None   # unreadable


@pytest.mark.parametrize("case", ["unreadable", "missing"])
def test_card_goes_without_an_unusable_thumbnail(fake: FakeBluesky, adapter: BlueskyPoster,
                                                 tmp_path: Path, case: str) -> None:
    thumb = tmp_path / "thumb.png"
    if case == "unreadable":   # too large, and not a picture that can be re-encoded
        thumb.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 1_000_000)   # 1,000,008 bytes
    adapter.publish(dataclasses.replace(sample_post(), thumbnail=thumb), adapter.new_handle())
    [stored] = fake.posts_with(LINK)
    assert stored["record"]["embed"]["external"]["uri"] == LINK
    assert "thumb" not in stored["record"]["embed"]["external"]
    assert calls(fake, "com.atproto.repo.uploadBlob") == 0


# ---- exactly once: TID record keys -------------------------------------------------------

def test_handles_are_valid_increasing_tids() -> None:
    handles = [new_tid() for _ in range(200)]
    assert all(len(h) == 13 and TID_RE.match(h) for h in handles)
    assert handles == sorted(handles) and len(set(handles)) == len(handles)
    assert abs(tid_time(handles[0]) - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_the_record_key_is_the_handle_and_a_repeat_cannot_double_post(
        fake: FakeBluesky, adapter: BlueskyPoster) -> None:
    post = sample_post()
    handle = adapter.new_handle()
    posted = adapter.publish(post, handle)
    assert posted.remote_id.endswith(f"/app.bsky.feed.post/{handle}")
    assert posted.url and posted.url.endswith(f"/post/{handle}")
    assert fake.posts_with(LINK)[0]["rkey"] == handle
    with pytest.raises(UnknownOutcome):   # the PDS answers 500 for an existing rkey
        adapter.publish(post, handle)
    assert len(fake.posts_with(LINK)) == 1
    found = adapter.lookup(post, handle)
    assert found == posted


def test_dropped_before_storing_is_found_absent_and_retried(fake: FakeBluesky,
                                                            adapter: BlueskyPoster) -> None:
    post, handle = sample_post(), adapter.new_handle()
    fake.drop_next_post(after_storing=False)
    with pytest.raises(UnknownOutcome):
        adapter.publish(post, handle)
    assert adapter.lookup(post, handle) is None
    adapter.publish(post, handle)
    assert len(fake.posts_with(LINK)) == 1


@pytest.mark.parametrize("fault", ["fin", "502", "timeout"])
def test_acted_but_unanswered_is_an_unknown_outcome(fake: FakeBluesky, tmp_path: Path,
                                                    fault: str) -> None:
    # A clean close surfaces as a raw httpx.RemoteProtocolError (the SDK wraps only timeouts
    # and network errors); a 502 as the SDK's NetworkError *with* a response.
    adapter = BlueskyPoster({"handle": HANDLE, "app_password": PASSWORD}, api_root=fake.root,
                            timeout=0.5, state_dir=tmp_path)
    post, handle = sample_post(), adapter.new_handle()
    if fault == "fin":
        fake.drop_next_post(after_storing=True, reset=False)
    elif fault == "502":
        fake.fail_next_post(502, after_storing=True)
    else:
        fake.delay_next("com.atproto.repo.createRecord", 1.0)
    with pytest.raises(UnknownOutcome):
        adapter.publish(post, handle)
    assert adapter.lookup(post, handle) is not None
    assert len(fake.posts_with(LINK)) == 1


def test_a_blob_upload_failure_is_transient_and_posts_nothing(
        fake: FakeBluesky, adapter: BlueskyPoster, tmp_path: Path) -> None:
    post = dataclasses.replace(sample_post(), thumbnail=make_png(tmp_path / "t.png"))
    fake.fail_next("com.atproto.repo.uploadBlob", 500, after_storing=True)
    with pytest.raises(TransientError) as info:
        adapter.publish(post, adapter.new_handle())
    assert not isinstance(info.value, UnknownOutcome)   # no post can exist yet
    assert fake.posts == []


def test_connection_refused_is_transient_not_unknown(tmp_path: Path) -> None:
    with FakeBluesky(handle=HANDLE, app_password=PASSWORD) as gone:
        root = gone.root
    adapter = BlueskyPoster({"handle": HANDLE, "app_password": PASSWORD}, api_root=root,
                            timeout=2.0, state_dir=tmp_path)
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert not isinstance(info.value, UnknownOutcome)


def test_other_client_errors_are_permanent_with_the_message(fake: FakeBluesky,
                                                            adapter: BlueskyPoster) -> None:
    fake.fail_next_post(400, after_storing=False)
    with pytest.raises(PermanentError, match="InvalidRequest"):
        adapter.publish(sample_post(), adapter.new_handle())


# ---- sessions ----------------------------------------------------------------------------

def test_a_second_instance_reuses_the_saved_session(fake: FakeBluesky, tmp_path: Path) -> None:
    state = tmp_path / "state"
    make_adapter(fake, state).publish(sample_post(), new_tid())
    [saved] = state.iterdir()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert PASSWORD not in saved.read_text()
    second = make_adapter(fake, state)
    second.publish(sample_post("https://www.youtube.com/watch?v=second00001"), new_tid())
    assert second.lookup(sample_post(), new_tid()) is None
    assert fake.logins == 1
    assert calls(fake, "com.atproto.server.createSession") == 1


def test_refreshed_sessions_are_saved(tmp_path: Path) -> None:
    # Access tokens that expire within 15 minutes: the SDK refreshes before every call, and
    # the PDS rotates the refresh token, so only a saved refresh keeps later logins away.
    with FakeBluesky(handle=HANDLE, app_password=PASSWORD, access_ttl_s=60) as fake:
        state = tmp_path / "state"
        for n in range(3):
            adapter = make_adapter(fake, state)
            adapter.publish(sample_post(f"https://www.youtube.com/watch?v=refresh{n:04d}"),
                            adapter.new_handle())
        assert fake.logins == 1
        assert fake.refreshes >= 3
        assert fake.errors == []


def test_a_refused_saved_session_falls_back_to_one_login(fake: FakeBluesky,
                                                         tmp_path: Path) -> None:
    state = tmp_path / "state"
    make_adapter(fake, state).publish(sample_post(), new_tid())
    fake.revoke_sessions()
    other = sample_post("https://www.youtube.com/watch?v=afterRevoke")
    make_adapter(fake, state).publish(other, new_tid())
    assert fake.logins == 2
    assert len(fake.posts_with(other.link)) == 1
    make_adapter(fake, state).publish(sample_post("https://youtu.be/third"), new_tid())
    assert fake.logins == 2   # the new session was saved


def test_sessions_work_without_a_did_doc(tmp_path: Path) -> None:
    with FakeBluesky(handle=HANDLE, app_password=PASSWORD, advertise_did_doc=False) as fake:
        make_adapter(fake, tmp_path).publish(sample_post(), new_tid())
        make_adapter(fake, tmp_path).publish(sample_post("https://youtu.be/x2"), new_tid())
        assert fake.logins == 1 and len(fake.posts) == 2


def test_a_revoked_app_password_names_the_key_to_fix(fake: FakeBluesky,
                                                     adapter: BlueskyPoster) -> None:
    adapter.publish(sample_post(), adapter.new_handle())
    fake.revoke_app_password(PASSWORD)
    with pytest.raises(AuthError) as info:
        adapter.publish(sample_post("https://youtu.be/later"), adapter.new_handle())
    message = str(info.value)
    assert "Bluesky" in message and "app_password" in message and PASSWORD not in message


def test_login_rate_limit_gives_a_retry_time(fake: FakeBluesky, adapter: BlueskyPoster) -> None:
    fake.rate_limit_next("com.atproto.server.createSession", 300)
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert not isinstance(info.value, AuthError | UnknownOutcome)
    assert info.value.retry_at is not None
    wait = info.value.retry_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=250) < wait <= dt.timedelta(seconds=301)


def test_the_pds_limits_logins_per_identifier(fake: FakeBluesky) -> None:
    client = Client(base_url=fake.root)
    for _ in range(30):
        client.login(HANDLE, PASSWORD, fetch_bsky_profile=False)
    adapter = make_adapter(fake, None)
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert info.value.retry_at is not None


# ---- configuration -----------------------------------------------------------------------

def test_api_root_env_beats_service_url_beats_default(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = {"handle": HANDLE, "app_password": PASSWORD}
    assert BlueskyPoster(settings).api_root == "https://bsky.social"
    custom = {**settings, "service_url": "https://pds.example.org"}
    assert BlueskyPoster(custom).api_root == "https://pds.example.org"
    monkeypatch.setenv("PUBLISHER_BLUESKY_API_ROOT", "http://127.0.0.1:9")
    assert BlueskyPoster(custom).api_root == "http://127.0.0.1:9"


def test_session_is_not_reused_for_another_server(fake: FakeBluesky, tmp_path: Path) -> None:
    make_adapter(fake, tmp_path).publish(sample_post(), new_tid())
    [saved] = tmp_path.iterdir()
    doc = json.loads(saved.read_text())
    doc["service"] = "https://elsewhere.example.org"
    saved.write_text(json.dumps(doc))
    make_adapter(fake, tmp_path).publish(sample_post("https://youtu.be/again"), new_tid())
    assert fake.logins == 2


@pytest.mark.parametrize("garbage", ["not json", '{"service": "%s", "handle": "%s", '
                                     '"session": "h:::did:plc:x:::not-a-jwt:::r:::p"}'])
def test_a_garbled_session_file_means_a_fresh_login(fake: FakeBluesky, tmp_path: Path,
                                                    garbage: str) -> None:
    adapter = make_adapter(fake, tmp_path)
    path = tmp_path / f"bluesky-session-{HANDLE}.json"
    path.write_text(garbage % (fake.root, HANDLE) if "%s" in garbage else garbage)
    adapter.publish(sample_post(), adapter.new_handle())
    assert fake.logins == 1 and len(fake.posts_with(LINK)) == 1
    assert json.loads(path.read_text())["handle"] == HANDLE


def test_limits_are_the_specs_data() -> None:
    from publisher.platforms.spec import get

    spec = get("bluesky")
    assert spec.text is not None
    assert spec.text.limit == 300 and spec.text.max_bytes == 3000
    assert spec.secret_keys == ("app_password",)
    assert spec.configured({"handle": HANDLE, "app_password": PASSWORD})
    assert spec.missing({"handle": HANDLE, "app_password": "YOUR-APP-PW"}) == ("app_password",)
    adapter = BlueskyPoster({"handle": HANDLE, "app_password": PASSWORD})
    assert adapter.max_length() == 300 and adapter.secret_fields == ("app_password",)


def test_the_fake_refuses_oversized_blobs(tmp_path: Path) -> None:
    with FakeBluesky(handle=HANDLE, app_password=PASSWORD, blob_limit=1000) as fake:
        adapter = make_adapter(fake, tmp_path)
        big = tmp_path / "big.png"
        big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 2000)   # under 1 MB, over this PDS's cap
        adapter.publish(dataclasses.replace(sample_post(), thumbnail=big), adapter.new_handle())
        [stored] = fake.posts_with(LINK)   # a 413 is permanent: the card goes without it
        assert "thumb" not in stored["record"]["embed"]["external"]
        assert [r.status for r in fake.requests if r.tag.endswith("uploadBlob")] == [413]
