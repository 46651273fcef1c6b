"""Each adapter's `delete` against its loopback fake, the way the real API answers: the post
is gone from the platform, a second delete finds it gone ("not found": False, not an
error), and the platform's own refusals (Telegram past 48 hours, X's "not yours")."""

from __future__ import annotations

import datetime as dt

import pytest

from publisher.platforms.base import CannotDelete, PostContent
from publisher.platforms.bluesky import BlueskyPoster
from publisher.platforms.errors import PermanentError
from publisher.platforms.facebook import FacebookPoster
from publisher.platforms.mastodon import MastodonPoster
from publisher.platforms.telegram import TelegramPoster
from publisher.platforms.x import XPoster
from publisher.sandbox.bluesky import FakeBluesky
from publisher.sandbox.facebook import FakeFacebook
from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.x import FakeX

LINK = "https://www.youtube.com/watch?v=abcdefghijk"
POST = PostContent(text=f"Maria Rossi, ceramista {LINK}", link=LINK, title="t",
                   description="d")


def test_mastodon() -> None:
    with FakeMastodon() as fake:
        poster = MastodonPoster({"api_base_url": fake.root, "access_token": fake.access_token})
        posted = poster.publish(POST, poster.new_handle())
        assert poster.delete(posted.remote_id) is True
        assert fake.posts_with(LINK) == [] and len(fake.deleted) == 1
        assert poster.delete(posted.remote_id) is False  # 404 Record not found: gone
        other = fake.add_account("someone")
        theirs = fake.seed_status(f"not ours {LINK}", account=other)
        assert poster.delete(theirs.id) is False  # the server answers another's 404 too
        assert len(fake.statuses) == 1  # and it is left alone


def test_bluesky() -> None:
    with FakeBluesky(handle="studi.bsky.social", app_password="abcd-efgh-ijkl-mnop") as fake:
        poster = BlueskyPoster({"handle": "studi.bsky.social",
                                "app_password": "abcd-efgh-ijkl-mnop"}, api_root=fake.root)
        posted = poster.publish(POST, poster.new_handle())
        assert poster.delete(posted.remote_id) is True
        assert fake.posts_with(LINK) == [] and len(fake.deleted) == 1
        assert poster.delete(posted.remote_id) is True  # a no-op on the PDS: still fine
        assert len(fake.deleted) == 1
        with pytest.raises(PermanentError, match="not in this account's repository"):
            poster.delete("at://did:plc:someoneelse/app.bsky.feed.post/3abcabcabcabc")


def test_telegram_within_and_past_48_hours() -> None:
    with FakeTelegram() as fake:
        poster = TelegramPoster({"bot_token": fake.token, "chat_id": fake.chat_username},
                                api_root=fake.api_root)
        first = poster.publish(POST, poster.new_handle())
        assert poster.delete(first.remote_id) is True
        assert poster.delete(first.remote_id) is False  # "message to delete not found"
        old = poster.publish(POST, poster.new_handle())
        fake.age_post(int(old.remote_id), dt.timedelta(hours=48, minutes=1))
        with pytest.raises(CannotDelete, match="48 hours"):
            poster.delete(old.remote_id)
        assert len(fake.posts_with(LINK)) == 1  # still there: a person deletes it


def test_x() -> None:
    with FakeX() as fake:
        poster = XPoster(fake.settings(), api_root=fake.root, timeout=5)
        posted = poster.publish(POST, poster.new_handle())
        assert poster.delete(posted.remote_id) is True
        assert fake.posts_with(LINK) == [] and len(fake.deleted) == 1
        assert poster.delete(posted.remote_id) is False  # 404: gone


def test_facebook() -> None:
    with FakeFacebook() as fake:
        poster = FacebookPoster({"page_id": fake.page_id, "page_access_token": fake.token},
                                api_root=fake.api_root)
        posted = poster.publish(POST, poster.new_handle())
        assert poster.delete(posted.remote_id) is True
        assert fake.posts_with(LINK) == [] and len(fake.deleted) == 1
        assert poster.delete(posted.remote_id) is False  # code 100/33: gone
