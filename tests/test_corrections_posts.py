"""Posts follow a correction (issue 15): a published interview's title is corrected, and its
posts already out are brought in line on the loopback platforms — edited in place on
Mastodon, Telegram and Facebook (read back from the fakes), left as they were on X and
Bluesky with a note in `sync --dry-run` and `preview` — through intent → act → record,
crash-safe, with a post deleted by hand needing attention with its reason."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import publisher.faults
import publisher.pipeline.correct_posts as correct_posts
from publisher.credentials import write_private
from publisher.pipeline.correct_posts import sync_posts
from publisher.sandbox.platforms import SandboxPlatforms, post_text
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.corrections import TITLE, corrections, events, published, runtime
from tests.helpers.crash_points import Died

START = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)
NEW_TITLE = "Maria Rossi nel suo laboratorio"
EDITABLE = ("mastodon", "telegram", "facebook")
KEPT = ("x", "bluesky")



@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def world(sqlite_home: HomeFixture, media: Media, clock: Clock,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[HomeFixture, SandboxPlatforms]]:
    """One interview published on YouTube and on every cross-posting platform's fake."""
    with _world(sqlite_home, media, clock, monkeypatch) as found:
        yield found


@pytest.fixture
def world_on_each_db(home: HomeFixture, media: Media, clock: Clock,
                     monkeypatch: pytest.MonkeyPatch
                     ) -> Iterator[tuple[HomeFixture, SandboxPlatforms]]:
    """`world` on SQLite and on PostgreSQL."""
    with _world(home, media, clock, monkeypatch) as found:
        yield found


@contextmanager
def _world(home: HomeFixture, media: Media, clock: Clock, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[HomeFixture, SandboxPlatforms]]:
    with SandboxPlatforms(clock=clock) as platforms:
        schedule = home.path / "schedules" / "studi-aperti.toml"
        text = schedule.read_text()
        text = "\n".join(
            'platforms = ["youtube", "x", "mastodon", "bluesky", "telegram", "facebook"]'
            if line.startswith("platforms =") else
            'crosspost_delay = "0m"' if line.startswith("crosspost_delay =") else line
            for line in text.splitlines())
        schedule.write_text(text + "\n")
        write_private(home.path / "credentials.json",
                      json.dumps(platforms.credentials(home.path)).encode())
        home.env.update(platforms.endpoints())
        published(home, media, platforms.youtube, clock, monkeypatch)
        for name in (*EDITABLE, *KEPT):
            assert len(_posts(platforms, name)) == 1, name
        yield home, platforms


def _link(platforms: SandboxPlatforms) -> str:
    video = next(iter(platforms.youtube.videos.values()))
    return f"https://www.youtube.com/watch?v={video.id}"


def _posts(platforms: SandboxPlatforms, name: str) -> list[dict[str, Any]]:
    return platforms.posts_with(name, _link(platforms))


def _text(platforms: SandboxPlatforms, name: str) -> str:
    found = _posts(platforms, name)
    assert len(found) == 1, (name, found)
    return post_text(found[0])


def _post_corrections(home: HomeFixture) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in corrections(home):
        if row.platform != "youtube":
            out.setdefault(row.platform, []).append(row.state)
    return out


def test_a_corrected_title_edits_the_posts_that_can_be_edited(
        world_on_each_db: tuple[HomeFixture, SandboxPlatforms]) -> None:
    home, platforms = world_on_each_db
    for name in (*EDITABLE, *KEPT):
        assert TITLE in _text(platforms, name), name
    before = {name: _text(platforms, name) for name in KEPT}

    edited = home.ok("queue", "edit", 1, "--title", NEW_TITLE)
    assert "Mastodon: the post will be edited" in edited.stderr
    assert "X: the post stays as it was (X posts cannot be edited)" in edited.stderr
    assert _post_corrections(home) == {name: ["pending"] for name in EDITABLE}

    dry = home.ok("sync", 1, "--dry-run")
    assert "X: the post stays as it was (X posts cannot be edited)" in dry.stdout
    assert "Bluesky: the post stays as it was (Bluesky posts cannot be edited)" in dry.stdout
    assert "Telegram post: will be edited in place" in dry.stdout
    report = json.loads(home.ok("sync", 1, "--dry-run", "--json").stdout)
    posts = {p["platform"]: p for p in report["posts"]}
    assert {p: posts[p]["outcome"] for p in posts} == {
        **dict.fromkeys(EDITABLE, "would_edit"), **dict.fromkeys(KEPT, "kept")}
    assert TITLE in posts["x"]["old"] and NEW_TITLE in posts["x"]["new"]
    assert NEW_TITLE not in _text(platforms, "mastodon")  # a dry run sends nothing

    preview = home.ok("preview", 1)
    assert "Bluesky: the post stays as it was" in preview.stdout
    assert "Facebook: the post out will be edited in place" in preview.stdout

    home.ok("sync", 1)
    for name in EDITABLE:
        assert NEW_TITLE in _text(platforms, name), name
    for name in KEPT:
        assert _text(platforms, name) == before[name], name
    mastodon = platforms.mastodon.statuses[-1]
    assert mastodon.edited_at is not None and len(mastodon.edits) == 1
    assert TITLE in mastodon.edits[0]
    telegram = _posts(platforms, "telegram")[0]
    assert telegram["edit_date"] and telegram["message_id"] > 100
    assert _posts(platforms, "facebook")[0]["updated_time"]
    assert _post_corrections(home) == {name: ["done"] for name in EDITABLE}
    applied = [e for e in events(home, "correction_applied") if e.get("platform")]
    assert sorted(e["platform"] for e in applied) == sorted(EDITABLE)
    assert all(TITLE in e["changes"]["post"]["old"] and NEW_TITLE in e["changes"]["post"]["new"]
               for e in applied)

    # Done once: another sync edits nothing and still says X and Bluesky were kept.
    again = home.ok("sync", 1)
    assert len(platforms.mastodon.statuses[-1].edits) == 1
    assert "X: the post stays as it was" in again.stdout


def test_a_post_deleted_by_hand_needs_attention_with_the_reason(
        world: tuple[HomeFixture, SandboxPlatforms]) -> None:
    home, platforms = world
    message_id = _posts(platforms, "telegram")[0]["message_id"]
    platforms.telegram.delete_by_hand(message_id)
    status_id = platforms.mastodon.statuses[-1].id
    platforms.mastodon.delete_by_hand(status_id)

    home.ok("queue", "edit", 1, "--title", NEW_TITLE)
    result = home.run("sync", 1)
    assert result.exit_code == 4, result.output
    assert "message to edit not found" in result.stderr
    assert NEW_TITLE in _text(platforms, "facebook")  # the others went on
    states = _post_corrections(home)
    assert states == {"telegram": ["needs_attention"], "mastodon": ["needs_attention"],
                      "facebook": ["done"]}
    shown = home.run("status")
    assert "on telegram" in shown.output and "message to edit not found" in shown.output
    assert "on mastodon" in shown.output and "(404)" in shown.output
    reasons = {c.platform: c.last_error or "" for c in corrections(home)}
    assert "publisher resolve 1 --platform telegram" in reasons["telegram"]


@pytest.mark.parametrize("point", ["post_edit.mastodon.before", "post_edit.mastodon.sent",
                                   "post_edit.mastodon.recorded", "post_edit.telegram.sent",
                                   "post_edit.facebook.sent"])
def test_a_crash_at_each_point_then_resuming_edits_once(
        world: tuple[HomeFixture, SandboxPlatforms], clock: Clock,
        monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    home, platforms = world
    home.ok("queue", "edit", 1, "--title", NEW_TITLE)

    def die(name: str) -> None:
        if name == point:
            raise Died(name)

    monkeypatch.setattr(publisher.faults, "crash_point", die)
    monkeypatch.setattr(correct_posts, "crash_point", die)
    with pytest.raises(Died):
        sync_posts(runtime(home, monkeypatch, clock), 1)
    platform = point.split(".")[1]
    # The intent is committed before the request: in flight until recorded.
    expected_state = "done" if point.endswith("recorded") else "in_flight"
    assert _post_corrections(home)[platform] == [expected_state]

    monkeypatch.setattr(publisher.faults, "crash_point", lambda name: None)
    monkeypatch.setattr(correct_posts, "crash_point", lambda name: None)
    clock.now += dt.timedelta(minutes=10)  # the dead process's lease, if it held one, expired
    resumed = sync_posts(runtime(home, monkeypatch, clock), 1)
    assert not any(e.needs_someone for e in resumed), resumed
    for name in EDITABLE:
        assert NEW_TITLE in _text(platforms, name), name
    assert _post_corrections(home) == {name: ["done"] for name in EDITABLE}
    applied = [e["platform"] for e in events(home, "correction_applied") if e.get("platform")]
    assert sorted(applied) == sorted(EDITABLE)  # each recorded once
    assert len(platforms.mastodon.statuses[-1].edits) == 1  # edited once on the platform
    assert len(_posts(platforms, "telegram")[0]["edits"]) == 1
    assert len(_posts(platforms, "facebook")[0]["edits"]) == 1


# ---- each adapter's edit against its fake, through the platform's real client -------------

def _content(text: str, link: str = "https://www.youtube.com/watch?v=abc") -> Any:
    from publisher.platforms.base import PostContent

    return PostContent(text=text, link=link, title="t", description="d")


def test_mastodon_edits_its_own_status_and_not_another_accounts() -> None:
    from publisher.platforms.base import PostGone
    from publisher.platforms.mastodon import MastodonPoster
    from publisher.sandbox.mastodon import FakeMastodon

    with FakeMastodon() as fake:
        poster = MastodonPoster({"api_base_url": fake.root, "access_token": fake.access_token})
        posted = poster.publish(_content("Prima https://www.youtube.com/watch?v=abc"),
                                poster.new_handle())
        poster.edit(posted.remote_id, _content("Dopo https://www.youtube.com/watch?v=abc"))
        poster.edit(posted.remote_id, _content("Dopo https://www.youtube.com/watch?v=abc"))
        status = fake.statuses[-1]
        assert status.text.startswith("Dopo") and status.edits == [
            "Prima https://www.youtube.com/watch?v=abc"]  # the repeat made no new edit
        other = fake.add_account("someone")
        theirs = fake.seed_status("Non nostro", account=other)
        with pytest.raises(PostGone, match="403"):
            poster.edit(theirs.id, _content("Dopo"))
        fake.delete_by_hand(posted.remote_id)
        with pytest.raises(PostGone, match="404"):
            poster.edit(posted.remote_id, _content("Ancora"))


def test_facebook_edits_a_page_post_and_a_deleted_one_is_gone() -> None:
    from publisher.platforms.base import PostGone
    from publisher.platforms.facebook import FacebookPoster
    from publisher.sandbox.facebook import FakeFacebook

    with FakeFacebook() as fake:
        poster = FacebookPoster({"page_id": fake.page_id, "page_access_token": fake.token},
                                api_root=fake.api_root)
        posted = poster.publish(_content("Prima https://x.test/v"), poster.new_handle())
        poster.edit(posted.remote_id, _content("Dopo https://x.test/v"))
        poster.edit(posted.remote_id, _content("Dopo https://x.test/v"))  # same: success
        post = fake.posts[-1]
        assert post["message"] == "Dopo https://x.test/v" and post["link"]
        assert post["edits"] == ["Prima https://x.test/v"]
        fake.delete_by_hand(posted.remote_id)
        with pytest.raises(PostGone, match="does not exist"):
            poster.edit(posted.remote_id, _content("Ancora"))


def test_telegram_takes_not_modified_as_done_and_not_found_as_gone() -> None:
    from publisher.platforms.base import PostGone
    from publisher.platforms.telegram import TelegramPoster
    from publisher.sandbox.telegram import FakeTelegram

    with FakeTelegram() as fake:
        poster = TelegramPoster({"bot_token": fake.token, "chat_id": fake.chat_username},
                                api_root=fake.api_root)
        posted = poster.publish(_content("Prima"), poster.new_handle())
        poster.edit(posted.remote_id, _content("Dopo"))
        poster.edit(posted.remote_id, _content("Dopo"))  # "message is not modified": done
        message = fake.posts[-1]
        assert message["text"] == "Dopo" and message["edits"] == ["Prima"]
        assert message["edit_date"]
        fake.delete_by_hand(posted.remote_id)
        with pytest.raises(PostGone, match="message to edit not found"):
            poster.edit(posted.remote_id, _content("Ancora"))


def test_a_post_whose_outcome_is_unknown_is_edited_once_it_is_resolved(
        world: tuple[HomeFixture, SandboxPlatforms], clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The Telegram post went out but its record needs a person (the Bot API cannot be asked
    after a lost answer) when the title is corrected: the correction waits for the post's
    outcome, and once the organizer resolves it, the post is edited (found by the crash
    matrix: the edit was lost)."""
    from sqlalchemy import update

    from publisher.store.db import make_engine
    from publisher.store.models import Publication
    from tests.helpers.scoped import Session

    home, platforms = world
    engine = make_engine(home.db_url)
    with Session(engine) as s, s.begin():
        s.execute(update(Publication).where(
            Publication.interview_id == 1, Publication.platform == "telegram",
            Publication.step == "post").values(state="needs_attention", remote_id=None,
                                               url=None, last_error="look at the channel"))
    engine.dispose()
    home.ok("queue", "edit", 1, "--title", NEW_TITLE)
    assert "telegram" in _post_corrections(home)
    edits = {e.platform: e for e in sync_posts(runtime(home, monkeypatch, clock), 1)}
    assert edits["telegram"].outcome == "waiting"
    assert NEW_TITLE not in _text(platforms, "telegram")

    message = _posts(platforms, "telegram")[0]
    url = f"https://t.me/{platforms.telegram.chat_username.lstrip('@')}/{message['message_id']}"
    home.ok("resolve", 1, "--platform", "telegram", "--url", url)
    clock.now += dt.timedelta(minutes=11)
    from publisher.pipeline.correct_posts import post_corrections_due

    done = {e.platform: e.outcome for _, e in post_corrections_due(
        runtime(home, monkeypatch, clock), clock.now)}
    assert done["telegram"] == "edited", done
    assert NEW_TITLE in _text(platforms, "telegram")
    assert _post_corrections(home)["telegram"] == ["done"]
