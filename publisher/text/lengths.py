"""How each platform counts a text. Pure functions; the heavy parsers load on first use."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

URL_RE = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w", re.UNICODE)


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters): one emoji family is one."""
    import regex

    return len(regex.findall(r"\X", text))


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@lru_cache(maxsize=1024)
def x_weighted(text: str) -> int:
    """X's weighted length (twitter-text v3: URLs 23, CJK and emoji 2, most scripts 1)."""
    from twitter_text import parse_tweet  # ~1 s to import: only when X text is counted

    return int(parse_tweet(text).weightedLength)


_TRAILING = ".,;:!?)]}'\""


def _url_as(length: int) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        url = match.group(0)
        # Like the server's extractor: punctuation ending a sentence is not the link's.
        stripped = url.rstrip(_TRAILING)
        return "x" * length + url[len(stripped):]

    return replace


def mastodon_length(text: str, url_length: int = 23) -> int:
    """Mastodon's count: graphemes, each URL with a scheme as `url_length`, and remote
    mentions `@user@domain` as `@user` (the server's StatusLengthValidator)."""
    reduced = URL_RE.sub(_url_as(url_length), text)
    reduced = MENTION_RE.sub(lambda m: "@" + m.group(1), reduced)
    return graphemes(reduced)
