"""The cross-posts' texts: rendered from templates, counted exactly as each platform counts,
and, when too long, replaced by the platform's short template (or truncated, if the
organizers opted in) — never silently cut.

Each platform's counting rule and limit come from its spec (publisher/platforms/spec.py),
the same rule its adapter counts with, so that enqueue checks every text exactly as it will
be sent without loading any platform's client library. Where a server reports its own limits
(a Mastodon instance), the last ones it reported apply (publisher/platform_limits.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from publisher.config import Config
from publisher.text.templates import TemplateError, render
from publisher.text.youtube_text import InterviewText, template_variables

if TYPE_CHECKING:
    from publisher.platform_limits import PlatformLimits

# What a placeholder URL for checks before the video exists must look like: a real watch
# URL's length (X and Mastodon count any URL as 23; Bluesky counts every character).
PLACEHOLDER_URL = "https://www.youtube.com/watch?v=XXXXXXXXXXX"

#: Where truncation may cut (between words, or at a line break), and what is not left dangling
#: before the "…" (spaces, line breaks, separators).
_WORD_GAP = re.compile(r"\s+")
_CUT_TRAILING = " \t\r\n,;:-—–"


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


def truncate_keeping_link(text: str, url: str, fits: Callable[[str], bool]) -> str | None:
    """Shorten the words just before the link, at a word boundary, with "…" at the cut,
    keeping the template's layout: the lines before the cut, the spaces or blank lines between
    the text and the link, the link and all that follows it (the hashtags). None if even no
    lead at all does not fit."""
    head, sep, tail = text.partition(url)
    if not sep:
        return None
    lead = head.rstrip()
    # What separates the text from the link (" ", "\n\n", ...); a link glued to the cut word
    # gets a space, so that it is never glued to the "…".
    gap = head[len(lead):] or " "
    for boundary in reversed([m.start() for m in _WORD_GAP.finditer(lead)]):
        kept = lead[:boundary].rstrip(_CUT_TRAILING)
        if not kept:
            continue
        candidate = kept + "…" + gap + sep + tail
        if fits(candidate):
            return candidate
    candidate = sep + tail
    return candidate if fits(candidate) else None


def render_post(cfg: Config, item: InterviewText, platform: str, url: str,
                *, limits: PlatformLimits | None = None) -> RenderedPost:
    """The text `platform` will receive for this interview, with its counted length:
    against the limits its server reported (`limits`: its link length too), else the
    documented ones."""
    from publisher.platforms.spec import get

    spec = get(platform)
    assert spec.text is not None, f"{platform} takes no posts"
    rule = limits.applied_to(spec.text) if limits is not None else spec.text
    limit = rule.limit
    variables = template_variables(cfg, item, _hashtags(cfg, item))
    variables.update(url=url, platform=platform)
    try:
        source = cfg.posts.per_platform.get(platform) or item.template("post") \
            or cfg.posts.template
        text = render(source, f"posts.{platform}", variables)
        problem = rule.problem(text)
        variant = "template"
        if problem and platform in cfg.posts.short:
            text = render(cfg.posts.short[platform], f"posts.short.{platform}", variables)
            problem, variant = rule.problem(text), "short"
        if problem and platform in cfg.posts.truncate:
            cut = truncate_keeping_link(text, url, lambda t: rule.problem(t) is None)
            if cut is not None:
                text, problem, variant = cut, None, "truncated"
    except TemplateError as exc:
        return RenderedPost(platform, "", 0, limit, rule.unit, "template", str(exc))
    if problem:
        problem = (f"{spec.label}: the post is {problem}; add a shorter template "
                   f"([posts.short] {platform} = …) or allow truncation "
                   f"([posts] truncate = [\"{platform}\"])")
    return RenderedPost(platform, text, rule.count(text), limit, rule.unit, variant, problem)


def _hashtags(cfg: Config, item: InterviewText) -> tuple[str, ...]:
    from publisher.text.hashtags import combine

    return combine(cfg.campaign.hashtags, item.hashtags).tags
