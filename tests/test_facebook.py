"""FacebookPoster against FakeFacebook over 127.0.0.1: the shared contract, Graph's duplicate
refusals, lookup through published_posts, Graph error codes, and the token kept off URLs."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
import unicodedata
from collections.abc import Iterator

import httpx
import pytest

from publisher.platforms.base import CannotCheck, UnknownOutcome
from publisher.platforms.errors import AuthError, PermanentError, PlatformError, TransientError
from publisher.platforms.facebook import (
    DuplicatePost,
    FacebookPoster,
    appsecret_proof,
    carries,
    regain_at,
)
from publisher.sandbox.facebook import FakeFacebook
from tests.adapter_contract import LINK, AdapterContract, sample_post

BAD_TOKEN = "EAAGrevokedPageToken0000000000000000000000"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("PUBLISHER_FACEBOOK_GRAPH_ROOT", raising=False)


@pytest.fixture
def fake() -> Iterator[FakeFacebook]:
    with FakeFacebook(body_timeout=2.0) as fb:
        yield fb
        assert fb.errors == [], fb.errors


def _poster(fake: FakeFacebook, token: str | None = None, timeout: float = 5.0,
            page_id: str | None = None) -> FacebookPoster:
    settings = {"page_id": page_id or fake.page_id, "page_access_token": token or fake.token}
    return FacebookPoster(settings, api_root=fake.api_root, timeout=timeout)


@pytest.fixture
def adapter(fake: FakeFacebook) -> FacebookPoster:
    return _poster(fake)


@pytest.fixture
def bad_adapter(fake: FakeFacebook) -> FacebookPoster:
    return _poster(fake, token=BAD_TOKEN)


class TestFacebookContract(AdapterContract):
    can_check = True


# ---- counting -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "units"), [
    ("🏺", 2), ("👨‍👩‍👧‍👦", 11), ("陶芸家", 3), ("Керамика", 8),
    ("Nicolò Désirée", 14), (unicodedata.normalize("NFD", "Nicolò Désirée"), 17),
    ("#Città", 6), (LINK, len(LINK)),
])
def test_counts_utf16_units(adapter: FacebookPoster, text: str, units: int) -> None:
    assert adapter.length(text) == units


# ---- on the wire ----------------------------------------------------------------------------

def test_posts_with_the_token_as_the_access_token_parameter(fake: FakeFacebook,
                                                           adapter: FacebookPoster) -> None:
    # As the Pages API documents it: access_token is a parameter of the call (in the form
    # body here, never in the URL).
    post = sample_post()
    posted = adapter.publish(post, adapter.new_handle())
    stored = fake.posts[-1]
    assert stored["request"] == {"message": post.text, "link": LINK}
    assert stored["content_type"] == "application/x-www-form-urlencoded"
    assert stored["auth"] == "param" and stored["proof"] is False
    assert posted.remote_id == stored["id"]
    assert posted.url == stored["permalink_url"]
    [record] = fake.requests
    assert "authorization" not in record.headers
    assert fake.token not in record.path + record.query
    assert str(record) == f"POST /v24.0/{fake.page_id}/feed -> 200"


def test_reads_keep_the_token_out_of_the_url(fake: FakeFacebook,
                                             adapter: FacebookPoster) -> None:
    assert adapter.lookup(sample_post(), adapter.new_handle()) is None
    [record] = fake.requests
    assert record.headers["authorization"] == f"Bearer {fake.token}"
    assert fake.token not in record.path + record.query


APP_SECRET = "3f1c9a7e5b2d4f6081a9c7e5b3d1f2a4"


def test_appsecret_proof_is_the_hmac_of_the_token() -> None:
    # developers.facebook.com/docs/graph-api/securing-requests: hash_hmac('sha256', token,
    # app_secret), hex.
    import hashlib
    import hmac

    expected = hmac.new(APP_SECRET.encode(), b"EAAtoken", hashlib.sha256).hexdigest()
    assert appsecret_proof("EAAtoken", APP_SECRET) == expected and len(expected) == 64


@pytest.mark.parametrize("call", ["publish", "lookup"])
def test_an_app_that_requires_the_app_secret_gets_the_proof(call: str) -> None:
    with FakeFacebook(app_secret=APP_SECRET, require_app_secret=True) as fb:
        poster = FacebookPoster({"page_id": fb.page_id, "page_access_token": fb.token,
                                 "app_secret": APP_SECRET}, api_root=fb.api_root, timeout=5)
        if call == "publish":
            poster.publish(sample_post(), poster.new_handle())
            assert fb.posts[-1]["proof"] is True
            assert "appsecret_proof" not in fb.posts[-1]["request"]
        else:
            assert poster.lookup(sample_post(), poster.new_handle()) is None
            [record] = fb.requests
            assert f"appsecret_proof={fb.appsecret_proof()}" in record.query
        assert [r.status for r in fb.requests] == [200]
        assert fb.errors == []


@pytest.mark.parametrize(("app_secret", "graph_says", "words"), [
    (None, "API calls from the server require an appsecret_proof argument",
     "set facebook.app_secret"),
    ("0000aaaa1111bbbb2222cccc3333dddd", "Invalid appsecret_proof provided in the API "
     "argument", "fix facebook.app_secret"),
])
def test_a_missing_or_wrong_app_secret_names_the_key(app_secret: str | None, graph_says: str,
                                                     words: str) -> None:
    with FakeFacebook(app_secret=APP_SECRET, require_app_secret=True) as fb:
        settings = {"page_id": fb.page_id, "page_access_token": fb.token}
        if app_secret:
            settings["app_secret"] = app_secret
        poster = FacebookPoster(settings, api_root=fb.api_root, timeout=5)
        with pytest.raises(AuthError) as info:
            poster.publish(sample_post(), poster.new_handle())
        message = str(info.value)
        assert graph_says in message and words in message and "(code 100, HTTP 400)" in message
        assert fb.posts == [] and [r.status for r in fb.requests] == [400]
        assert fb.token not in message and APP_SECRET not in message
        if app_secret:
            assert app_secret not in message
            assert appsecret_proof(fb.token, app_secret) not in message
        assert fb.errors == []


def test_the_fake_answers_graphs_own_errors_for_the_proof() -> None:
    with FakeFacebook(app_secret=APP_SECRET, require_app_secret=True) as fb:
        url = f"{fb.api_root}/{fb.page_id}/feed"
        answers = [httpx.post(url, data={"message": "m", "access_token": fb.token, **extra})
                   for extra in ({}, {"appsecret_proof": "0" * 64},
                                 {"appsecret_proof": fb.appsecret_proof()})]
        errors = [a.json().get("error") for a in answers[:2]]
        assert [a.status_code for a in answers] == [400, 400, 200]
        assert [(e["code"], e["type"], e["message"]) for e in errors] == [
            (100, "GraphMethodException",
             "API calls from the server require an appsecret_proof argument"),
            (100, "GraphMethodException",
             "Invalid appsecret_proof provided in the API argument")]
        # Without "Require App Secret" no proof is needed, but a wrong one is still refused.
        fb.require_app_secret = False
        assert httpx.post(url, data={"message": "n", "access_token": fb.token}).is_success
        assert httpx.post(url, data={"message": "o", "access_token": fb.token,
                                     "appsecret_proof": "0" * 64}).status_code == 400


# ---- duplicates and lookup --------------------------------------------------------------------

@pytest.mark.parametrize("code", [506, 368])
def test_a_duplicate_returns_the_existing_post(fake: FakeFacebook, adapter: FacebookPoster,
                                               code: int) -> None:
    fake.duplicate_code = code
    post = sample_post()
    first = adapter.publish(post, adapter.new_handle())
    # The id was lost (say the record was not committed): publishing again is refused by
    # Graph as a duplicate, and the adapter answers with the post already there.
    again = adapter.publish(post, adapter.new_handle())
    assert again == first
    assert len(fake.posts_with(LINK)) == 1
    answers = [r.status for r in fake.requests if r.tag == "graph.page.feed.post"]
    assert answers == [200, 400]


def test_a_duplicate_older_than_the_new_handle_is_still_found(fake: FakeFacebook,
                                                              adapter: FacebookPoster) -> None:
    post = sample_post()
    earlier = fake.add_post(post.text, link=LINK,
                            created=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3))
    fake.add_post("something posted since")
    again = adapter.publish(post, adapter.new_handle())   # a fresh handle, made after it
    assert again.remote_id == earlier
    assert len(fake.posts_with(LINK)) == 1


def test_a_duplicate_that_is_not_on_the_page_needs_a_person(fake: FakeFacebook,
                                                            adapter: FacebookPoster) -> None:
    # koala#422: 368 "You've already posted this", yet nothing was on the wall.
    fake.fail_next_post(400, after_storing=False, code=368,
                        message="You've already posted this. Posting the same content "
                                "repeatedly on Facebook isn't allowed.")
    with pytest.raises(DuplicatePost, match="by hand") as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert not isinstance(info.value, TransientError)
    assert fake.posts == []


def test_a_368_that_is_not_a_duplicate_is_permanent(fake: FakeFacebook,
                                                    adapter: FacebookPoster) -> None:
    fake.fail_next_post(400, after_storing=False, code=368,
                        message="The action attempted has been deemed abusive or is otherwise "
                                "disallowed")
    with pytest.raises(PermanentError, match="abusive") as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert not isinstance(info.value, DuplicatePost)


def test_lookup_reads_past_newer_posts_and_stops_at_older_ones(fake: FakeFacebook) -> None:
    now = dt.datetime.now(dt.UTC)
    poster = _poster(fake)
    poster.lookup_page_size = 10
    for n in range(30):                       # older than the attempt: never needed
        fake.add_post(f"old post {n}", created=now - dt.timedelta(days=3, minutes=n))
    handle = poster.new_handle()
    fake.add_post(sample_post().text, link=LINK, created=now)
    for n in range(15):                       # the Page kept posting afterwards
        fake.add_post(f"newer post {n}", created=now + dt.timedelta(minutes=n + 1))
    found = poster.lookup(sample_post(), handle)
    assert found is not None and found.remote_id == fake.posts_with(LINK)[0]["id"]
    fake.clear_requests()
    assert poster.lookup(sample_post("https://youtu.be/other"), handle) is None
    lists = [r for r in fake.requests if r.tag == "graph.page.published_posts"]
    assert len(lists) == 2      # 15 newer + ours = 16 posts; page 2 reaches older ones: stop
    for record in lists:
        assert "fields=id%2Cmessage%2Cpermalink_url%2Ccreated_time" in record.query
        assert "access_token" not in record.query   # paging.next carries it: not followed


@pytest.mark.parametrize(("message", "found"), [
    (f"Guarda {LINK}", True), (f"Guarda {LINK}.", True), (f"({LINK})", True),
    (f"Guarda {LINK}xyz", False), (f"Guarda {LINK}&t=5s", False), ("nothing", False),
])
def test_the_link_must_appear_whole(message: str, found: bool) -> None:
    assert carries(message, LINK) is found


def test_lookup_that_cannot_reach_the_attempt_says_so(fake: FakeFacebook) -> None:
    poster = _poster(fake)
    poster.lookup_page_size, poster.lookup_max_pages = 5, 2
    handle = poster.new_handle()
    for n in range(20):
        fake.add_post(f"post {n}")
    with pytest.raises(CannotCheck, match="by hand"):
        poster.lookup(sample_post(), handle)


def test_lookup_with_a_foreign_handle_reads_to_the_end(fake: FakeFacebook) -> None:
    poster = _poster(fake)
    poster.lookup_page_size = 4
    for n in range(9):
        fake.add_post(f"post {n}", created=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert poster.lookup(sample_post(), "legacy-handle") is None
    assert len([r for r in fake.requests if r.tag == "graph.page.published_posts"]) == 3


# ---- Graph errors -------------------------------------------------------------------------------

def test_throttle_uses_estimated_time_to_regain_access(fake: FakeFacebook,
                                                       adapter: FacebookPoster) -> None:
    fake.rate_limit_next_post(600)
    before = dt.datetime.now(dt.UTC)
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert info.value.reason == "rate_limited" and "80001" in str(info.value)
    assert info.value.retry_at is not None
    assert before + dt.timedelta(minutes=9) <= info.value.retry_at
    assert info.value.retry_at <= before + dt.timedelta(minutes=11)


def test_regain_at_without_an_estimate_waits_an_hour() -> None:
    before = dt.datetime.now(dt.UTC)
    assert regain_at(httpx.Headers()) >= before + dt.timedelta(minutes=59)
    page = httpx.Headers({"X-Page-Usage": '{"call_count":100,"estimated_time_to_regain_access":3}'})
    assert regain_at(page) <= before + dt.timedelta(minutes=4)


@pytest.mark.parametrize(("status", "code"), [(400, 4), (400, 17), (403, 32), (400, 613)])
def test_every_throttle_code_is_transient(fake: FakeFacebook, adapter: FacebookPoster,
                                          status: int, code: int) -> None:
    fake.fail_next_post(status, after_storing=False, code=code, message=f"(#{code}) limit")
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert not isinstance(info.value, UnknownOutcome)
    assert info.value.retry_at is not None


def test_code_2_is_an_unknown_outcome_even_when_stored(fake: FakeFacebook,
                                                       adapter: FacebookPoster) -> None:
    # koala#699: "code 2 ... [HTTP 500]" while the post went up.
    fake.fail_next_post(500, after_storing=True, code=2)
    handle = adapter.new_handle()
    with pytest.raises(UnknownOutcome):
        adapter.publish(sample_post(), handle)
    assert adapter.lookup(sample_post(), handle) is not None


def test_a_timeout_after_sending_is_an_unknown_outcome(fake: FakeFacebook) -> None:
    poster = _poster(fake, timeout=0.3)
    fake.delay_next_post(0.8)
    handle = poster.new_handle()
    with pytest.raises(UnknownOutcome):
        poster.publish(sample_post(), handle)
    assert len(fake.posts_with(LINK)) == 1


@pytest.mark.parametrize(("setup", "key", "words"), [
    ("expired", "facebook.page_access_token", "expired"),
    ("permission", "facebook.page_access_token", "pages_manage_posts"),
    ("page", "facebook.page_id", "does not know"),
])
def test_auth_problems_name_the_key(fake: FakeFacebook, setup: str, key: str,
                                    words: str) -> None:
    poster = _poster(fake)
    if setup == "expired":
        fake.revoke_token(463)
    elif setup == "permission":
        fake.revoke_permission("pages_manage_posts")
    else:
        poster = _poster(fake, page_id="999")
    with pytest.raises(AuthError) as info:
        poster.publish(sample_post(), poster.new_handle())
    message = str(info.value)
    assert key in message and words in message and "Facebook" in message
    assert fake.token not in message


def test_other_refusals_are_permanent_with_graph_message(fake: FakeFacebook,
                                                         adapter: FacebookPoster) -> None:
    fake.fail_next_post(400, after_storing=False, code=100, message="(#100) Invalid link")
    with pytest.raises(PermanentError, match=r"Invalid link \(code 100, HTTP 400\)"):
        adapter.publish(sample_post(), adapter.new_handle())


@pytest.mark.parametrize("fault", ["drop", "500", "190"])
def test_the_token_never_shows(fake: FakeFacebook, fault: str,
                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    poster = _poster(fake)
    if fault == "drop":
        fake.drop_next_post(after_storing=False)
    elif fault == "500":
        fake.fail_next_post(500, after_storing=True, message=f"echo {fake.token}")
    else:
        fake.revoke_token()
    with pytest.raises(PlatformError) as info:
        poster.publish(sample_post(), poster.new_handle())
    shown = "".join(traceback.format_exception(info.value))
    assert fake.token not in shown
    assert all(fake.token not in r.getMessage() for r in caplog.records)


def test_a_token_with_a_newline_is_refused_before_sending(fake: FakeFacebook) -> None:
    poster = _poster(fake, token=fake.token + "\n")
    with pytest.raises(AuthError, match="paste it again") as info:
        poster.publish(sample_post(), poster.new_handle())
    assert fake.token not in str(info.value)
    assert fake.requests == []
