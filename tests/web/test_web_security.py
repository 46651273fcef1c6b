"""The console is closed by default: no page or action without a login (but the login page,
a health check that reveals nothing, the language switch and the style sheet), CSRF checked
on every POST, viewers who change nothing, sessions that end (logout, a new password, idle
time), failed logins slowed down, markup shown as text, and security headers everywhere."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from publisher.store.db import make_engine
from publisher.web.auth import PUBLIC_PATHS
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.web_console import PASSWORD, Console, add_user, console_for


@pytest.fixture
def console(sqlite_home: HomeFixture, media: Media, anna_account: str) -> Iterator[Console]:
    sqlite_home.ok(*add_args(media.video(), "Uno"))
    sqlite_home.ok(*add_args(media.video(), "Due"))
    add_user(sqlite_home, "vera", role="viewer")
    yield from console_for(sqlite_home)


def _sql(home: HomeFixture, statement: str) -> None:
    engine = make_engine(home.db_url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


# ---- anonymous ----------------------------------------------------------------------------

def test_every_route_refuses_an_anonymous_request(console: Console) -> None:
    gets = console.get_routes()
    posts = console.post_routes()
    assert {"/queue", "/needs-you", "/queue/1/remove"} <= set(gets)
    assert {"/queue/1/hold", "/queue/1/remove", "/logout"} <= set(posts)
    browser = console.browser()
    for path in gets:
        if path in PUBLIC_PATHS:
            continue
        response = browser.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login"), path
    browser.get("/login")  # now it holds a CSRF cookie
    for path in posts:
        if path in PUBLIC_PATHS:
            continue
        assert console.browser().post(path, token=None).status_code == 401, path  # no cookie
        assert browser.post(path, token=None).status_code == 403, path  # a CSRF cookie only
        # A valid CSRF token (from the login page) is no login either.
        assert browser.post(path).status_code == 401, path
    snapshot = console.home.snapshot()
    assert console.home.ok("queue", "list", "--json").stdout.count('"queued"') == 2
    assert console.home.snapshot() == snapshot


def test_a_page_asked_for_anonymously_comes_back_after_the_login(console: Console) -> None:
    browser = console.browser()
    first = browser.get("/needs-you")
    assert first.headers["location"] == "/login?next=%2Fneeds-you"
    login = browser.login("anna", next_path="/needs-you")
    assert login.status_code == 303 and login.headers["location"] == "/needs-you"
    assert browser.follow(login).status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_the_login_never_sends_anyone_elsewhere(console: Console, target: str) -> None:
    response = console.browser().login("anna", next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_the_health_check_reveals_nothing(console: Console) -> None:
    response = console.browser().get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"
    assert "set-cookie" not in response.headers


def test_the_public_posts_are_checked_for_csrf_even_without_cookies(console: Console) -> None:
    """asgi-csrf lets a cookieless POST through: not on the login and language routes
    (a forged login would log the victim into the forger's account)."""
    browser = console.browser()
    response = browser.client.post("/login", data={"name": "anna", "password": PASSWORD})
    assert response.status_code == 403
    assert "session" not in response.cookies
    assert browser.client.post("/language", data={"lang": "it"}).status_code == 403


# ---- CSRF ---------------------------------------------------------------------------------

def test_every_post_refuses_a_missing_or_wrong_csrf_token(console: Console) -> None:
    anna = console.logged_in("anna")
    other = console.browser().token()  # a valid token, of another browser
    before = console.home.snapshot()
    for path in console.post_routes():
        for token in (None, "", "forged", other):
            response = anna.post(path, {"confirm": "yes"}, token=token)
            assert response.status_code == 403, (path, token)
            assert "This form was not accepted" in response.text
    assert console.home.snapshot() == before
    assert anna.get("/queue").status_code == 200  # still logged in: it was the form


def test_every_post_refuses_a_multipart_form_without_its_token_first(console: Console) -> None:
    """Forms with files: the token must come first (a file before it, a wrong one, or none
    in the body's first 64 KiB is refused), and nothing is kept of a refused upload."""
    anna = console.logged_in("anna")
    token = anna.token()
    before = console.home.snapshot()
    video = ("clip.mp4", b"\0" * 1024)
    for path in console.post_routes():
        cases = {
            "wrong token": ({"csrftoken": "forged", "title": "x"}, {"video_file": video}),
            "file first": ({}, {"video_file": video, "csrftoken": (None, token)}),
            "no token, a long field": ({"title": "x" * 70_000}, {"video_file": video}),
        }
        for name, (data, files) in cases.items():
            response = anna.client.post(path, data=data, files=files)
            assert response.status_code == 403, (path, name)
    assert console.home.snapshot() == before
    assert not (console.home.path / "media").exists()
    # The same form with its token first goes through (refused later, for its content).
    ok = anna.client.post("/interviews/new", data={"csrftoken": token, "title": "x"},
                          files={"video_file": video})
    assert ok.status_code == 422


# ---- viewers ------------------------------------------------------------------------------

def test_a_viewer_sees_everything_and_changes_nothing(console: Console) -> None:
    vera = console.logged_in("vera")
    page = vera.get("/queue")
    assert page.status_code == 200
    assert "Uno" in page.text and "Due" in page.text
    assert "/queue/1/hold" not in page.text  # no buttons it could not use
    assert vera.get("/needs-you").status_code == 200
    before = console.home.snapshot()
    for path in console.post_routes():
        if path in ("/logout", "/language", "/login"):
            continue
        response = vera.post(path, {"confirm": "yes"})
        assert response.status_code == 403, path
        assert "change nothing" in response.text
    assert console.home.snapshot() == before


# ---- sessions -----------------------------------------------------------------------------

def test_the_session_cookie_is_signed_httponly_and_samesite(console: Console) -> None:
    response = console.browser().login("anna")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("session=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain HTTP in this test
    forged = console.browser()
    forged.client.cookies.set("session", cookie.split(";")[0].split("=", 1)[1][:-3] + "abc")
    assert forged.get("/queue").status_code == 303


def test_cookies_are_secure_behind_tls(sqlite_home: HomeFixture, anna_account: str) -> None:
    console = Console(sqlite_home)
    browser = console.browser("https://testserver")
    page = browser.get("/login")
    assert "secure" in page.headers["set-cookie"].lower()  # the CSRF cookie
    login = browser.post("/login", {"name": "anna", "password": PASSWORD})
    assert login.status_code == 303
    assert "secure" in login.headers["set-cookie"].lower()
    console.close()
    # --secure-cookies: Secure even when the proxy does not say the request came over TLS.
    console = Console(sqlite_home, secure_cookies=True)
    page = console.browser("http://testserver").get("/login")
    assert "secure" in page.headers["set-cookie"].lower()
    console.close()


def test_logout_ends_the_session_even_for_a_copied_cookie(console: Console) -> None:
    anna = console.logged_in("anna")
    stolen = dict(anna.client.cookies)
    response = anna.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "You are logged out." in anna.follow(response).text
    assert anna.get("/queue").status_code == 303
    thief = console.browser()
    for name, value in stolen.items():
        thief.client.cookies.set(name, value)
    assert thief.get("/queue").status_code == 303


def test_a_new_password_or_a_removed_account_ends_its_sessions(console: Console) -> None:
    anna = console.logged_in("anna")
    vera = console.logged_in("vera")
    console.home.ok("web", "user", "password", "anna", "--password-stdin",
                    input="another long password\n")
    page = anna.get("/queue")
    assert page.status_code == 303
    assert "a logout or a new password" in anna.follow(page).text
    assert anna.login("anna").status_code == 401
    assert anna.login("anna", "another long password").status_code == 303
    console.home.ok("web", "user", "remove", "vera", "--yes")
    assert vera.get("/queue").status_code == 303


def test_a_session_ends_after_the_idle_time(console: Console) -> None:
    anna = console.logged_in("anna")
    console.clock.now += dt.timedelta(minutes=29)
    assert anna.get("/queue").status_code == 200  # activity moves the idle time on
    console.clock.now += dt.timedelta(minutes=29)
    assert anna.get("/queue").status_code == 200
    console.clock.now += dt.timedelta(minutes=31)
    page = anna.get("/queue")
    assert page.status_code == 303
    assert "without activity" in anna.follow(page).text


# ---- logins -------------------------------------------------------------------------------

def test_repeated_failed_logins_are_slowed_down(console: Console) -> None:
    browser = console.browser()
    for _ in range(3):
        assert browser.login("anna", "wrong password").status_code == 401
    refused = browser.login("anna")  # even the right password must wait now
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert "Too many failed attempts" in refused.text
    assert browser.get("/queue").status_code == 303
    assert console.browser().login("vera").status_code == 303  # another account is not
    console.clock.now += dt.timedelta(seconds=1)
    assert browser.login("anna", "wrong again").status_code == 401
    waits = []
    for _ in range(3):
        response = browser.login("anna")
        waits.append(int(response.headers["retry-after"]))
        console.clock.now += dt.timedelta(seconds=waits[-1])
        if response.status_code == 429:
            assert browser.login("anna", "still wrong").status_code == 401
    assert waits == [2, 4, 8]  # each wait twice the last
    console.clock.now += dt.timedelta(seconds=16)
    assert browser.login("anna").status_code == 303
    # A success forgets the failures.
    assert browser.post("/logout").status_code == 303
    assert browser.login("anna", "wrong").status_code == 401
    assert browser.login("anna").status_code == 303


def test_an_unknown_name_and_a_wrong_password_get_the_same_answer(console: Console) -> None:
    unknown = console.browser().login("nobody")
    wrong = console.browser().login("anna", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert "Wrong name or password." in unknown.text and "Wrong name or password." in wrong.text


# ---- what pages show ----------------------------------------------------------------------

MARKUP = '<script>alert("x")</script>'


def test_markup_in_titles_speakers_roles_and_reasons_is_shown_as_text(
        console: Console, media: Media) -> None:
    _sql(console.home, f"UPDATE interviews SET title = '{MARKUP}' WHERE id = 1")
    _sql(console.home, "UPDATE speakers SET name = '<img src=x onerror=alert(1)>', "
                       f"role = '{MARKUP}' WHERE interview_id = 1")
    _sql(console.home, "UPDATE interviews SET state = 'needs_attention', "
                       f"attention_reason = '{MARKUP}' WHERE id = 2")
    anna = console.logged_in("anna")
    pages = [anna.get("/queue"), anna.get("/needs-you"), anna.get("/queue/1/remove"),
             anna.get("/interviews/1")]
    for page in pages:
        assert page.status_code == 200
        assert "<script>" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[0].text
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[0].text
    assert "&lt;script&gt;" in pages[1].text and "&lt;script&gt;" in pages[2].text
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[3].text
    done = anna.post("/queue/1/hold")
    assert "<script>" not in anna.follow(done).text


def test_every_page_shows_markup_as_text(console: Console) -> None:
    """Every page of the console (new ones too: the routes are read from the app), with an
    interview whose title, speaker, role and reason carry markup, and that went out."""
    import datetime as dt

    from tests.helpers.went_out import went_out

    went_out(console.home, 2, "vid2", dt.datetime(2026, 12, 8, 17, tzinfo=dt.UTC),
             {"mastodon": ("https://mastodon.example/@s/1", dt.datetime(2026, 12, 8, 17, 5,
                                                                       tzinfo=dt.UTC))})
    for interview_id in (1, 2):
        _sql(console.home, f"UPDATE interviews SET title = '{MARKUP}' WHERE id = {interview_id}")
        _sql(console.home, "UPDATE speakers SET name = '<img src=x onerror=alert(1)>', "
                           f"role = '{MARKUP}' WHERE interview_id = {interview_id}")
    anna = console.logged_in("anna")
    pages = 0
    for path in console.get_routes():
        response = anna.get(path)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        pages += 1
        assert "<script>" not in response.text and "<img src=x" not in response.text, path
    assert pages >= 8
    for path in ("/published", "/interviews/1", "/interviews/1/edit"):
        assert "&lt;script&gt;" in anna.get(path).text, path


def test_security_headers_on_every_response(console: Console) -> None:
    anna = console.logged_in("anna")
    responses = {
        "login": console.browser().get("/login"), "redirect": console.browser().get("/queue"),
        "queue": anna.get("/queue"), "needs-you": anna.get("/needs-you"),
        "static": anna.get("/static/console.css"), "missing": anna.get("/nowhere"),
        "healthz": anna.get("/healthz"), "refused": anna.post("/queue/1/hold", token=None),
    }
    for name, response in responses.items():
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp, name
        assert headers["x-frame-options"] == "DENY", name
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["referrer-policy"] == "same-origin", name
    assert responses["queue"].headers["cache-control"] == "no-store"
    assert responses["static"].status_code == 200
    queue_page = responses["queue"].text
    assert "style=" not in queue_page
    # Scripts only from files (static/drag_reorder.js and reorder.js on the Queue page),
    # never inline.
    assert re.findall(r"<script[^>]*>", queue_page) == [
        '<script src="/static/drag_reorder.js" defer>', '<script src="/static/reorder.js" defer>']
