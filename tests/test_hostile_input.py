"""Hostile input at the door: each attempt is refused, or made harmless, and says why.

Template injection in the organizer's texts and in an interview's own templates, paths that
lead out of the season folder or to things that are not files (a FIFO, /dev/zero), a 10 MB
description, bytes that are not UTF-8, NUL and other control characters, invisible Unicode,
spreadsheet formulas in a season CSV. A refused command exits with status 2, names the field
and the problem on stderr, and leaves the database exactly as it was.

Paths: an absolute path, or `../` out of the season folder, is the organizer's choice and is
accepted when it leads to a regular, readable file of the right kind; what is refused is
anything else. Cases that could hang if a check regressed (a FIFO, a device, a huge file) run
in a child process with a timeout, so a regression fails the test instead of stalling it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from publisher.samples import SAMPLE_SRT
from tests.conftest import HomeFixture, Media, Result, add_args
from tests.helpers.marks import quick_sample

REPO = Path(__file__).resolve().parents[1]
EXISTING_TITLE = "Intervista già in coda"
TITLE = "Maria Rossi nel suo studio"
# Enough ../ to climb to / from any folder: the path then ends wherever it says.
TO_ROOT = "../" * 40
HANG_TIMEOUT_S = 60
TEN_MB = 10 * 1024 * 1024

Build = Callable[[Media], list[Any]]


@dataclass(frozen=True)
class Hostile:
    build: Build  # makes the files and returns the command's arguments (after --home/--db)
    expect: tuple[str, ...]  # each must appear in stderr
    child: bool = False  # run in a child process with a timeout: it could hang if unchecked


# --- helpers ----------------------------------------------------------------------------------

@pytest.fixture
def seeded(sqlite_home: HomeFixture, media: Media) -> HomeFixture:
    """A home holding one valid interview (id 1), so that "unchanged" means something."""
    result = sqlite_home.ok(*add_args(media.video("existing.mp4"), EXISTING_TITLE))
    assert result.stdout.strip() == "1"
    return sqlite_home


def run_child(home: HomeFixture, args: Sequence[Any]) -> Result:
    """The real CLI in a child process: a command that blocks is killed and fails the test."""
    argv = [sys.executable, "-m", "publisher", "--home", str(home.path), "--db", home.db_url,
            *map(str, args)]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8"}
    try:
        done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=HANG_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the command did not finish in {HANG_TIMEOUT_S} s (it blocks on the "
                    f"file): {argv[3:]}")
    return Result(done.returncode, done.stdout, done.stderr)


def assert_refused(home: HomeFixture, args: Sequence[Any], expect: Iterable[str], *,
                   child: bool = False) -> Result:
    before = home.snapshot()
    result = run_child(home, args) if child else home.run(*args)
    assert result.exit_code == 2, f"exit status {result.exit_code}, expected 2:\n{result.output}"
    for text in expect:
        assert text in result.stderr, f"{text!r} is not in stderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert "\x1b" not in result.stderr.replace("\x1b[31m", "").replace("\x1b[0m", ""), \
        "a refused command echoed a terminal escape from the input"
    assert result.stdout == "", "a refused command must print nothing on stdout"
    assert home.snapshot() == before, "a refused command changed the database"
    return result


def _arg(value: Any, m: Media) -> Any:
    return value(m) if callable(value) else value


def add(*extra: Any, title: str = TITLE, video: Callable[[Media], Path] | None = None
        ) -> Build:
    """`queue add` of a valid new video (or `video`) with `extra` options appended."""
    def build(m: Media) -> list[Any]:
        return add_args(video(m) if video else m.video(), title, *(_arg(x, m) for x in extra))
    return build


def template(kind: str, source: str) -> Build:
    return add("--template", f"{kind}={source}")


def edit(*extra: Any) -> Build:
    return lambda m: ["queue", "edit", 1, *(_arg(x, m) for x in extra)]


def import_file(name: str, content: str | bytes | Callable[[Media], str | bytes]) -> Build:
    """`queue import` of a file written next to the media (its paths are relative to it)."""
    def build(m: Media) -> list[Any]:
        data = content(m) if callable(content) else content
        return ["queue", "import", m.file(name, data)]
    return build


def csv_row(**cells: str) -> Callable[[Media], str]:
    """A season CSV of one valid interview, with `cells` added or replacing its own."""
    def content(m: Media) -> str:
        row = {"video": m.video().name, "title": "Uno", "speakers": "Anna Neri (scultrice)",
               **cells}
        quoted = ['"' + v.replace('"', '""') + '"' for v in row.values()]
        return ",".join(row) + "\n" + ",".join(quoted) + "\n"
    return content


def yaml_item(extra: str) -> Callable[[Media], str]:
    """A season YAML of one valid interview, with `extra` lines (indented by 2) added."""
    return lambda m: f"- video: {m.video().name}\n  title: Uno\n  speakers: Anna Neri\n{extra}"


def fifo(m: Media, name: str) -> Path:
    path = m.folder / name
    os.mkfifo(path)
    return path


def link(m: Media, name: str, target: str) -> Path:
    path = m.folder / name
    path.symlink_to(target)
    return path


def folder(m: Media, name: str) -> Path:
    path = m.folder / name
    path.mkdir()
    return path


def sparse(m: Media, name: str, size: int) -> Path:
    """A file of `size` bytes of text that takes no disk space."""
    path = m.file(name, "Maria Rossi racconta.\n")
    os.truncate(path, size)
    return path


def escaped_name(m: Media, make: Callable[[Media, str], Path]) -> Path:
    """A real file whose name holds a terminal escape (it would recolour any listing)."""
    return make(m, "\x1b[31mrosso\x1b[0m")


def case(case_id: str, build: Build, *expect: str, child: bool = False) -> Any:
    return pytest.param(Hostile(build, expect, child), id=case_id)


# --- the cases --------------------------------------------------------------------------------

SRT_WITH_NUL = SAMPLE_SRT.encode() + b"\x00"
SRT_LATIN1 = "1\n00:00:00,000 --> 00:00:01,000\nBenvenuti nel caffè.\n".encode("latin-1")
TEMPLATE_CASES = [
    # An interview's own template runs sandboxed: no way out to Python's objects.
    case("template-str-class-mro-subclasses",
         template("title", "{{ ''.__class__.__mro__[1].__subclasses__() }}"),
         "template templates.title: not allowed",
         "access to attribute '__class__' of 'str' object is unsafe"),
    case("template-cycler-globals-os",
         template("description", "{{ cycler.__init__.__globals__.os.popen('id').read() }}"),
         "template templates.description: not allowed", "'__init__'"),
    case("template-joiner-globals", template("title", "{{ joiner.__init__.__globals__ }}"),
         "template templates.title: not allowed", "'__init__'"),
    case("template-lipsum-globals",
         template("description", "{{ lipsum.__globals__['os'].system('id') }}"),
         "template templates.description: not allowed", "'__globals__'"),
    case("template-namespace-init", template("title", "{{ namespace.__init__ }}"),
         "template templates.title: not allowed", "'__init__'"),
    case("template-self-private-context",
         template("title", "{{ self._TemplateReference__context }}"),
         "template templates.title: not allowed"),
    case("template-config-is-not-a-variable", template("title", "{{ config.items() }}"),
         "template templates.title: 'config' is undefined", "variables available: campaign"),
    case("template-include-etc-passwd", template("description", "{% include '/etc/passwd' %}"),
         "template templates.description: {% include %} is not allowed (line 1)"),
    case("template-extends", template("title", "{% extends 'base.html' %}"),
         "template templates.title: {% extends %} is not allowed"),
    case("template-import", template("title", "{% import 'macros' as m %}{{ title }}"),
         "template templates.title: {% import %} is not allowed"),
    case("template-string-times-ten-billion", template("description", "{{ 'x' * 10**10 }}"),
         "template templates.description: not allowed: '*' would build 10,000,000,000 items"),
    case("template-power-tower", template("description", "{{ 9**(9**9) }}"),
         "template templates.description: not allowed: '**' would compute a number"),
    case("template-range-of-a-billion",
         template("description", "{% for i in range(10**9) %}.{% endfor %}"),
         "template templates.description: not allowed: range() was given 1,000,000,000"),
    case("template-filter-with-a-huge-width",
         template("description", "{{ title|center(10**9) }}"),
         "template templates.description: not allowed: the filter 'center' was given "
         "1,000,000,000"),
    case("template-method-with-a-huge-width", template("title", "{{ title.ljust(10**9) }}"),
         "template templates.title: not allowed: ljust() was given 1,000,000,000"),
    case("template-macro-calls-itself",
         template("title", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"),
         "template templates.title: it calls itself without end"),
    case("template-division-by-zero", template("title", "{{ title }} {{ 1 / 0 }}"),
         "template templates.title: cannot be rendered: ZeroDivisionError"),
    case("template-post-dunder", template("post", "{{ url.__class__.__base__ }}"),
         "posts: template posts.mastodon: not allowed", "'__class__'"),
    case("import-yaml-template-dunder",
         import_file("season.yaml", yaml_item(
             "  templates:\n    title: \"{{ title.__class__.__mro__ }}\"\n")),
         "interview 1: template templates.title: not allowed", "'__class__'"),
]

PATH_CASES = [
    case("caption-traversal-to-etc-passwd", add("--captions", f"it={TO_ROOT}etc/passwd"),
         "captions (it): caption file is neither SubRip (.srt) nor WebVTT (.vtt): /etc/passwd"),
    case("caption-is-a-directory", add("--captions", lambda m: f"it={folder(m, 'subs.srt')}"),
         "captions (it): caption file is a directory", "subs.srt"),
    case("caption-missing", add("--captions", lambda m: f"it={m.folder / 'none.srt'}"),
         "captions (it): caption file not found", "none.srt"),
    case("caption-is-a-png", add("--captions", lambda m: f"it={m.png('fake.srt')}"),
         "captions (it): caption file is not UTF-8 text", "fake.srt"),
    case("caption-fifo", add("--captions", lambda m: f"it={fifo(m, 'pipe.srt')}"),
         "captions (it): caption file is not a regular file (it is a named pipe (FIFO))",
         "pipe.srt", child=True),
    case("caption-link-to-dev-zero",
         add("--captions", lambda m: f"it={link(m, 'zero.srt', '/dev/zero')}"),
         "captions (it): caption file is not a regular file (it is a character device)",
         "/dev/zero", child=True),
    case("caption-link-to-dev-urandom",
         add("--captions", lambda m: f"it={link(m, 'random.vtt', '/dev/urandom')}"),
         "captions (it): caption file is not a regular file", "/dev/urandom", child=True),
    case("caption-nul-in-name", add("--captions", "it=subs\x00.srt"),
         "captions (it): caption file has a NUL byte in its name", "subs\\x00.srt"),
    case("caption-escape-in-name",
         add("--captions", lambda m: f"it={escaped_name(m, lambda m, n: m.srt(n + '.srt'))}"),
         "captions (it): caption file has control characters in its name (U+001B)",
         "rename the file", "\\x1b[31mrosso"),
    case("thumbnail-traversal-to-etc-passwd", add("--thumbnail", f"{TO_ROOT}etc/passwd"),
         "thumbnail: thumbnail must be a JPEG or PNG image", "/etc/passwd"),
    case("thumbnail-fifo", add("--thumbnail", lambda m: fifo(m, "pipe.png")),
         "thumbnail: thumbnail is not a regular file (it is a named pipe (FIFO))", "pipe.png",
         child=True),
    case("thumbnail-link-to-dev-zero",
         add("--thumbnail", lambda m: link(m, "zero.png", "/dev/zero")),
         "thumbnail: thumbnail is not a regular file (it is a character device): /dev/zero",
         child=True),
    case("video-etc-passwd", add(video=lambda m: Path(f"{TO_ROOT}etc/passwd")),
         "video: not a video file PyAV can read", "/etc/passwd"),
    case("video-fifo", add(video=lambda m: fifo(m, "pipe.mp4")),
         "video: video file is not a regular file (it is a named pipe (FIFO))", "pipe.mp4",
         child=True),
    case("video-link-to-dev-urandom", add(video=lambda m: link(m, "v.mp4", "/dev/urandom")),
         "video: video file is not a regular file (it is a character device): /dev/urandom",
         child=True),
    case("video-escape-in-name",
         add(video=lambda m: escaped_name(m, lambda m, n: m.video(n + ".mp4"))),
         "video: video file has control characters in its name (U+001B)"),
    case("import-csv-caption-traversal-to-etc-passwd",
         import_file("season.csv", csv_row(captions=f"it={TO_ROOT}etc/passwd")),
         "row 2: captions (it): caption file is neither SubRip (.srt) nor WebVTT (.vtt): "
         "/etc/passwd"),
    case("import-yaml-thumbnail-is-the-parent-folder",
         import_file("season.yaml", yaml_item("  thumbnail: ..\n")),
         "interview 1: thumbnail: thumbnail is a directory"),
    case("import-yaml-caption-fifo",
         import_file("season.yaml", lambda m: yaml_item(
             f"  captions: {{it: {fifo(m, 'pipe.srt').name}}}\n")(m)),
         "interview 1: captions (it): caption file is not a regular file (it is a named pipe",
         child=True),
    case("import-season-file-is-a-fifo", lambda m: ["queue", "import", fifo(m, "season.csv")],
         "cannot import season.csv: not a regular file (it is a named pipe (FIFO))",
         child=True),
    case("import-season-file-links-to-dev-zero",
         lambda m: ["queue", "import", link(m, "season.yaml", "/dev/zero")],
         "cannot import season.yaml: not a regular file (it is a character device)",
         child=True),
]

DESCRIPTION_FILE_CASES = [
    case("description-file-10-mb", add("--description-file", lambda m: sparse(m, "d.txt", TEN_MB)),
         "description-file: the file is 10,485,760 bytes, over YouTube's limit for a "
         "description (5,000 bytes)", "d.txt"),
    case("description-file-10-gb-is-not-read",
         add("--description-file", lambda m: sparse(m, "huge.txt", 10 * 1024**3)),
         "description-file: the file is 10,737,418,240 bytes, over YouTube's limit",
         child=True),
    case("description-10-mb-inline", add("--description", "M" * TEN_MB),
         "description is", "bytes (UTF-8), over YouTube's limit of 5000 bytes"),
    case("description-file-fifo", add("--description-file", lambda m: fifo(m, "desc.txt")),
         "description-file: not a regular file (it is a named pipe (FIFO))", "desc.txt",
         child=True),
    case("description-file-link-to-dev-zero",
         add("--description-file", lambda m: link(m, "zero.txt", "/dev/zero")),
         "description-file: not a regular file (it is a character device)", child=True),
    case("description-file-dev-urandom", add("--description-file", "/dev/urandom"),
         "description-file: not a regular file (it is a character device): /dev/urandom",
         child=True),
    case("description-file-invalid-utf8",
         add("--description-file", lambda m: m.file("d.txt", b"Ciao.\nNel caff\xe8.\n")),
         "description-file: not UTF-8 text (invalid byte 0xE8 at byte offset 14, line 2)",
         "d.txt"),
    case("description-file-nul-byte",
         add("--description-file", lambda m: m.file("d.txt", b"Ciao.\nMaria\x00Rossi\n")),
         "description-file: not text: it holds a NUL byte at byte offset 11, line 2", "d.txt"),
    case("import-csv-description-file-10-mb",
         import_file("season.csv", lambda m: csv_row(
             description_file=sparse(m, "d.txt", TEN_MB).name)(m)),
         "row 2: column description_file: the file is 10,485,760 bytes, over YouTube's limit"),
    case("import-yaml-description-file-fifo",
         import_file("season.yaml", lambda m: yaml_item(
             f"  description_file: {fifo(m, 'desc.txt').name}\n")(m)),
         "interview 1: column description_file: not a regular file (it is a named pipe",
         child=True),
    case("import-csv-description-file-traversal-to-dev-zero",
         import_file("season.csv", csv_row(description_file=f"{TO_ROOT}dev/zero")),
         "row 2: column description_file: not a regular file (it is a character device)",
         child=True),
    case("import-csv-ten-mb-cell",
         import_file("season.csv", lambda m: csv_row(description="M" * TEN_MB)(m)),
         "season.csv: row 2 cannot be read: field larger than field limit",
         "a description is at most 5,000 bytes"),
]

ENCODING_CASES = [
    case("caption-invalid-utf8", add("--captions", lambda m: f"it={m.file('l.srt', SRT_LATIN1)}"),
         "captions (it): caption file is not UTF-8 text (invalid byte 0xE8 at byte offset "
         f"{SRT_LATIN1.index(0xE8)}, line 3)", "l.srt"),
    case("caption-nul-byte",
         add("--captions", lambda m: f"it={m.file('n.srt', SRT_WITH_NUL)}"),
         "captions (it): caption file is not text: it holds a NUL byte at byte offset", "n.srt"),
    case("import-csv-invalid-utf8",
         import_file("season.csv", b"video,title,speakers\na.mp4,Caff\xe8,Anna\n"),
         "season.csv is not UTF-8 text (invalid byte 0xE8 at byte offset 31, line 2)"),
    case("import-yaml-invalid-utf8",
         import_file("season.yaml", b"- video: a.mp4\n  title: Caff\xe8\n"),
         "season.yaml is not UTF-8 text (invalid byte 0xE8 at byte offset 28, line 2)"),
    case("import-csv-nul-byte",
         import_file("season.csv", b"video,title,speakers\na.mp4,Uno\x00,Anna\n"),
         "season.csv is not text: it holds a NUL byte at byte offset 30, line 2"),
    case("import-yaml-nul-byte", import_file("season.yaml", b"- video: a.mp4\x00\n"),
         "season.yaml is not text: it holds a NUL byte at byte offset 14, line 1"),
    case("import-yaml-alias-bomb-in-a-known-column",
         import_file("season.yaml", lambda m: "bomb:\n"
                     "  - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                     + "".join(f"  - &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n"
                               for i in range(1, 9))
                     + f"interviews:\n- video: {m.video().name}\n  title: Uno\n"
                     "  speakers: Anna Neri\n  hashtags: [Marmo, *a8]\n"),
         "interview 1: column hashtags: expected text, found list", child=True),
]

FORMULA_CASES = [
    case("csv-formula-hyperlink-title",
         import_file("season.csv", csv_row(title='=HYPERLINK("https://evil.example","clic")')),
         "row 2: column title: '=HYPERLINK(\"https://evil.example\",\"clic\")' looks like a "
         "spreadsheet formula (it starts with '=')", "start the cell with an apostrophe"),
    case("csv-formula-dde-plus-cmd",
         import_file("season.csv", csv_row(speakers="+cmd|' /C calc'!A0")),
         "row 2: column speakers:", "looks like a spreadsheet formula (it starts with '+')"),
    case("csv-formula-arithmetic-minus",
         import_file("season.csv", csv_row(recording_place="-2+3")),
         "row 2: column recording_place: '-2+3' looks like a spreadsheet formula"),
    case("csv-formula-at-sum", import_file("season.csv", csv_row(description="@SUM(A1:A9)")),
         "row 2: column description: '@SUM(A1:A9)' looks like a spreadsheet formula"),
    case("csv-formula-after-tab", import_file("season.csv", csv_row(title="\t=1+1")),
         "row 2: column title: '=1+1' looks like a spreadsheet formula"),
    case("csv-formula-after-carriage-return",
         import_file("season.csv", csv_row(playlist="\r=cmd|'/c calc'!A1")),
         "row 2: column playlist:", "looks like a spreadsheet formula"),
    case("csv-formula-every-cell-named",
         import_file("season.csv", lambda m: "video,title,speakers\n"
                     f"{m.video().name},=1+1,Anna Neri\n{m.video().name},Due,@SUM(1;2)\n"),
         "row 2: column title: '=1+1'", "row 3: column speakers: '@SUM(1;2)'"),
]

TEXT_CASES = [
    case("title-nul", add(title="Maria\x00Rossi"), "title contains control characters (U+0000)"),
    case("title-ansi-escape", add(title="\x1b[31mMaria Rossi\x1b[0m"),
         "title contains control characters (U+001B)"),
    case("title-rtl-override", add(title="Maria Rossi \u202eavi4pm.exe"),
         "title contains invisible characters (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    case("title-zero-width-space", add(title="Maria\u200bRossi"),
         "title contains invisible characters (U+200B ZERO WIDTH SPACE)"),
    case("title-html-script", add(title="<script>alert(1)</script>"),
         "title contains '<' and '>', which YouTube does not accept"),
    case("description-html-link",
         add("--description", '<a href="https://evil.example">clic</a>'),
         "description contains '<' and '>', which YouTube does not accept"),
    case("description-ansi-clear-screen", add("--description", "Ciao\x1b[2J\x1b[H"),
         "description contains control characters (U+001B)"),
    case("description-rtl-isolate", add("--description", "Intervista \u2067abc\u2069"),
         "description contains invisible characters (U+2067 RIGHT-TO-LEFT ISOLATE, "
         "U+2069 POP DIRECTIONAL ISOLATE)"),
    case("speaker-nul", add("--speaker", "Anna\x00Neri"),
         "speaker 2 name contains control characters (U+0000)"),
    case("speaker-rtl-override", add("--speaker", "Anna \u202eireN"),
         "speaker 2 name contains invisible characters (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    case("speaker-role-ansi", add("--speaker", "Anna Neri", "--role", "\x1b]0;pwned\x07"),
         "speaker 2 role contains control characters (U+0007, U+001B)"),
    case("hashtag-nul", add("--hashtag", "Marmo\x00"),
         "hashtag 'Marmo\\x00' contains punctuation or symbols"),
    case("hashtag-zero-width-space", add("--hashtag", "Mar\u200bmo"),
         "hashtag 'Mar\\u200bmo' contains punctuation or symbols"),
    case("hashtag-rtl-override", add("--hashtag", "\u202eomraM"),
         "hashtag '\\u202eomraM' contains punctuation or symbols"),
    case("recording-place-rtl-override", add("--recording-place", "Carrara \u202eAS"),
         "recording_place contains invisible characters (U+202E"),
    case("playlist-ansi-escape", add("--playlist", "Stagione \x1b[5m1"),
         "playlist contains control characters (U+001B)"),
    case("edit-title-ansi-escape", edit("--title", "\x1b[2JNuovo"),
         "title contains control characters (U+001B)"),
    case("edit-speaker-zero-width", edit("--speaker", "Maria\u2060Rossi"),
         "speaker 1 name contains invisible characters (U+2060 WORD JOINER)"),
    case("import-yaml-speaker-rtl-override",
         import_file("season.yaml", lambda m: f"- video: {m.video().name}\n  title: Uno\n"
                     '  speakers: ["Anna \\u202eireN"]\n'),
         "interview 1: speaker 1 name contains invisible characters (U+202E"),
    case("import-yaml-localized-title-bidi",
         import_file("season.yaml", yaml_item(
             '  localizations:\n    en: {title: "One \\u202dx", description: Two}\n')),
         "interview 1: localized (en) title contains invisible characters (U+202D"),
    case("import-csv-title-ansi-escape",
         import_file("season.csv", csv_row(title="Uno \x1b[31mrosso")),
         "row 2: title contains control characters (U+001B)"),
]

CASES = [*TEMPLATE_CASES, *PATH_CASES, *DESCRIPTION_FILE_CASES, *ENCODING_CASES,
         *FORMULA_CASES, *TEXT_CASES]


def test_case_table_is_consistent() -> None:
    ids = [p.id for p in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert len(ids) >= 40


@pytest.mark.parametrize("bad", quick_sample(CASES, every=12))
def test_hostile_input_is_refused(seeded: HomeFixture, media: Media, bad: Hostile) -> None:
    assert_refused(seeded, bad.build(media), bad.expect, child=bad.child)


# --- made harmless, and accepted --------------------------------------------------------------

INJECTIONS = [
    "{{ 7 * 7 }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ config }}",
    "{% for x in range(3) %}boom{% endfor %}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'] }} {{ joiner() }}",
    "{% raw %}{{ title }}{% endraw %}",
]


def _preview(home: HomeFixture, item_id: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(home.ok("preview", item_id, "--json").stdout)
    return data


@pytest.mark.parametrize("text", INJECTIONS, ids=range(len(INJECTIONS)))
def test_template_syntax_in_the_organizers_words_is_published_as_written(
        seeded: HomeFixture, media: Media, text: str) -> None:
    # The organizer's words are values given to the templates, never templates themselves.
    result = seeded.ok(*add_args(media.video(), f"Titolo {text}", "--description", text,
                                 "--speaker", f"Anna {text}", "--role", "ceramista",
                                 "--recording-place", f"Carrara {text}"))
    assert result.stdout.strip() == "2"
    preview = _preview(seeded, 2)
    youtube = preview["youtube"]
    assert youtube["title"]["text"] == f"Titolo {text}"
    description = youtube["description"]["text"]
    assert description.startswith(text + "\n")
    assert f"Anna {text}, ceramista" in description
    assert f"Anna {text}" in youtube["tags"]["text"]
    assert youtube["problems"] == []
    for post in preview["posts"]:
        assert f"Titolo {text}" in post["text"], post["platform"]
    shown = json.loads(seeded.ok("queue", "show", 2, "--json").stdout)
    assert shown["youtube"]["title"] == f"Titolo {text}"
    assert "49" not in youtube["title"]["text"] + description


def test_caption_outside_the_season_folder_is_the_organizers_choice(
        seeded: HomeFixture, media: Media) -> None:
    # ../ out of the season's folder and an absolute path are accepted when they lead to a
    # real caption file; the interview stores where it really is.
    shared = media.srt("shared.it.srt")
    english = media.vtt("elsewhere.en.vtt")
    season = media.folder / "season"
    season.mkdir()
    video = media.video()
    (season / "season.csv").write_text(
        "video,title,speakers,captions\n"
        f"../{video.name},Uno,Anna Neri,it=../shared.it.srt; en={english}\n", encoding="utf-8")
    result = seeded.ok("queue", "import", season / "season.csv")
    assert "Queued 1 interviews: 2" in result.stdout
    shown = json.loads(seeded.ok("queue", "show", 2, "--json").stdout)
    assert shown["captions"] == {"it": str(shared.resolve()), "en": str(english.resolve())}


def test_formula_like_text_quoted_with_an_apostrophe_is_kept_as_text(
        seeded: HomeFixture, media: Media) -> None:
    # The spreadsheet convention: a leading ' makes the cell text. Cells that merely start
    # with + - or @ (a phone number, a handle, a dash) are not formulas at all.
    content = csv_row(title="'=1+1 fa due", speakers="@mariarossi (ceramista)",
                      recording_place="+39 0585 123456", description="-- Maria racconta (2021)",
                      playlist="'O sole mio")(media)
    result = seeded.ok("queue", "import", media.file("season.csv", content))
    assert "formula" not in result.stderr
    shown = json.loads(seeded.ok("queue", "show", 2, "--json").stdout)
    assert shown["title"] == "=1+1 fa due"
    assert shown["speakers"][0]["name"] == "@mariarossi"
    assert shown["recording_place"] == "+39 0585 123456"
    assert shown["description"] == "-- Maria racconta (2021)"
    assert shown["playlist"] == "'O sole mio"


def test_description_file_with_a_byte_order_mark_is_read_without_it(
        seeded: HomeFixture, media: Media) -> None:
    desc = media.file("desc.txt", "\ufeffMaria racconta il marmo.\n".encode())
    seeded.ok(*add_args(media.video(), TITLE, "--description-file", desc))
    shown = json.loads(seeded.ok("queue", "show", 2, "--json").stdout)
    assert shown["description"] == "Maria racconta il marmo."


def test_joiners_that_scripts_and_emoji_need_are_accepted(seeded: HomeFixture,
                                                          media: Media) -> None:
    # U+200D joins an emoji sequence, U+200C is part of Persian spelling: not "invisible junk".
    title = "Ceramista \U0001f469\u200d\U0001f3a8 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    result = seeded.ok(*add_args(media.video(), title))
    assert "invisible" not in result.stderr
    assert _preview(seeded, 2)["youtube"]["title"]["text"] == title
