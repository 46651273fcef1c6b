"""The log lines organizers read on stderr (`upload`, `publish`, `run`, `run-due`).

- Times in the campaign's time zone, to the second: `2026-12-08 18:00:05 CET`.
- publisher's own lines from INFO up; the libraries' (Alembic, APScheduler, httpx, …) only
  from WARNING up, unless `--verbose`.
- Each message once: the same news told again within a minute (an interview's wait logged
  by the pipeline, then by the notification that tells the organizers, then by the
  command's own closing line) is not repeated. The command's closing lines go through
  `say`, which keeps to the same rule.
- Secrets redacted (publisher/redact.py), as before.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.services.times import Zone

#: The same message within this many seconds is said once.
REPEAT_WINDOW_S = 60.0
#: What the pipeline, the notifier and the commands put before the same news.
_PREFIX = re.compile(r"^(?:\[SANDBOX\] )?(?:warning: )?(?:notification \(sandbox: not sent\): )?"
                     r"(?:interview (?P<id>\d+)(?: on [\w-]+)?: )?"
                     r"(?:(?:waiting|retry|needs[ _]attention|staged|released|busy): )?",
                     re.IGNORECASE)


def news_of(message: str) -> str:
    """The message without the wording that differs between two tellings of the same news
    (the interview it is about is kept: the same news about another is other news)."""
    text = message.strip()
    match = _PREFIX.match(text)
    if match is None:
        return text
    about = f"{match.group('id')}: " if match.group("id") else ""
    return about + text[match.end():].strip()


class Once:
    """Remembers what was said recently; `first(message)` is True only the first time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._said: dict[str, float] = {}

    def first(self, message: str) -> bool:
        news = news_of(message)
        if not news:
            return True
        now = self.clock()
        last = self._said.get(news)
        self._said[news] = now
        if len(self._said) > 1000:
            self._said = {k: t for k, t in self._said.items() if now - t < REPEAT_WINDOW_S}
        return last is None or now - last >= REPEAT_WINDOW_S

    def forget(self) -> None:
        self._said.clear()


class _OnceFilter(logging.Filter):
    def __init__(self, once: Once) -> None:
        super().__init__()
        self.once = once

    def filter(self, record: logging.LogRecord) -> bool:
        return self.once.first(record.getMessage())


class ZoneFormatter(logging.Formatter):
    """`2026-12-08 18:00:05 CET WARNING message`: the campaign's time zone, to the second."""

    def __init__(self, zone: Callable[[], Zone]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self.zone = zone

    def formatTime(self, record: logging.LogRecord,
                   datefmt: str | None = None) -> str:
        import datetime as dt

        from publisher.services.times import zone_label

        local = dt.datetime.fromtimestamp(record.created, self.zone())
        return f"{local:%Y-%m-%d %H:%M:%S} {zone_label(local)}"

    def format(self, record: logging.LogRecord) -> str:
        from publisher.cli.hints import runnable

        return runnable(super().format(record))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test's capture, a redirected one)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


_once = Once()
_handler: _StderrHandler | None = None


def setup_logging(app: App) -> None:
    """Log publisher's lines (INFO up) and the libraries' (WARNING up; INFO up with
    `--verbose`) to stderr, each once, stamped in the campaign's time zone, for as long as
    the command runs."""
    from publisher.redact import install

    global _handler
    ctx = click.get_current_context(silent=True)
    verbose = bool(ctx and ctx.find_root().meta.get("verbose"))
    root, ours = logging.getLogger(), logging.getLogger("publisher")
    if _handler is None:
        _handler = _StderrHandler()
        _handler.addFilter(_OnceFilter(_once))
        root.addHandler(_handler)
        levels = (root.level, ours.level)
        if ctx is not None:
            ctx.call_on_close(lambda: _teardown(*levels))
    _once.forget()
    _handler.setFormatter(ZoneFormatter(lambda: _zone_of(app)))
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    ours.setLevel(logging.INFO)
    install()  # no secret in any log line, from any library (see publisher/redact.py)


def _teardown(root_level: int, our_level: int) -> None:
    """The command is over: logging as it was (tests run many commands in one process)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler = None
    logging.getLogger().setLevel(root_level)
    logging.getLogger("publisher").setLevel(our_level)


def _zone_of(app: App) -> Zone:
    """The campaign's zone; UTC (labelled as such) if the configuration cannot say."""
    import datetime as dt

    try:
        return app.zone
    except Exception:  # a log line must never fail because of a broken configuration
        return dt.UTC


def say(message: str, *, err: bool = False, fg: str | None = None) -> None:
    """A command's own line about an outcome, unless a log line just said the same."""
    from publisher.cli.hints import runnable

    if _handler is not None and not _once.first(message):
        return
    click.secho(runnable(message), err=err, fg=fg)
