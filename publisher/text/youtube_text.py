"""What YouTube will receive for an interview: title, description, tags, hashtags.

Rendered from the campaign's templates and checked against YouTube's limits. The same
function serves the checks at enqueue and, later, the uploader, so what was accepted is
exactly what gets sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from publisher.config import Config
from publisher.platforms.youtube import limits
from publisher.text.hashtags import HashtagError, combine, find_in_text
from publisher.text.templates import TemplateError, render


@dataclass(frozen=True)
class SpeakerText:
    name: str
    role: str | None = None
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class InterviewText:
    """The organizer's words about one interview, before templates."""

    title: str
    description: str = ""
    speakers: tuple[SpeakerText, ...] = ()
    hashtags: tuple[str, ...] = ()
    language: str = "it"
    recording_date: dt.date | None = None
    recording_place: str | None = None
    # Overrides from the interview's schedule or the interview itself: title, description,
    # post (the cross-posts' default template).
    templates: tuple[tuple[str, str], ...] = ()

    def template(self, kind: str) -> str | None:
        return dict(self.templates).get(kind)


@dataclass(frozen=True)
class YouTubeText:
    title: str
    description: str
    tags: tuple[str, ...]
    hashtags: tuple[str, ...]
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


# Invisible characters refused in every published text. Bidirectional embeddings, overrides
# and isolates make a text display differently from how it reads ("Trojan Source"); the
# zero-width spaces and joiners below make two equal-looking titles or tags differ. The joiners
# that scripts and emoji need (U+200C, U+200D) and the marks U+200E/U+200F stay allowed.
HIDDEN_CHARS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                         "\u200b\u2060\u2061\u2062\u2063\u2064\ufeff")


def hidden_chars(what: str, text: str) -> list[str]:
    """A problem when the text holds invisible characters that could disguise it."""
    import unicodedata

    found = sorted({ch for ch in text if ch in HIDDEN_CHARS})
    if not found:
        return []
    shown = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip() for ch in found)
    return [f"{what} contains invisible characters ({shown}), which can make a text look "
            "different from what it says; remove them"]


def template_variables(cfg: Config, item: InterviewText, hashtags: Sequence[str]
                       ) -> dict[str, Any]:
    """The variables every template may use (documented in the README)."""
    return {
        "title": item.title,
        "description": item.description,
        "speakers": [{"name": s.name, "role": s.role, "links": list(s.links)}
                     for s in item.speakers],
        "hashtags": list(hashtags),
        "language": item.language,
        "recording_date": item.recording_date.isoformat() if item.recording_date else None,
        "recording_place": item.recording_place,
        "campaign": {"name": cfg.campaign.name, "website": cfg.campaign.website,
                     "links": list(cfg.campaign.links)},
    }


def derive_tags(hashtags: Sequence[str], speakers: Sequence[SpeakerText],
                campaign_name: str) -> tuple[str, ...]:
    """YouTube tags: hashtag words, then speakers' names, then the campaign, without repeats."""
    seen: set[str] = set()
    out = []
    for tag in [h.lstrip("#") for h in hashtags] + [s.name for s in speakers] + [campaign_name]:
        tag = tag.strip()
        # Commas separate tags on YouTube's side; a tag may not contain one.
        tag = tag.replace(",", " ").strip()
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return tuple(out)


def render_youtube(cfg: Config, item: InterviewText) -> YouTubeText:
    """Render and check; problems refuse the interview, warnings only inform."""
    problems: list[str] = []
    warnings: list[str] = []
    try:
        tagset = combine(cfg.campaign.hashtags, item.hashtags)
    except HashtagError as exc:
        return YouTubeText("", "", (), (), problems=(str(exc),))
    for raw in tagset.folded:
        warnings.append(f"hashtag {raw!r} is given twice (case is ignored); it is kept once")
    hashtags = tagset.tags
    variables = template_variables(cfg, item, hashtags)
    title = description = ""
    try:
        title = render(item.template("title") or cfg.templates.for_language(
            item.language, "title"), "templates.title", variables)
        description = render(item.template("description") or cfg.templates.for_language(
            item.language, "description"), "templates.description", variables)
    except TemplateError as exc:
        problems.append(str(exc))
        return YouTubeText(title, description, (), hashtags, tuple(problems), tuple(warnings))
    problems += limits.check_title(title) + hidden_chars("title", title)
    problems += limits.check_description(description) + hidden_chars("description", description)
    in_title = find_in_text(title)
    all_tags = combine(hashtags, in_title, find_in_text(description)).tags
    if len(all_tags) > limits.HASHTAGS_MAX:
        problems.append(f"{len(all_tags)} hashtags on one video: YouTube ignores all of them "
                        f"above {limits.HASHTAGS_MAX}")
    tags = derive_tags(hashtags, item.speakers, cfg.campaign.name)
    problems += limits.check_tags(tags)
    campaign_count = len(combine(cfg.campaign.hashtags).tags)
    warnings += shown_above_title_warnings(in_title, find_in_text(description), hashtags,
                                           campaign_count)
    return YouTubeText(title, description, tags, hashtags, tuple(problems), tuple(warnings))


def shown_above_title_warnings(in_title: Sequence[str], in_description: Sequence[str],
                               hashtags: Sequence[str], campaign_count: int) -> list[str]:
    """Warnings about the hashtags YouTube shows above the title, only when the organizer
    can act on them.

    YouTube shows the title's first three hashtags there, or else the description's first
    three. The campaign's come first on purpose, so an interview's own hashtag that finds
    no place after three campaign hashtags is expected, and not worth a warning. Worth one:
    hashtags in the title, or in the description's own text ahead of the hashtag line, that
    push the intended ones out; and an interview's own hashtags that compete for the places
    the campaign leaves free and do not all fit.
    """
    limit = limits.HASHTAGS_SHOWN_ABOVE_TITLE
    if in_title:
        shown = list(_unique(in_title))[:limit]
        return [f"the title contains hashtags: YouTube shows {' '.join(shown)} above the "
                "title instead of the description's"]
    shown = list(_unique(in_description))[:limit]
    shown_keys = {t.casefold() for t in shown}
    intended = list(hashtags[:limit])
    pushed = [t for t in intended if t.casefold() not in shown_keys]
    if pushed and len(shown) == limit:
        return [f"the description's text has hashtags ahead of the hashtag line: YouTube "
                f"shows {' '.join(shown)} above the title, not {' '.join(pushed)}"]
    own = list(hashtags[campaign_count:])
    if campaign_count < limit and len(own) > limit - campaign_count:
        hidden = [t for t in own if t.casefold() not in shown_keys]
        if hidden:
            return [f"YouTube shows only the first {limit} hashtags above the title "
                    f"({' '.join(shown)}): this interview's {' '.join(hidden)} will not be "
                    "among them (put the one that matters most first)"]
    return []


def _unique(found: Sequence[str]) -> dict[str, None]:
    """The hashtags in order, each once (case is ignored): an ordered set."""
    seen: dict[str, str] = {}
    for tag in found:
        seen.setdefault(tag.casefold(), tag)
    return dict.fromkeys(seen.values())
