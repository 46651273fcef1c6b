"""The cross-posts' texts: rendered from templates, counted exactly as each platform counts,
and, when too long, replaced by the platform's short template (or truncated, if the
organizers opted in) — never silently cut.

The counting rules here are data plus pure functions, so that enqueue can check every text
without loading any platform's client library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from publisher.config import Config
from publisher.text.lengths import graphemes, mastodon_length, utf16_units, x_weighted
from publisher.text.templates import TemplateError, render
from publisher.text.youtube_text import InterviewText, template_variables

# What a placeholder URL for checks before the video exists must look like: a real watch
# URL's length (X and Mastodon count any URL as 23; Bluesky counts every character).
PLACEHOLDER_URL = "https://www.youtube.com/watch?v=XXXXXXXXXXX"


@dataclass(frozen=True)
class TextRule:
    label: str
    limit: int
    count: Callable[[str], int]
    unit: str
    max_bytes: int | None = None


RULES: dict[str, TextRule] = {
    "x": TextRule("X", 280, x_weighted, "weighted characters"),
    "mastodon": TextRule("Mastodon", 500, mastodon_length, "characters"),
    "bluesky": TextRule("Bluesky", 300, graphemes, "graphemes", max_bytes=3000),
    "telegram": TextRule("Telegram", 4096, utf16_units, "UTF-16 units"),
    "facebook": TextRule("Facebook", 63206, len, "characters"),
}


@dataclass(frozen=True)
class RenderedPost:
    platform: str
    text: str
    length: int
    limit: int
    unit: str
    variant: str  # "template" | "short" | "truncated"
    problem: str | None = None

    @property
    def fits(self) -> bool:
        return self.problem is None


def _over(rule: TextRule, text: str, limit: int) -> str | None:
    length = rule.count(text)
    if length > limit:
        return f"{length} {rule.unit}, over the limit of {limit} by {length - limit}"
    if rule.max_bytes is not None:
        size = len(text.encode("utf-8"))
        if size > rule.max_bytes:
            return (f"{size} bytes, over the limit of {rule.max_bytes} bytes by "
                    f"{size - rule.max_bytes}")
    return None


def truncate_keeping_link(text: str, url: str, fits: Callable[[str], bool]) -> str | None:
    """Shorten the words before the link, at a word boundary, keeping the link and all that
    follows it (the hashtags). None if even an empty lead does not fit."""
    head, sep, tail = text.partition(url)
    if not sep:
        return None
    words = head.rstrip().split(" ")
    while words:
        candidate = " ".join(words).rstrip(" ,;:-—") + "… " + sep + tail
        if fits(candidate):
            return candidate
        words.pop()
    candidate = sep + tail
    return candidate if fits(candidate) else None


def render_post(cfg: Config, item: InterviewText, platform: str, url: str,
                *, limit: int | None = None) -> RenderedPost:
    """The text `platform` will receive for this interview, with its counted length."""
    rule = RULES[platform]
    limit = limit or rule.limit
    variables = template_variables(cfg, item, _hashtags(cfg, item))
    variables.update(url=url, platform=platform)
    try:
        source = cfg.posts.per_platform.get(platform) or item.template("post") \
            or cfg.posts.template
        text = render(source, f"posts.{platform}", variables)
        problem = _over(rule, text, limit)
        variant = "template"
        if problem and platform in cfg.posts.short:
            text = render(cfg.posts.short[platform], f"posts.short.{platform}", variables)
            problem, variant = _over(rule, text, limit), "short"
        if problem and platform in cfg.posts.truncate:
            cut = truncate_keeping_link(text, url, lambda t: _over(rule, t, limit) is None)
            if cut is not None:
                text, problem, variant = cut, None, "truncated"
    except TemplateError as exc:
        return RenderedPost(platform, "", 0, limit, rule.unit, "template", str(exc))
    if problem:
        problem = (f"{rule.label}: the post is {problem}; add a shorter template "
                   f"([posts.short] {platform} = …) or allow truncation "
                   f"([posts] truncate = [\"{platform}\"])")
    return RenderedPost(platform, text, rule.count(text), limit, rule.unit, variant, problem)


def _hashtags(cfg: Config, item: InterviewText) -> tuple[str, ...]:
    from publisher.text.hashtags import combine

    return combine(cfg.campaign.hashtags, item.hashtags).tags
