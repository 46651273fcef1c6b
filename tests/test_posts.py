"""Cross-post texts: templates, exact counting per platform, short templates, truncation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from publisher.config import Posts, load_config
from publisher.resources import resource
from publisher.text.posts import PLACEHOLDER_URL, render_post, truncate_keeping_link
from publisher.text.youtube_text import InterviewText, SpeakerText
from tests.conftest import HomeFixture, Media, add_args

URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.fixture
def cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "publisher.toml"
    path.write_text(resource("publisher.toml").read_text())
    return load_config(path)


def item(title: str = "Nicolò Désirée: il marmo", *names: str) -> InterviewText:
    speakers = tuple(SpeakerText(n, "ceramista") for n in (names or ("Maria Rossi",)))
    return InterviewText(title=title, speakers=speakers, hashtags=("#Città",))


def test_default_post_has_title_speakers_link_and_hashtags(cfg) -> None:  # type: ignore[no-untyped-def]
    post = render_post(cfg, item(), "mastodon", URL)
    assert post.text.splitlines()[0] == "Nicolò Désirée: il marmo"
    assert "Maria Rossi (ceramista)" in post.text and URL in post.text
    assert post.text.endswith("#StudiApertiOltreilLockdown #CarraraUnescoCreativeCity "
                              "#ItalyComestoYou #Città")
    assert post.fits and post.variant == "template"


@pytest.mark.parametrize(("platform", "text", "expected"), [
    ("x", f"Ciao {URL}", 5 + 23),                     # any URL counts 23
    ("x", "陶芸 😀", 2 + 2 + 1 + 2),                    # CJK and emoji weigh 2
    ("mastodon", f"Ciao {URL} @maria@mastodon.social", 5 + 23 + 1 + 6),
    ("bluesky", "e\u0301👨‍👩‍👧‍👦", 2),                  # graphemes, not code points
    ("telegram", "😀", 2),                             # UTF-16 units
])
def test_each_platform_counts_its_own_way(cfg, platform: str, text: str,  # type: ignore[no-untyped-def]
                                          expected: int) -> None:
    posts = dataclasses.replace(cfg.posts, per_platform={platform: "{{ url }}"})
    from publisher.platforms.spec import get

    rule = get(platform).text
    assert rule is not None and rule.count(text) == expected
    assert render_post(dataclasses.replace(cfg, posts=posts), item(), platform, text
                       ).length == expected


def test_too_long_names_the_platform_length_and_overflow(cfg) -> None:  # type: ignore[no-untyped-def]
    long = dataclasses.replace(cfg, posts=Posts(template="{{ title }} " + "parola " * 60
                                                + "{{ url }}"))
    post = render_post(long, item(), "x", URL)
    assert not post.fits and post.problem is not None
    assert post.problem.startswith("X: the post is ")
    assert f"over the limit of 280 by {post.length - 280}" in post.problem
    assert "[posts.short] x" in post.problem


def test_short_template_is_used_when_needed(cfg) -> None:  # type: ignore[no-untyped-def]
    posts = Posts(template="{{ title }} " + "parola " * 60 + "{{ url }}",
                  short={"x": "{{ title }} {{ url }}"})
    post = render_post(dataclasses.replace(cfg, posts=posts), item(), "x", URL)
    assert post.fits and post.variant == "short"
    assert post.text == f"Nicolò Désirée: il marmo {URL}"


def test_truncation_only_when_opted_in_keeps_link_and_hashtags(cfg) -> None:  # type: ignore[no-untyped-def]
    posts = Posts(template="{{ title }} " + "parola " * 60 + "{{ url }} #Marmo #Città",
                  truncate=("x",))
    post = render_post(dataclasses.replace(cfg, posts=posts), item(), "x", URL)
    assert post.fits and post.variant == "truncated"
    assert post.text.endswith(f"… {URL} #Marmo #Città")
    assert post.length <= 280
    assert truncate_keeping_link("no link here", URL, lambda t: True) is None


def test_truncation_keeps_the_layout_and_cuts_only_the_last_words(cfg) -> None:  # type: ignore[no-untyped-def]
    # Title, a second line, a blank line, the link, a blank line, the hashtags.
    template = ("{{ title }}\n{{ speakers[0].name }}, {{ speakers[0].role }}\n\n{{ url }}\n\n"
                "{{ hashtags | join(' ') }}")
    title = "山田太郎: " + " ".join(["una lunga conversazione sul marmo e sulla terra"] * 5)
    posts = Posts(template=template, truncate=("x",))
    post = render_post(dataclasses.replace(cfg, posts=posts), item(title), "x", URL)
    assert post.fits and post.variant == "truncated" and post.length <= 280
    lead, link_and_after = post.text.split(URL)
    assert lead.endswith("…\n\n")                       # the blank line before the link
    assert link_and_after.startswith("\n\n#StudiApertiOltreilLockdown")
    full = render_post(dataclasses.replace(cfg, posts=Posts(template=template)), item(title),
                       "x", URL).text
    assert full.startswith(lead.removesuffix("…\n\n"))  # only the last words were cut
    assert full.split(URL)[1] == link_and_after


def test_truncation_keeps_the_line_breaks_before_the_cut() -> None:
    text = f"Titolo\nMaria Rossi (ceramista), Luca Bianchi (scultore)\n\n{URL}\n\n#Città"
    cut = truncate_keeping_link(text, URL, lambda t: len(t) <= len(text) - 12)
    assert cut == f"Titolo\nMaria Rossi (ceramista), Luca…\n\n{URL}\n\n#Città"
    cut = truncate_keeping_link(text, URL, lambda t: len(t) <= len(text) - 45)
    assert cut == f"Titolo…\n\n{URL}\n\n#Città"          # a whole line dropped
    assert truncate_keeping_link(text, URL, lambda t: not t.startswith("Titolo")) == \
        f"{URL}\n\n#Città"                               # no lead fits: the link alone
    glued = f"Guarda qui:{URL}"
    assert truncate_keeping_link(glued, URL, lambda t: len(t) < len(glued)) == \
        f"Guarda… {URL}"


def test_bluesky_bytes_limit(cfg) -> None:  # type: ignore[no-untyped-def]
    posts = Posts(template="{{ url }} " + "😀" * 290)
    post = render_post(dataclasses.replace(cfg, posts=posts), item(), "bluesky", URL)
    assert post.problem is not None and "graphemes" in post.problem


def test_enqueue_refuses_a_post_that_cannot_fit(sqlite_home: HomeFixture,
                                                media: Media) -> None:
    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace(
        "[posts]\n", '[posts]\nbluesky = "{{ title }} ' + "x" * 300 + ' {{ url }}"\n'))
    before = sqlite_home.snapshot()
    result = sqlite_home.run(*add_args(media.video()))
    assert result.exit_code == 2
    assert "Bluesky: the post is" in result.stderr and "over the limit of 300" in result.stderr
    assert sqlite_home.snapshot() == before


def test_posts_config_is_validated(sqlite_home: HomeFixture) -> None:
    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("[posts]\n", '[posts]\ntruncate = ["myspace"]\n'))
    result = sqlite_home.run("plan")
    assert result.exit_code == 3 and "posts.truncate[0]: unknown platform" in result.stderr


def test_placeholder_url_is_a_real_watch_url_length() -> None:
    assert len(PLACEHOLDER_URL) == len(URL)


def test_preview_shows_every_text_with_its_count(sqlite_home: HomeFixture,
                                                 media: Media) -> None:
    import json

    sqlite_home.ok(*add_args(media.video(), "Nicolò Désirée 🏺"))
    data = json.loads(sqlite_home.ok("preview", 1, "--json").stdout)
    assert data["youtube"]["title"]["text"] == "Nicolò Désirée 🏺"
    assert data["youtube"]["title"]["length"] == 17  # the emoji is two UTF-16 units
    assert [p["platform"] for p in data["posts"]] == ["mastodon", "bluesky", "telegram"]
    blue = next(p for p in data["posts"] if p["platform"] == "bluesky")
    assert blue["unit"] == "graphemes" and blue["limit"] == 300 and blue["problem"] is None
    text = sqlite_home.ok("preview", 1).stdout
    assert "── Bluesky:" in text and "of 300 graphemes" in text and "stand-in" in text


def test_unconfigured_platforms_are_noted_in_plan_and_preview(sqlite_home: HomeFixture,
                                                              media: Media) -> None:
    import json

    sqlite_home.ok(*add_args(media.video()))
    plan = sqlite_home.ok("plan").stdout
    assert "note: mastodon is not configured in credentials.json" in plan
    preview = sqlite_home.ok("preview", 1).stdout
    assert "not configured in credentials.json (api_base_url, access_token empty or a " \
        "placeholder): will be skipped" in preview
    data = json.loads(sqlite_home.ok("preview", 1, "--json").stdout)
    assert all(p["configured"] is False for p in data["posts"])


def test_language_variants_schedule_and_interview_templates(sqlite_home: HomeFixture,
                                                            media: Media) -> None:
    import json

    sqlite_home.ok(*add_args(media.video(), "In the studio", "--language", "en"))
    shown = json.loads(sqlite_home.ok("queue", "show", 1, "--json").stdout)
    assert "Open studios in Carrara" in shown["youtube"]["description"]
    sqlite_home.ok(*add_args(media.video(), "Dans l'atelier", "--language", "fr"))
    shown = json.loads(sqlite_home.ok("queue", "show", 2, "--json").stdout)
    assert "Ateliers ouverts à Carrare" in shown["youtube"]["description"]
    sched = sqlite_home.path / "schedules" / "studi-aperti.toml"
    sched.write_text(sched.read_text() + '\n[templates]\ntitle = "{{ title }} | Studi Aperti"\n'
                     'post = "Nuova intervista: {{ title }} {{ url }}"\n')
    sqlite_home.ok(*add_args(media.video(), "Terzo", "--template",
                             "description=Solo questo. {{ hashtags | join(' ') }}"))
    shown = json.loads(sqlite_home.ok("queue", "show", 3, "--json").stdout)
    assert shown["youtube"]["title"] == "Terzo | Studi Aperti"          # the schedule's
    assert shown["youtube"]["description"].startswith("Solo questo. #")  # the interview's
    assert shown["templates"] == {"description": "Solo questo. {{ hashtags | join(' ') }}"}
    posts = json.loads(sqlite_home.ok("preview", 3, "--json").stdout)["posts"]
    assert all(p["text"].startswith("Nuova intervista: Terzo https://") for p in posts)


@pytest.mark.parametrize(("args", "message"), [
    (("--template", "subtitle=x"), "unknown template 'subtitle'"),
    (("--template", "title={{ title "), "templates: template templates.title"),
    (("--template", "nothing"), "expected KIND=TEMPLATE"),
])
def test_bad_interview_templates_are_refused(sqlite_home: HomeFixture, media: Media,
                                             args: tuple[str, ...], message: str) -> None:
    before = sqlite_home.snapshot()
    result = sqlite_home.run(*add_args(media.video()), *args)
    assert result.exit_code == 2 and message in result.stderr
    assert sqlite_home.snapshot() == before


def test_schedule_templates_are_validated(sqlite_home: HomeFixture) -> None:
    sched = sqlite_home.path / "schedules" / "studi-aperti.toml"
    sched.write_text(sched.read_text() + '\n[templates]\nsubtitle = "x"\n')
    result = sqlite_home.run("plan")
    assert result.exit_code == 3 and "templates.subtitle: unknown key" in result.stderr
