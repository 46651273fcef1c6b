"""The Calendar page: a month or a week of every cadence's slots, the interview each gets
(a link to its page) or why it stays empty, blackout days, today, and the day the queue
runs dry; an organizer moves a slot's interview up or down from here
(publisher/services/calendar.py's data; the moves go through the Queue page's route)."""

from __future__ import annotations

import calendar as months
import datetime as dt
import enum
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import PublisherError
from publisher.services.calendar import Calendar, SlotKind, calendar
from publisher.web import context
from publisher.web.i18n import weekday_names
from publisher.web.pages import campaign_zone


class View(enum.StrEnum):
    MONTH = "month"
    WEEK = "week"


@dataclass(frozen=True)
class Period:
    view: View
    anchor: dt.date          # the month's first day, or the week's Monday
    first: dt.date           # the first day shown (a Monday)
    last: dt.date            # the last day shown (a Sunday)
    previous: str            # the `date` parameter of the period before
    following: str           # and after

    @property
    def weeks(self) -> int:
        return ((self.last - self.first).days + 1) // 7


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def period(view: View, anchor: dt.date) -> Period:
    if view is View.WEEK:
        monday = _monday(anchor)
        return Period(view, monday, monday, monday + dt.timedelta(days=6),
                      (monday - dt.timedelta(days=7)).isoformat(),
                      (monday + dt.timedelta(days=7)).isoformat())
    start = anchor.replace(day=1)
    end = start.replace(day=months.monthrange(start.year, start.month)[1])
    before = (start - dt.timedelta(days=1)).replace(day=1)
    after = end + dt.timedelta(days=1)
    return Period(view, start, _monday(start), _monday(end) + dt.timedelta(days=6),
                  f"{before:%Y-%m}", f"{after:%Y-%m}")


def parse_anchor(raw: str) -> dt.date:
    """`2026-12` (a month) or `2026-12-08` (a day); ValueError otherwise."""
    text = raw.strip()
    if len(text) == 7:
        return dt.date.fromisoformat(text + "-01")
    return dt.date.fromisoformat(text)


async def calendar_page(request: Request) -> Response:
    console = context.console(request)
    _ = context.translator(request).gettext
    now = console.settings.clock()
    today = now.astimezone(campaign_zone(console)).date()
    try:
        view = View(request.query_params.get("view", View.MONTH.value))
    except ValueError:
        view = View.MONTH
    status_code, problem = 200, None
    raw = request.query_params.get("date", "")
    anchor = today
    if raw:
        try:
            anchor = parse_anchor(raw)
        except ValueError:
            status_code = 400
            problem = _("Expected a month (YYYY-MM) or a day (YYYY-MM-DD); showing today.")
    shown = period(view, anchor)
    try:
        found: Calendar = await run_in_threadpool(calendar, console.app, shown.first,
                                                  shown.last, now)
    except PublisherError as exc:
        return console.pages.render(request, "error.html", status_code=503,
                                    title=_("The calendar cannot be shown"), message=str(exc))
    user = context.account(request)
    return console.pages.render(
        request, "calendar.html", status_code=status_code, cal=found, shown=shown,
        View=View, SlotKind=SlotKind, date_problem=problem,
        weekdays=weekday_names(context.locale(request)),
        can_change=user is not None and user.can_change,
        today_param=today.isoformat() if view is View.WEEK else f"{today:%Y-%m}")


ROUTES = [Route("/calendar", calendar_page, methods=["GET"], name="calendar")]
