"""The desk's other pages: `/` (this week's figures and chart, overdue and major hazards, what waits for
me), `/notices` and `/notices/<code>` (receipts per enterprise, with the reminder), `/campaigns` (the
enterprise × campaign matrix), `/summary?year=` and `/export?year=` (the year's figures, the Excel ledger).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.web import common
from bot.web.desk import Desk, Who
from domain.hazards import queries as hazard_queries
from domain.hazards.queries import HazardFilter
from domain.reports import queries as report_queries
from storage.enums import HazardStatus, Level

LIST_SIZE = 10


def routes(r: web.UrlDispatcher) -> None:
    """Add the overview's routes."""
    r.add_get("/", index, name="index")


async def index(request: web.Request) -> web.Response:
    """This week's figures and the trend, overdue and major hazards, and what waits for the person."""
    desk: Desk = request.app[common.DESK]
    who: Who = request[common.WHO]
    park = desk.settings.park
    now = desk.clock.now()
    today = park.day(now)
    monday = today - timedelta(days=today.weekday())
    week_start = datetime(monday.year, monday.month, monday.day, tzinfo=park.tz)
    base: dict[str, Any] = {
        "enterprise_id": who.scope, "park_tz": park.tz, "immediate_grace_days": park.immediate_grace_days,
    }
    mine = (
        HazardFilter(**base, statuses=(HazardStatus.AWAITING_VERIFICATION,))
        if who.scope is None
        else HazardFilter(**base, statuses=(HazardStatus.REPORTED, HazardStatus.RECTIFYING))
    )
    async with desk.db.reading() as session:
        _, found = await hazard_queries.list_hazards(session, HazardFilter(**base, open_only=False, found_from=week_start), limit=0)
        _, still_open = await hazard_queries.list_hazards(session, HazardFilter(**base), limit=0)
        overdue, overdue_count = await hazard_queries.list_hazards(session, HazardFilter(**base, overdue_on=today), limit=LIST_SIZE)
        major, major_count = await hazard_queries.list_hazards(session, HazardFilter(**base, level=Level.MAJOR), limit=LIST_SIZE)
        waiting, waiting_count = await hazard_queries.list_hazards(session, mine, limit=LIST_SIZE)
        trend = await report_queries.trend(session, monday, park.tz) if who.scope is None else []
    top = max([max(f, c) for _, f, c in trend] or [0]) or 1
    bars = [(m, f, c, round(100 * f / top), round(100 * c / top)) for m, f, c in trend]
    return common.render(
        request, "index.html", found=found, still_open=still_open, overdue=overdue, overdue_count=overdue_count,
        major=major, major_count=major_count, waiting=waiting, waiting_count=waiting_count, bars=bars,
        monday=monday,
    )
