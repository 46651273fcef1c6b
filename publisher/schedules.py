"""schedules/*.toml: one weekly cadence per file, validated at load.

Turning a cadence into dated slots (DST-aware) is the planner's job; this module only reads
and checks the files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.errors import ConfigError
from publisher.filecheck import Section, load_toml

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_LEAD_TIME = dt.timedelta(hours=48)
DEFAULT_CROSSPOST_DELAY = dt.timedelta(minutes=5)
_SLOT_RE = re.compile(r"^\s*([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*$")
_DURATION_RE = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    time: dt.time

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday].capitalize()} {self.time:%H:%M}"


@dataclass(frozen=True)
class Blackout:
    first: dt.date
    last: dt.date
    reason: str | None = None

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Schedule:
    name: str
    path: Path
    timezone: str
    slots: tuple[Slot, ...]
    per_week: int
    start: dt.date | None = None
    end: dt.date | None = None
    blackouts: tuple[Blackout, ...] = ()
    lead_time: dt.timedelta = DEFAULT_LEAD_TIME
    crosspost_delay: dt.timedelta = DEFAULT_CROSSPOST_DELAY
    platforms: tuple[str, ...] = ("youtube",)
    templates: tuple[tuple[str, str], ...] = ()  # title / description / post overrides


def parse_duration(text: str) -> dt.timedelta | None:
    """'48h', '2d', '1h30m', '90m' → timedelta; None when malformed."""
    m = _DURATION_RE.match(text)
    if not m or not any(m.groups()):
        return None
    days, hours, minutes = (int(g) if g else 0 for g in m.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes)


def parse_weekday(name: str) -> int | None:
    low = name.strip().lower()
    for i, day in enumerate(WEEKDAYS):
        if low == day or (len(low) >= 3 and day.startswith(low)):
            return i
    return None


def _date(sec: Section, key: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise sec.error(key, f"expected a date (YYYY-MM-DD), found a date and time {value}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise sec.error(key, f"expected a date (YYYY-MM-DD), found {value!r}")


def _duration(sec: Section, key: str, default: dt.timedelta) -> dt.timedelta:
    raw = sec.text(key)
    if raw is None:
        return default
    value = parse_duration(raw)
    if value is None:
        raise sec.error(key, f"expected a duration such as '48h', '2d' or '1h30m', found {raw!r}")
    return value


def _slots(sec: Section) -> tuple[Slot, ...]:
    raw = sec.text_list("slots")
    if not raw:
        raise sec.error("slots", "missing; expected a list such as "
                                 "[\"Tuesday 18:00\", \"Friday 18:00\"]")
    slots = []
    for i, item in enumerate(raw):
        key = f"slots[{i}]"
        m = _SLOT_RE.match(item)
        if not m:
            raise sec.error(key, f"expected a weekday and a 24-hour time such as "
                                 f"'Tuesday 18:00', found {item!r}")
        weekday = parse_weekday(m.group(1))
        if weekday is None:
            raise sec.error(key, f"unknown weekday {m.group(1)!r} (expected one of "
                                 f"{', '.join(d.capitalize() for d in WEEKDAYS)})")
        hour, minute = int(m.group(2)), int(m.group(3))
        if hour > 23 or minute > 59:
            raise sec.error(key, f"malformed time {m.group(2)}:{m.group(3)} "
                                 "(expected HH:MM from 00:00 to 23:59)")
        slot = Slot(weekday, dt.time(hour, minute))
        if slot in slots:
            raise sec.error(key, f"the slot {slot} is listed twice")
        slots.append(slot)
    return tuple(sorted(slots, key=lambda s: (s.weekday, s.time)))


def _blackouts(sec: Section) -> tuple[Blackout, ...]:
    if not sec.has("blackouts"):
        return ()
    raw = sec.data["blackouts"]
    if not isinstance(raw, list):
        raise sec.error("blackouts", "expected a list of dates or ranges "
                                     "('2026-12-24..2027-01-06')")
    out = []
    for i, item in enumerate(raw):
        key = f"blackouts[{i}]"
        if isinstance(item, str) and ".." in item:
            a, _, b = item.partition("..")
            first, last = _date(sec, key, a), _date(sec, key, b)
            if last < first:
                raise sec.error(key, f"range ends ({last}) before it starts ({first})")
            out.append(Blackout(first, last))
        else:
            day = _date(sec, key, item)
            out.append(Blackout(day, day))
    return tuple(out)


def load_schedule(path: Path) -> Schedule:
    """Load and validate one cadence file."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    sec = Section(path, load_toml(path))
    sec.reject_unknown({"name", "timezone", "slots", "per_week", "start", "end", "blackouts",
                        "lead_time", "crosspost_delay", "platforms", "templates"})
    name = sec.text("name", path.stem) or path.stem
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise sec.error("name", f"expected a short name of letters, digits, '-', '_' or '.', "
                                f"found {name!r}")
    tz = sec.required_text("timezone")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise sec.error("timezone", f"unknown time zone {tz!r} (expected an IANA name such "
                                    "as 'Europe/Rome')") from None
    slots = _slots(sec)
    per_week = sec.integer("per_week", len(slots), minimum=1)
    assert per_week is not None
    if per_week > len(slots):
        raise sec.error("per_week", f"{per_week} a week can never be filled by "
                                    f"{len(slots)} weekly slot(s); add slots or lower per_week")
    start = _date(sec, "start", sec.data["start"]) if sec.has("start") else None
    end = _date(sec, "end", sec.data["end"]) if sec.has("end") else None
    if start and end and end < start:
        raise sec.error("end", f"the schedule ends ({end}) before it starts ({start})")
    from publisher.platforms.spec import names

    known = names()
    platforms = sec.text_list("platforms", ["youtube"])
    for i, p in enumerate(platforms):
        if p not in known:
            raise sec.error(f"platforms[{i}]", f"unknown platform {p!r} (expected one of "
                                               f"{', '.join(known)})")
    if "youtube" not in platforms:
        raise sec.error("platforms", "must include 'youtube': the other platforms post its link")
    return Schedule(name=name, path=path, timezone=tz, slots=slots, per_week=per_week,
                    start=start, end=end, blackouts=_blackouts(sec),
                    lead_time=_duration(sec, "lead_time", DEFAULT_LEAD_TIME),
                    crosspost_delay=_duration(sec, "crosspost_delay", DEFAULT_CROSSPOST_DELAY),
                    platforms=tuple(dict.fromkeys(platforms)),
                    templates=_template_overrides(sec.table("templates")))


TEMPLATE_KINDS = ("title", "description", "post")


def _template_overrides(sec: Section) -> tuple[tuple[str, str], ...]:
    """Templates this cadence uses instead of the campaign's (validated now)."""
    from publisher.text.templates import TemplateError, compile_template

    sec.reject_unknown(set(TEMPLATE_KINDS))
    out = []
    for kind in TEMPLATE_KINDS:
        if sec.has(kind):
            source = sec.required_text(kind)
            try:
                compile_template(source, sec.key(kind))
            except TemplateError as exc:
                raise sec.error(kind, f"expected a valid Jinja2 template: {exc}") from None
            out.append((kind, source))
    return tuple(out)


def schedule_name(name: str | None, schedules: dict[str, Schedule], default: str | None
                  ) -> str | None:
    """The schedule an interview follows: its own, the campaign's default, or the only one."""
    if name:
        return name
    if default:
        return default
    return next(iter(schedules)) if len(schedules) == 1 else None


def find_schedule(name: str | None, schedules: dict[str, Schedule], default: str | None
                  ) -> Schedule | None:
    found = schedule_name(name, schedules, default)
    return schedules.get(found) if found else None


def load_schedules(folder: Path) -> dict[str, Schedule]:
    """Every *.toml in the folder, by name; two files with one name are refused."""
    out: dict[str, Schedule] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.toml")):
        schedule = load_schedule(path)
        if schedule.name in out:
            raise ConfigError(path, "name", f"the name {schedule.name!r} is already used by "
                                            f"{out[schedule.name].path}")
        out[schedule.name] = schedule
    return out
