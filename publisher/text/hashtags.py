"""Hashtags: normalised to one `#` and a word of Unicode letters, digits and underscores."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


class HashtagError(ValueError):
    """A hashtag that cannot be made valid; the message says why."""


def _is_word_char(ch: str) -> bool:
    # Letters (any script), combining marks (e.g. Devanagari vowel signs), digits and "_".
    return ch == "_" or unicodedata.category(ch)[0] in ("L", "M", "N")


def _has_letter(word: str) -> bool:
    # Platforms do not link a hashtag made only of digits and underscores (e.g. "#1").
    return not all(ch.isdigit() or ch == "_" for ch in word)


def normalize(raw: str) -> str:
    """Return the hashtag as `#Word`, or raise HashtagError saying what is wrong with it.

    Leading `#` characters are folded into one; the case the organizer typed is kept.
    """
    text = unicodedata.normalize("NFC", raw.strip())
    word = text.lstrip("#＃")
    if not word:
        raise HashtagError(f"hashtag {raw!r} is empty")
    if any(unicodedata.category(ch) == "Cs" for ch in word):
        raise HashtagError(f"hashtag {raw!r} is not valid UTF-8 text (a byte in another "
                           "encoding: check the terminal's or the file's encoding)")
    if any(ch.isspace() for ch in word):
        raise HashtagError(f"hashtag {raw!r} contains a space (write it as one word, "
                           f"e.g. #{''.join(word.split())})")
    bad = sorted({ch for ch in word if not _is_word_char(ch)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        raise HashtagError(f"hashtag {raw!r} contains punctuation or symbols ({shown}); "
                           "only letters, digits and _ are allowed")
    if not _has_letter(word):
        raise HashtagError(f"hashtag {raw!r} has no letter; platforms do not link "
                           "hashtags made only of digits")
    return "#" + word


@dataclass(frozen=True)
class HashtagSet:
    """An ordered, case-insensitively de-duplicated list of normalised hashtags."""

    tags: tuple[str, ...]
    folded: tuple[str, ...] = ()  # raw inputs that were dropped as duplicates

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(t[1:] for t in self.tags)


def combine(*groups: Iterable[str]) -> HashtagSet:
    """Normalise and merge hashtag groups in order; the first spelling of a duplicate wins.

    The order is deliberate: YouTube shows the first three hashtags above the title, so the
    campaign's come first, then the interview's own.
    """
    seen: set[str] = set()
    out: list[str] = []
    folded: list[str] = []
    for group in groups:
        for raw in group:
            tag = normalize(raw)
            key = tag.casefold()
            if key in seen:
                folded.append(raw)
                continue
            seen.add(key)
            out.append(tag)
    return HashtagSet(tuple(out), tuple(folded))


def find_in_text(text: str) -> list[str]:
    """The hashtags written inside a text (e.g. a title), in order.

    Only what the platforms link counts: "Episodio #1" holds no hashtag, and neither does
    the fragment of a link ("https://example.org/#contatti").
    """
    found = []
    i = 0
    while i < len(text):
        if text[i] == "#" and (i == 0 or not (_is_word_char(text[i - 1])
                                              or text[i - 1] in "/?=&#")):
            j = i + 1
            while j < len(text) and _is_word_char(text[j]):
                j += 1
            if j > i + 1 and _has_letter(text[i + 1:j]):
                found.append(text[i:j])
            i = j
        else:
            i += 1
    return found
