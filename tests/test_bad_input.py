"""Validation at the door: bad input to `queue add`, `queue edit` and `queue import`.

Every refused command must exit with status 2, say on stderr which field is wrong and why,
and leave the database exactly as it was. Each home starts with one valid interview, so that
"unchanged" means something. Most cases run on SQLite only (they are about files and text);
the handful in BOTH_BACKENDS also run on PostgreSQL.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from publisher.platforms.youtube import limits
from publisher.text.youtube_text import SpeakerText, derive_tags
from tests.conftest import HomeFixture, Media, Result, add_args, invoke
from tests.helpers.marks import quick_sample

EXISTING_VIDEO = "existing.mp4"
EXISTING_TITLE = "Intervista già in coda"
TITLE = "Maria Rossi nel suo studio"
CAMPAIGN_HASHTAGS = ("#StudiApertiOltreilLockdown", "#CarraraUnescoCreativeCity",
                     "#ItalyComestoYou")
VTT_WITHOUT_CUES = "WEBVTT\n\nNOTE no timed cue below\n"
SRT_LATIN1 = "1\n00:00:00,000 --> 00:00:01,000\nBenvenuti nel caffè.\n".encode("latin-1")

Build = Callable[[Media, HomeFixture], list[Any]]
Arg = Any  # a literal argument, or a callable taking Media that makes one (e.g. a file)


@dataclass(frozen=True)
class Bad:
    build: Build  # makes the files, prepares the home if needed, returns the arguments
    expect: tuple[str, ...]  # each must appear in stderr
    known_bug: str | None = None  # a product bug outside this test's files, left failing


# --- helpers ----------------------------------------------------------------------------------

def seed(home: HomeFixture, media: Media) -> HomeFixture:
    """Put one valid interview (id 1) in the home."""
    result = home.ok(*add_args(media.video(EXISTING_VIDEO), EXISTING_TITLE))
    assert result.stdout.strip() == "1"
    return home


@pytest.fixture
def seeded(sqlite_home: HomeFixture, media: Media) -> HomeFixture:
    return seed(sqlite_home, media)


@pytest.fixture
def seeded_both(home: HomeFixture, media: Media) -> HomeFixture:
    return seed(home, media)


def assert_refused(home: HomeFixture, args: Sequence[Any], expect: Iterable[str]) -> Result:
    before = home.snapshot()
    assert before["interviews"], "the home should already hold a valid interview"
    result = home.run(*args)
    assert result.exit_code == 2, f"exit status {result.exit_code}, expected 2:\n{result.output}"
    for text in expect:
        assert text in result.stderr, f"{text!r} is not in stderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert result.stdout == "", "a refused command must print nothing on stdout"
    assert home.snapshot() == before, "a refused command changed the database"
    return result


def _arg(value: Arg, media: Media) -> Any:
    return value(media) if callable(value) else value


def add(*extra: Arg, title: str = TITLE, video: Callable[[Media], Path] | None = None
        ) -> Build:
    """`queue add` of a valid new video (or `video`) with `extra` options appended."""
    def build(m: Media, h: HomeFixture) -> list[Any]:
        return add_args(video(m) if video else m.video(), title, *(_arg(x, m) for x in extra))
    return build


def edit(item_id: int, *extra: Arg, setup: Callable[[Media, HomeFixture], None] | None = None
         ) -> Build:
    def build(m: Media, h: HomeFixture) -> list[Any]:
        if setup is not None:
            setup(m, h)
        return ["queue", "edit", item_id, *(_arg(x, m) for x in extra)]
    return build


def import_file(name: str, content: str | bytes | Callable[[Media], str]) -> Build:
    """`queue import` of a file written next to the media (paths in it are relative to it)."""
    def build(m: Media, h: HomeFixture) -> list[Any]:
        data = content(m) if callable(content) else content
        return ["queue", "import", m.file(name, data)]
    return build


def with_template(key: str, old: str, new: str, build: Build) -> Build:
    """Change a template in the home's publisher.toml, then build the command."""
    def wrapped(m: Media, h: HomeFixture) -> list[Any]:
        config = h.path / "publisher.toml"
        text = config.read_text(encoding="utf-8")
        section = text.index("[templates]")
        start = text.index(f"{key} = ", section)
        at = text.index(old, start)
        config.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")
        return build(m, h)
    return wrapped


def sparse(m: Media, name: str, head: bytes, size: int) -> Path:
    """A file of `size` bytes that starts with `head` and takes no disk space."""
    path = m.file(name, head)
    os.truncate(path, size)
    return path


def truncated_mp4(m: Media) -> Path:
    data = m.video(seconds=3).read_bytes()
    return m.file("cut-in-half.mp4", data[: len(data) // 2])


def folder(m: Media, name: str) -> Path:
    path = m.folder / name
    path.mkdir()
    return path


def non_utf8_name(m: Media) -> Path:
    """A real video whose file name is Latin-1 ("caffè.mp4" written by another system)."""
    good = m.video()
    raw = os.fsencode(m.folder) + b"/caff\xe8.mp4"
    os.rename(good, raw)
    return Path(os.fsdecode(raw))


def copy_of_existing(m: Media) -> Path:
    """The queued interview's video under another name: the same content (sha256)."""
    return Path(shutil.copy(m.folder / EXISTING_VIDEO, m.folder / "copy-of-existing.mp4"))


def second_interview(m: Media, h: HomeFixture) -> None:
    assert h.ok(*add_args(m.video(), "Seconda intervista")).stdout.strip() == "2"


def cancel_first(m: Media, h: HomeFixture) -> None:
    h.ok("queue", "cancel", "1")


def repeat(option: str, values: Iterable[str]) -> list[str]:
    return [x for v in values for x in (option, v)]


def case(case_id: str, build: Build, *expect: str, fails: str | None = None) -> Any:
    """One bad input; `fails` describes a product bug the case exposes (it fails until fixed)."""
    return pytest.param(Bad(build, expect, fails), id=case_id)


def check(home: HomeFixture, media: Media, bad: Bad) -> None:
    try:
        assert_refused(home, bad.build(media, home), bad.expect)
    except AssertionError as exc:
        if bad.known_bug:
            raise AssertionError(f"known product bug: {bad.known_bug}\n{exc}") from None
        raise


def same_video_twice(m: Media) -> str:
    name = m.video().name
    return f"video,title,speakers\n{name},Uno,Anna Neri\n{name},Due,Bruno Bianchi\n"


# --- the cases --------------------------------------------------------------------------------

LONG_HASHTAGS = [f"ArtigianatoDelMarmoDiCarraraEdintorni{chr(65 + i)}" for i in range(10)]
# 13 speakers of 30 characters: the tags' characters add up to 499, but YouTube also counts
# the commas between tags and quotes each tag that has a space (+2): 546.
LONG_SPEAKERS = [f"Maria Bianchi Della Rovere {chr(65 + i) * 3}" for i in range(13)]
TITLE_70 = "Maria Rossi racconta il marmo: dalle cave di Colonnata alle sue opere."

CASES = [
    # The video file.
    case("video-missing", add(video=lambda m: m.folder / "missing.mp4"),
         "video: video file not found", "missing.mp4"),
    case("video-is-a-directory", add(video=lambda m: folder(m, "a-folder.mp4")),
         "video: video file is a directory", "a-folder.mp4"),
    case("video-zero-bytes", add(video=lambda m: m.file("empty.mp4", b"")),
         "video: video file is empty (0 bytes)", "empty.mp4"),
    case("video-text-renamed-mp4",
         add(video=lambda m: m.file("notes.mp4", "Appunti dell'intervista.\n" * 40)),
         "video: not a video file", "notes.mp4"),
    case("video-truncated-mp4", add(video=truncated_mp4),
         "video: video file is damaged or truncated", "cut-in-half.mp4"),
    case("video-audio-only", add(video=lambda m: m.video("audio.mp4", video=False)),
         "video: no video stream in the file (found: audio)", "audio.mp4"),
    case("video-over-12-hours",
         add(video=lambda m: m.video("long.mp4", seconds=0.2, fps=10, audio=False,
                                     last_frame_at=12 * 3600 + 60)),
         "video: video is 12:01:00 long", "over YouTube's limit of 12 hours", "long.mp4"),
    case("video-already-queued", add(video=copy_of_existing),
         "video: the same video file", "is already interview 1", repr(EXISTING_TITLE),
         "--allow-duplicate"),
    case("video-name-not-utf8", add(video=non_utf8_name),
         "video: video file has a name that is not valid UTF-8", "caff\\xe8.mp4"),
    # The title, as YouTube will receive it.
    case("title-empty", add(title=""), "title: missing"),
    case("title-only-spaces", add(title="   "), "title is empty"),
    case("title-101-characters", add(title="M" * 101),
         "title is 101 characters, over YouTube's limit of 100 by 1"),
    case("title-emoji-count-twice", add(title="🎨" * 51),
         "title is 102 characters, over YouTube's limit of 100"),
    case("title-angle-brackets", add(title="Maria Rossi <ceramista>"),
         "title contains '<' and '>', which YouTube does not accept"),
    case("title-nul-character", add(title="Maria Rossi\x00"),
         "title contains control characters (U+0000)"),
    case("title-newline", add(title="Maria Rossi\nnel suo studio"),
         "title contains control characters (U+000A)"),
    case("title-not-utf8-terminal", add(title="Caff\udce8 con Maria"),
         "title is not valid UTF-8 text"),
    case("title-too-long-after-template",
         with_template("title", "{{ title }}", "{{ title }} — {{ campaign.name }}",
                       add(title=TITLE_70)),
         "title is 105 characters, over YouTube's limit of 100 by 5",
         "— Studi Aperti – Oltre il lockdown"),
    case("template-undefined-variable",
         with_template("title", "{{ title }}", "{{ title }} con {{ speaker }}", add()),
         "template templates.title", "'speaker' is undefined"),
    case("template-undefined-variable-in-description",
         with_template("description", "{{ description }}", "{{ description }} {{ guest }}",
                       add()),
         "template templates.description", "'guest' is undefined"),
    case("template-undefined-campaign-key",
         with_template("description", "{{ description }}",
                       "{{ description }} {{ campaign.sponsor }}", add()),
         "template templates.description", "campaign.sponsor",
         fails="publisher/text/templates.py names only 'sponsor' ('dict object' has no "
               "attribute 'sponsor'), not the variable campaign.sponsor"),
    # The description.
    case("description-over-5000-bytes-under-5000-chars",
         add("--description", "àèìòù" * 520),
         "description is", "bytes (UTF-8), over YouTube's limit of 5000 bytes"),
    case("description-angle-bracket", add("--description", "Dal 2020 al 2024 <in corso>"),
         "description contains '<' and '>', which YouTube does not accept"),
    case("description-nul-character", add("--description", "Prima riga\x00seconda"),
         "description contains control characters (U+0000)"),
    case("description-and-description-file",
         add("--description", "Testo", "--description-file",
             lambda m: m.file("desc.txt", "Altro testo")),
         "give --description or --description-file, not both"),
    case("description-file-missing",
         add("--description-file", lambda m: m.folder / "no-such-desc.txt"),
         "description-file: not found", "no-such-desc.txt"),
    case("description-file-latin1",
         add("--description-file", lambda m: m.file("desc-latin1.txt", "caffè".encode("latin-1"))),
         "description-file: not UTF-8 text", "desc-latin1.txt"),
    # Tags: hashtag words, speakers' names and the campaign, counted the YouTube way.
    case("tags-over-500-from-hashtags", add(*repeat("--hashtag", LONG_HASHTAGS)),
         "tags use", "over the limit of 500"),
    case("tags-over-500-only-counted-the-youtube-way",
         add(*repeat("--speaker", LONG_SPEAKERS)),
         "tags use 546 characters counted the YouTube way", "over the limit of 500 by 46"),
    # Hashtags.
    case("hashtag-with-space", add("--hashtag", "marmo bianco"),
         "hashtag 'marmo bianco' contains a space", "#marmobianco"),
    case("hashtag-with-punctuation", add("--hashtag", "ciao!"),
         "hashtag 'ciao!' contains punctuation or symbols ('!')"),
    case("hashtag-only-number-sign", add("--hashtag", "#"), "hashtag '#' is empty"),
    case("hashtag-empty-string", add("--hashtag", ""), "hashtag '' is empty"),
    case("hashtag-only-digits", add("--hashtag", "#2024"),
         "hashtag '#2024' has no letter"),
    case("hashtag-emoji", add("--hashtag", "#marmo🎨"),
         "hashtag '#marmo🎨' contains punctuation or symbols"),
    case("hashtag-not-utf8-terminal", add("--hashtag", "caff\udce8"),
         "is not valid UTF-8 text"),
    case("hashtags-more-than-60", add(*repeat("--hashtag", [f"t{i}" for i in range(58)])),
         "61 hashtags on one video", "above 60"),
    # Thumbnail.
    case("thumbnail-not-jpeg-or-png",
         add("--thumbnail", lambda m: m.file("thumb.gif", b"GIF89a" + b"\0" * 64)),
         "thumbnail: thumbnail must be a JPEG or PNG image", "thumb.gif"),
    case("thumbnail-over-50-mb",
         add("--thumbnail", lambda m: sparse(m, "huge.png", b"\x89PNG\r\n\x1a\n",
                                            limits.THUMBNAIL_MAX_BYTES + 1)),
         "thumbnail: thumbnail is 52,428,801 bytes", "over YouTube's limit of 50 MiB",
         "huge.png"),
    case("thumbnail-missing", add("--thumbnail", lambda m: m.folder / "no-thumb.png"),
         "thumbnail: thumbnail not found", "no-thumb.png"),
    case("thumbnail-zero-bytes", add("--thumbnail", lambda m: m.file("empty.png", b"")),
         "thumbnail: thumbnail is empty (0 bytes)"),
    case("thumbnail-is-a-directory", add("--thumbnail", lambda m: folder(m, "thumbs")),
         "thumbnail: thumbnail is a directory"),
    # Captions.
    case("caption-not-srt-or-vtt",
         add("--captions", lambda m: f"it={m.file('subs.txt', 'Solo testo, senza tempi.')}"),
         "captions (it): caption file is neither SubRip (.srt) nor WebVTT (.vtt)",
         "subs.txt"),
    case("caption-not-utf8",
         add("--captions", lambda m: f"it={m.file('latin1.srt', SRT_LATIN1)}"),
         "captions (it): caption file is not UTF-8 text", "latin1.srt"),
    case("caption-vtt-without-cues",
         add("--captions", lambda m: f"en={m.file('empty.vtt', VTT_WITHOUT_CUES)}"),
         "captions (en): WebVTT caption file has no timed cue"),
    case("caption-file-missing",
         add("--captions", lambda m: f"it={m.folder / 'no-subs.srt'}"),
         "captions (it): caption file not found", "no-subs.srt"),
    case("caption-language-xx-invalid", add("--captions", lambda m: f"xx-invalid={m.srt()}"),
         "captions: 'xx-invalid' is not a BCP-47 language code"),
    case("caption-language-italian", add("--captions", lambda m: f"italian={m.srt()}"),
         "captions: 'italian' is not a BCP-47 language code"),
    case("captions-without-equals", add("--captions", lambda m: str(m.srt())),
         "--captions: expected LANG=FILE"),
    case("captions-language-twice",
         add("--captions", lambda m: f"it={m.srt()}", "--captions",
             lambda m: f"it={m.srt('other.srt')}"),
         "--captions: language 'it' is given twice"),
    case("captions-language-twice-other-case",
         add("--captions", lambda m: f"it={m.srt()}", "--captions",
             lambda m: f"IT={m.srt('other.srt')}"),
         "--captions", "given twice",
         fails="publisher/cli/queue_cmds.py compares caption languages case-sensitively; "
               "BCP-47 tags are case-insensitive, so two 'it' tracks are queued"),
    # Scheduling and metadata.
    case("not-before-unparseable", add("--not-before", "martedì prossimo"),
         "not-before: cannot read 'martedì prossimo' as a date"),
    case("not-before-impossible-date", add("--not-before", "2026-02-30"),
         "not-before: cannot read '2026-02-30' as a date"),
    case("not-before-out-of-range", add("--not-before", "0001-01-01"),
         "not-before", "0001-01-01",
         fails="publisher/queue.py _parse_not_before: astimezone(UTC) raises OverflowError "
               "(exit 1, 'unexpected OverflowError') for dates at the ends of the calendar"),
    case("schedule-unknown", add("--schedule", "settimanale"),
         "schedule: unknown schedule 'settimanale' (known: studi-aperti)"),
    case("language-unknown", add("--language", "italian"),
         "language: unknown language code 'italian'"),
    case("language-invalid-subtag", add("--language", "xx-invalid"),
         "language: unknown language code 'xx-invalid'"),
    case("recording-date-unparseable", add("--recording-date", "ieri"),
         "recording-date: cannot read 'ieri' as a date"),
    case("category-not-a-number", add("--category", "People"),
         "category: expected a numeric YouTube category id"),
    case("category-fullwidth-digits", add("--category", "２２"),
         "category: expected a numeric YouTube category id",
         fails="publisher/queue.py checks category_id with str.isdigit(), which accepts "
               "non-ASCII digits such as '２２'; YouTube needs ASCII digits"),
    case("privacy-unknown", add("--privacy", "secret"),
         "Invalid value for '--privacy'", "'secret' is not one of"),
    # Speakers.
    case("speaker-missing", lambda m, h: ["queue", "add", m.video(), "--title", TITLE],
         "speakers: missing; an interview needs at least one speaker"),
    case("speaker-name-blank",
         lambda m, h: ["queue", "add", m.video(), "--title", TITLE, "--speaker", "  "],
         "speaker 1: the name is empty"),
    case("role-more-than-speakers", add("--role", "scultrice"),
         "--role: 2 roles for 1 speakers"),
    case("speaker-link-unknown-speaker",
         add("--speaker-link", "Anna Neri=https://example.org/anna"),
         "--speaker-link: 'Anna Neri' is not one of the --speaker names"),
    case("speaker-link-not-web-address",
         add("--speaker-link", "Maria Rossi=ftp://example.org/maria"),
         "speaker 1 (Maria Rossi): link 'ftp://example.org/maria' is not a web address"),
    case("speaker-name-nul-character", add("--speaker", "Anna\x00Neri"),
         "contains control characters (U+0000)"),
    # Several problems at once: all are reported, not just the first.
    case("several-problems-reported-together",
         add("--language", "italian", "--thumbnail", lambda m: m.folder / "no-thumb.png",
             "--not-before", "domani", title="M" * 120),
         "title is 120 characters", "language: unknown language code 'italian'",
         "thumbnail: thumbnail not found", "not-before: cannot read 'domani'"),
    # queue edit.
    case("edit-nonexistent-id", edit(99, "--title", "Nuovo titolo"),
         "there is no interview 99"),
    case("edit-nothing-to-change", edit(1), "nothing to change"),
    case("edit-title-over-100", edit(1, "--title", "M" * 101),
         "title is 101 characters, over YouTube's limit of 100"),
    case("edit-video-missing", edit(1, "--video", lambda m: m.folder / "missing.mp4"),
         "video: video file not found", "missing.mp4"),
    case("edit-video-audio-only", edit(1, "--video", lambda m: m.video(video=False)),
         "video: no video stream in the file"),
    case("edit-video-duplicate-of-another",
         edit(2, "--video", lambda m: m.folder / EXISTING_VIDEO, setup=second_interview),
         "video: the same video file", "is already interview 1"),
    case("edit-cancelled-interview", edit(1, "--title", "Nuovo titolo", setup=cancel_first),
         "interview 1 is cancelled", "`publisher queue restore 1` puts it back"),
    case("edit-thumbnail-and-no-thumbnail",
         edit(1, "--thumbnail", lambda m: m.png(), "--no-thumbnail"),
         "give --thumbnail or --no-thumbnail, not both"),
    case("edit-hashtag-with-space", edit(1, "--hashtag", "marmo bianco"),
         "hashtag 'marmo bianco' contains a space"),
    # queue import (CSV and YAML): one bad row refuses the whole file.
    case("import-csv-unknown-column",
         import_file("season.csv", lambda m: "video,title,speakers,colour\n"
                     f"{m.video().name},Uno,Anna Neri (scultrice),rosso\n"),
         "season.csv: column 'colour' is unknown"),
    case("import-csv-second-row-missing-video",
         import_file("season.csv", lambda m: "video,title,speakers\n"
                     f"{m.video().name},Uno,Anna Neri (scultrice)\n"
                     "missing.mp4,Due,Bruno Bianchi (pittore)\n"),
         "row 3: video: video file not found", "missing.mp4"),
    case("import-csv-not-utf8",
         import_file("season.csv", "video,title,speakers\na.mp4,Caffè,Anna\n".encode("latin-1")),
         "season.csv is not UTF-8 text"),
    case("import-csv-empty", import_file("season.csv", ""),
         "season.csv is empty: expected a header row"),
    case("import-csv-header-only", import_file("season.csv", "video,title,speakers\n"),
         "the file holds no interviews"),
    case("import-csv-more-values-than-columns",
         import_file("season.csv", lambda m: "video,title,speakers\n"
                     f"{m.video().name},Uno,Anna Neri,in più\n"),
         "season.csv: row 2 has more values than the header has columns"),
    case("import-csv-bad-boolean",
         import_file("season.csv", lambda m: "video,title,speakers,made_for_kids\n"
                     f"{m.video().name},Uno,Anna Neri,forse\n"),
         "row 2: column made_for_kids: expected true or false, found 'forse'"),
    case("import-csv-same-video-twice",
         import_file("season.csv", same_video_twice),
         "row 3: video: the same video file as row 2 of this file"),
    case("import-csv-video-already-queued",
         import_file("season.csv", f"video,title,speakers\n{EXISTING_VIDEO},Uno,Anna Neri\n"),
         "row 2: video: the same video file", "is already interview 1"),
    case("import-yaml-not-a-list",
         import_file("season.yaml", "video: a.mp4\ntitle: Uno\nspeakers: Anna Neri\n"),
         "season.yaml: expected a list of interviews"),
    case("import-yaml-item-not-a-mapping",
         import_file("season.yaml", "- a.mp4\n- b.mp4\n"),
         "season.yaml: interview 1 is not a mapping of columns"),
    case("import-yaml-syntax-error", import_file("season.yaml", "- video: [a.mp4\n"),
         "season.yaml is not valid YAML"),
    case("import-yaml-every-bad-row-named",
         import_file("season.yaml", lambda m: f"- video: {m.video().name}\n"
                     f"  title: {'M' * 101}\n  speakers: Anna Neri\n"
                     f"- video: {m.video().name}\n  title: Due\n  speakers: Bruno Bianchi\n"
                     "  language: italian\n"),
         "interview 1: title is 101 characters", "interview 2: language: unknown language"),
    case("import-yaml-localization-bad-language",
         import_file("season.yaml", lambda m: f"- video: {m.video().name}\n  title: Uno\n"
                     "  speakers: Anna Neri\n  localizations:\n"
                     "    english: {title: One, description: The first}\n"),
         "interview 1: localizations: 'english' is not a BCP-47 language code"),
    case("import-yaml-nul-in-title",
         import_file("season.yaml", lambda m: f"- video: {m.video().name}\n"
                     '  title: "Uno\\0"\n  speakers: Anna Neri\n'),
         "interview 1: title contains control characters (U+0000)"),
    case("import-yaml-nul-in-recording-place",
         import_file("season.yaml", lambda m: f"- video: {m.video().name}\n  title: Uno\n"
                     '  speakers: Anna Neri\n  recording_place: "Carrara\\0"\n'),
         "interview 1", "recording", "U+0000",
         fails="publisher/queue.py does not check recording_place (nor playlist, role) for "
               "NUL: PostgreSQL then fails the INSERT (exit 1, DataError) and SQLite stores it"),
    case("import-wrong-extension", import_file("season.txt", "video,title\n"),
         "cannot import season.txt: expected a .csv or .yaml file"),
    case("import-file-missing", lambda m, h: ["queue", "import", m.folder / "missing.csv"],
         "import file not found", "missing.csv"),
]

# Cases about the database as much as the input: these also run on PostgreSQL.
BOTH_BACKENDS = {
    "video-already-queued", "title-101-characters", "title-nul-character",
    "description-nul-character", "tags-over-500-from-hashtags", "edit-nonexistent-id",
    "edit-video-duplicate-of-another", "import-csv-second-row-missing-video",
    "import-csv-video-already-queued", "import-yaml-nul-in-title",
    "import-yaml-nul-in-recording-place",
}


def test_case_table_is_consistent() -> None:
    ids = [p.id for p in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert set(ids) >= BOTH_BACKENDS
    assert len(ids) >= 30
    assert len(TITLE_70) == 70  # valid alone; 105 characters after the title template
    # The speakers' case is over 500 only when counted the YouTube way.
    tags = derive_tags(CAMPAIGN_HASHTAGS,
                       [SpeakerText(n) for n in ["Maria Rossi", *LONG_SPEAKERS]],
                       "Studi Aperti – Oltre il lockdown")
    assert sum(len(t) for t in tags) <= limits.TAGS_MAX_CHARS < limits.tags_length(tags)


@pytest.mark.parametrize("bad", quick_sample(CASES, every=8))
def test_bad_input_is_refused(seeded: HomeFixture, media: Media, bad: Bad) -> None:
    check(seeded, media, bad)


@pytest.mark.postgres
@pytest.mark.parametrize("bad", quick_sample([p for p in CASES if p.id in BOTH_BACKENDS],
                                             every=4))
def test_bad_input_is_refused_on_each_database(seeded_both: HomeFixture, media: Media,
                                               bad: Bad) -> None:
    check(seeded_both, media, bad)


# --- cases that need more than a command line -------------------------------------------------

def test_video_over_256_gb_is_refused_before_it_is_read(
        seeded: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    import av

    # Starts like an MP4, so only the size can refuse it; sparse, so it takes no disk space.
    head = media.video().read_bytes()[:4096]
    huge = sparse(media, "huge.mp4", head, limits.VIDEO_MAX_BYTES + 1)
    touched: list[str] = []

    def forbidden(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            touched.append(name)
            raise AssertionError(f"{name} was called on a file over the size limit")
        return call

    monkeypatch.setattr("publisher.media.sha256_file", forbidden("hashing"))
    monkeypatch.setattr(av, "open", forbidden("probing"))
    assert_refused(seeded, add_args(huge),
                   ["video: video file is 274,877,906,945 bytes",
                    "over YouTube's limit of 256 GB", "huge.mp4"])
    assert touched == []


# Started by the interpreter as root when `nobody` cannot run it (e.g. it lives under /root,
# mode 0700): import publisher and what it loads lazily, drop to nobody, then run the command.
_DROP_PRIVILEGES_THEN_RUN = """
import os, sys
uid, gid = int(sys.argv[1]), int(sys.argv[2])
import encodings, importlib, pkgutil
for codec in pkgutil.iter_modules(encodings.__path__):
    try:
        importlib.import_module("encodings." + codec.name)
    except ImportError:
        pass
import hashlib, json, sqlite3, tomllib, zoneinfo
import av, jinja2.sandbox, langcodes, sqlalchemy.dialects.sqlite, yaml
import publisher.cli, publisher.config, publisher.media, publisher.queue
import publisher.schedules, publisher.store.db, publisher.store.migrate
import publisher.text.youtube_text
# The CLI imports a command's module (and what it needs) when the command runs: load them
# all now, while the interpreter's own files can still be read.
import publisher.cli.hints, publisher.cli.logs, publisher.cli.output, publisher.cli.queue_cmds
import publisher.store.models, shlex
langcodes.tag_is_valid("it")
os.setgroups([])
os.setgid(gid)
os.setuid(uid)
assert os.geteuid() == uid and os.getegid() == gid
sys.argv = ["publisher", *sys.argv[3:]]
publisher.cli.main()
"""


def _run_as(user: pwd.struct_passwd, args: Sequence[Any], cwd: Path
            ) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd),
           "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [str(a) for a in args]
    as_user: dict[str, Any] = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    try:
        probe = subprocess.run([sys.executable, "-c", "import publisher.cli"], cwd=cwd,
                               env=env, capture_output=True, timeout=120, **as_user)
        usable = probe.returncode == 0
    except PermissionError:
        usable = False
    if usable:
        return subprocess.run([sys.executable, "-m", "publisher", *argv], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=300, **as_user)
    return subprocess.run([sys.executable, "-c", _DROP_PRIVILEGES_THEN_RUN, str(user.pw_uid),
                           str(user.pw_gid), *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_unreadable_video_is_refused(sqlite_home: HomeFixture, media: Media) -> None:
    expect = ["video: video file is not readable (permission denied)", "secret.mp4"]
    if os.geteuid() != 0:
        seed(sqlite_home, media)
        video = media.video("secret.mp4")
        video.chmod(0)
        try:
            try:
                video.open("rb").close()
            except PermissionError:
                pass
            else:
                pytest.skip("chmod 000 does not stop this user from reading the file")
            assert_refused(sqlite_home, add_args(video), expect)
        finally:
            video.chmod(0o644)
        return

    # As root (CI), chmod 000 does not stop reads: run the command as `nobody`, in a folder
    # that `nobody` may enter, with a home and database it may use.
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root, and there is no 'nobody' user to run the command as")
    world = Path(tempfile.mkdtemp(dir="/tmp", prefix="publisher-unreadable-"))
    try:
        home_path = world / "home"
        assert invoke("init", str(home_path)).exit_code == 0
        home = seed(HomeFixture(home_path, f"sqlite:///{home_path / 'publisher.db'}"),
                    Media(world / "media"))
        video = Media(world / "media").video("secret.mp4", seed=99)
        for path in [world, *world.rglob("*")]:
            path.chmod(0o777)
        video.chmod(0)
        before = home.snapshot()
        result = _run_as(nobody, ["--home", home_path, "--db", home.db_url,
                                  *add_args(video)], cwd=world)
        assert result.returncode == 2, f"exit {result.returncode}:\n{result.stderr}"
        for text in expect:
            assert text in result.stderr, f"{text!r} is not in stderr:\n{result.stderr}"
        assert result.stdout == ""
        assert home.snapshot() == before
    finally:
        shutil.rmtree(world, ignore_errors=True)


# --- accepted, with what changed: --allow-duplicate and warnings ------------------------------

def _show(home: HomeFixture, item_id: int) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(home.ok("queue", "show", item_id, "--json").stdout)
    return data


@pytest.mark.postgres
def test_allow_duplicate_queues_the_same_video_again(seeded_both: HomeFixture,
                                                      media: Media) -> None:
    result = seeded_both.ok(*add_args(copy_of_existing(media), "Di nuovo in coda",
                                      "--allow-duplicate"))
    assert result.stdout.strip() == "2"
    first, second = _show(seeded_both, 1), _show(seeded_both, 2)
    assert second["video_sha256"] == first["video_sha256"]
    assert (second["title"], second["state"], second["position"]) == (
        "Di nuovo in coda", "queued", 2)


def test_own_hashtag_after_the_campaigns_three_is_no_warning(seeded: HomeFixture,
                                                              media: Media) -> None:
    # The campaign's three come first on purpose: an interview's own hashtag after them is
    # what every interview does, and nothing the organizer could act on.
    result = seeded.run(*add_args(media.video(), TITLE, "--hashtag", "Marmo"))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2"
    assert "warning" not in result.stderr, result.stderr
    assert _show(seeded, 2)["hashtags"] == ["#Marmo"]


def test_hashtags_in_the_description_text_that_push_the_campaigns_out_warn(
        seeded: HomeFixture, media: Media) -> None:
    result = seeded.run(*add_args(media.video(), TITLE, "--description",
                                  "Parliamo di #marmo e #argilla a Carrara."))
    assert result.exit_code == 0, result.output
    assert ("warning: the description's text has hashtags ahead of the hashtag line: YouTube "
            "shows #marmo #argilla #StudiApertiOltreilLockdown above the title, not "
            "#CarraraUnescoCreativeCity #ItalyComestoYou") in result.stderr, result.stderr


def test_own_hashtags_competing_for_the_free_places_warn_which_are_left_out(
        seeded: HomeFixture, media: Media) -> None:
    config = seeded.path / "publisher.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'hashtags = ["#StudiApertiOltreilLockdown", "#CarraraUnescoCreativeCity", '
        '"#ItalyComestoYou"]', 'hashtags = ["#StudiApertiOltreilLockdown"]'), encoding="utf-8")
    two = seeded.run(*add_args(media.video(), TITLE, "--hashtag", "Marmo", "--hashtag",
                               "Ceramica"))
    assert two.exit_code == 0 and "warning" not in two.stderr, two.output
    three = seeded.run(*add_args(media.video(), TITLE, "--hashtag", "Marmo", "--hashtag",
                                 "Ceramica", "--hashtag", "Argilla"))
    assert three.exit_code == 0, three.output
    assert ("warning: YouTube shows only the first 3 hashtags above the title "
            "(#StudiApertiOltreilLockdown #Marmo #Ceramica): this interview's #Argilla will "
            "not be among them (put the one that matters most first)") in three.stderr


def test_hashtag_repeated_in_another_case_is_folded(seeded: HomeFixture, media: Media) -> None:
    result = seeded.run(*add_args(media.video(), TITLE, "--hashtag", "Marmo",
                                  "--hashtag", "#MARMO", "--hashtag", "carraraunescocreativecity"))
    assert result.exit_code == 0, result.output
    assert ("warning: hashtag '#MARMO' is given twice (case is ignored); it is kept once"
            in result.stderr)
    assert ("warning: hashtag 'carraraunescocreativecity' is given twice (case is ignored)"
            in result.stderr)
    item = _show(seeded, 2)
    assert item["hashtags"] == ["#Marmo"]
    assert item["youtube"]["description"].endswith(" ".join([*CAMPAIGN_HASHTAGS, "#Marmo"]))


def test_number_after_hash_sign_is_not_a_hashtag(seeded: HomeFixture, media: Media) -> None:
    # "Episodio #1" is an ordinary title: platforms link no hashtag made only of digits.
    result = seeded.run(*add_args(media.video(), "Episodio #1: Maria Rossi",
                                  "--description", "La parte #2 esce venerdì."))
    assert result.exit_code == 0, result.output
    assert "hashtag" not in result.stderr
    assert _show(seeded, 2)["youtube"]["title"] == "Episodio #1: Maria Rossi"


def test_hashtag_in_title_warns_that_it_replaces_those_above_the_title(
        seeded: HomeFixture, media: Media) -> None:
    result = seeded.run(*add_args(media.video(), "Maria Rossi #Marmo"))
    assert result.exit_code == 0, result.output
    assert "warning: the title contains hashtags: YouTube shows #Marmo above the title" in (
        result.stderr)
