"""Dates and times as organizers see them: in the campaign's time zone, never the server's.

The campaign's zone is its default schedule's (the only schedule's, when there is just one;
UTC when there is none). A not-before date is shown in the zone of the interview's own
schedule, the one it was entered in, so `--not-before 2027-01-15` reads back as 2027-01-15.
The zones are read straight from the TOML files, without the full validation: `queue list`
stays fast and works on a configuration that does not validate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from publisher.home import Home

#: A time zone: a ZoneInfo, or UTC when the campaign names none.
Zone = dt.tzinfo


@dataclass(frozen=True)
class Zones:
    """The campaign's time zone and each schedule's."""

    campaign: Zone = dt.UTC
    by_schedule: Mapping[str, Zone] = field(default_factory=dict)

    def of_schedule(self, name: str | None) -> Zone:
        """The zone an interview's dates were entered in: its schedule's, else the campaign's."""
        if name and name in self.by_schedule:
            return self.by_schedule[name]
        return self.campaign


def load_zones(home: Home, raw_config: Mapping[str, Any]) -> Zones:
    """The zones of the home's schedules, and the campaign's: its default schedule's."""
    from publisher.filecheck import load_toml

    by_schedule: dict[str, Zone] = {}
    if home.schedules_dir.is_dir():
        for path in sorted(home.schedules_dir.glob("*.toml")):
            doc = load_toml(path)
            name = doc.get("name") if isinstance(doc.get("name"), str) else path.stem
            zone = _zone(doc.get("timezone"))
            if name and zone is not None:
                by_schedule[name] = zone
    campaign = raw_config.get("campaign")
    default = campaign.get("default_schedule") if isinstance(campaign, dict) else None
    if isinstance(default, str) and default in by_schedule:
        return Zones(by_schedule[default], by_schedule)
    if len(by_schedule) == 1:
        return Zones(next(iter(by_schedule.values())), by_schedule)
    return Zones(dt.UTC, by_schedule)


def _zone(name: object) -> Zone | None:
    from zoneinfo import ZoneInfoNotFoundError

    if not isinstance(name, str) or not name.strip():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # the full validation names the file and the key


def moment(at: dt.datetime, zone: Zone, *, seconds: bool = False, weekday: bool = False
           ) -> str:
    """`2026-12-08 18:00 CET` (with `seconds`, `18:00:05`; with `weekday`, `Tue 2026-…`)."""
    local = at.astimezone(zone)
    text = f"{local:%Y-%m-%d %H:%M:%S}" if seconds else f"{local:%Y-%m-%d %H:%M}"
    if weekday:
        text = f"{local:%a} {text}"
    return f"{text} {zone_label(local)}"


def zone_label(local: dt.datetime) -> str:
    """The zone's abbreviation (CET, CEST), or its offset when it has none (+0530)."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    return f"{local:%z}"


def day_or_moment(at: dt.datetime, zone: Zone) -> str:
    """A not-before as it was entered: the day when it is that day's midnight in `zone`,
    else the moment (`2027-01-15`, or `2027-01-15 14:30 CET`)."""
    local = at.astimezone(zone)
    if local.time() == dt.time(0, 0):
        return local.date().isoformat()
    return moment(at, zone)


def local_instant(value: object, zone: Zone) -> object:
    """A journal value: an ISO 8601 instant (with its offset) shown in `zone`; anything
    else as it is."""
    if not isinstance(value, str) or len(value) < 20 or value[4:5] != "-":
        return value
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment(at, zone, seconds=at.second != 0) if at.tzinfo is not None else value


def iso(at: dt.datetime | None, zone: Zone) -> str | None:
    """ISO 8601 with the zone's offset, to the second: `2027-01-15T00:00:00+01:00`."""
    if at is None:
        return None
    return at.astimezone(zone).isoformat(timespec="seconds")


def entered(at: dt.datetime | None, zone: Zone) -> str | None:
    """A not-before in the form `queue add` / `queue import` read: the date, or the moment."""
    if at is None:
        return None
    local = at.astimezone(zone)
    if local.time() == dt.time(0, 0):
        return local.date().isoformat()
    return local.isoformat(timespec="minutes" if local.second == 0 else "seconds")
