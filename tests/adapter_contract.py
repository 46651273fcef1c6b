"""The contract every cross-posting adapter passes, against its loopback fake.

A test module subclasses `AdapterContract` as `Test<Platform>Contract` and provides three
fixtures: `fake` (the platform's loopback fake, a `FakePlatform`), `adapter` (the adapter
pointed at it with valid credentials) and `bad_adapter` (pointed at it with credentials the
fake refuses). Platforms that offer no way to look a post up set `can_check = False`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Protocol

import pytest

from publisher.platforms.base import CannotCheck, CrossPoster, PostContent, UnknownOutcome
from publisher.platforms.errors import AuthError, TransientError

LINK = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


class FakePlatform(Protocol):
    """What the contract needs from a platform's fake."""

    def posts_with(self, link: str) -> list[dict[str, Any]]:
        """Posts the fake holds whose text (or card) carries this link."""

    def fail_next_post(self, status: int, *, after_storing: bool) -> None:
        """Answer the next post with `status`; with after_storing, store it first."""

    def drop_next_post(self, *, after_storing: bool) -> None:
        """Close the connection on the next post without answering."""

    def rate_limit_next_post(self, reset_in_s: int) -> None:
        """Answer the next post with the platform's rate-limit reply, reset in N seconds."""


def sample_post(link: str = LINK) -> PostContent:
    text = (f"Maria Rossi, ceramista: il marmo e la terra 🏺 {link} "
            "#StudiApertiOltreilLockdown #CarraraUnescoCreativeCity #Città")
    return PostContent(text=text, link=link, title="Maria Rossi, ceramista",
                       description="Nel suo studio a Carrara.", language="it")


class AdapterContract:
    can_check: ClassVar[bool] = True

    def test_text_is_counted_and_within_the_limit(self, adapter: CrossPoster) -> None:
        post = sample_post()
        assert 0 < adapter.length(post.text) <= adapter.max_length()
        assert adapter.length("x" * (adapter.max_length() + 1)) > adapter.max_length()

    def test_publishes_exactly_once(self, fake: FakePlatform, adapter: CrossPoster) -> None:
        post = sample_post()
        handle = adapter.new_handle()
        posted = adapter.publish(post, handle)
        assert posted.remote_id
        assert len(fake.posts_with(post.link)) == 1
        if self.can_check:
            found = adapter.lookup(post, handle)
            assert found is not None and found.remote_id == posted.remote_id

    def test_lookup_of_a_post_never_made_finds_nothing(self, adapter: CrossPoster) -> None:
        post = sample_post("https://www.youtube.com/watch?v=neverPosted")
        if not self.can_check:
            with pytest.raises(CannotCheck):
                adapter.lookup(post, adapter.new_handle())
            return
        assert adapter.lookup(post, adapter.new_handle()) is None

    @pytest.mark.parametrize("fault", ["drop", "500"])
    def test_saved_then_failed_is_never_posted_twice(self, fake: FakePlatform,
                                                      adapter: CrossPoster, fault: str) -> None:
        post = sample_post()
        handle = adapter.new_handle()
        if fault == "drop":
            fake.drop_next_post(after_storing=True)
        else:
            fake.fail_next_post(500, after_storing=True)
        with pytest.raises(UnknownOutcome):
            adapter.publish(post, handle)
        assert len(fake.posts_with(post.link)) == 1  # the platform did act
        if not self.can_check:
            with pytest.raises(CannotCheck):
                adapter.lookup(post, handle)
            return
        found = adapter.lookup(post, handle)  # what the pipeline does before any retry
        assert found is not None
        assert len(fake.posts_with(post.link)) == 1

    def test_failed_before_acting_is_retried_safely(self, fake: FakePlatform,
                                                    adapter: CrossPoster) -> None:
        post = sample_post()
        handle = adapter.new_handle()
        fake.fail_next_post(503, after_storing=False)
        with pytest.raises(TransientError):
            adapter.publish(post, handle)
        assert fake.posts_with(post.link) == []
        if self.can_check:
            assert adapter.lookup(post, handle) is None
        adapter.publish(post, handle)
        assert len(fake.posts_with(post.link)) == 1

    def test_rate_limit_gives_a_retry_time(self, fake: FakePlatform,
                                           adapter: CrossPoster) -> None:
        post = sample_post()
        fake.rate_limit_next_post(120)
        before = dt.datetime.now(dt.UTC)
        with pytest.raises(TransientError) as info:
            adapter.publish(post, adapter.new_handle())
        assert not isinstance(info.value, UnknownOutcome)
        assert info.value.retry_at is not None
        assert before + dt.timedelta(seconds=100) <= info.value.retry_at
        assert info.value.retry_at <= before + dt.timedelta(seconds=200)
        assert fake.posts_with(post.link) == []

    def test_bad_credentials_are_refused_clearly(self, fake: FakePlatform,
                                                 bad_adapter: CrossPoster) -> None:
        post = sample_post()
        with pytest.raises(AuthError) as info:
            bad_adapter.publish(post, bad_adapter.new_handle())
        message = str(info.value)
        assert bad_adapter.label in message
        for field in bad_adapter.secret_fields:
            secret = bad_adapter.settings.get(field)
            if secret:
                assert str(secret) not in message, "a secret leaked into an error"
        assert fake.posts_with(post.link) == []
