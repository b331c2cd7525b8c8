"""The desk's other pages: `/` (this week's figures and chart, overdue and major hazards, what waits for
me), `/notices` and `/notices/<code>` (receipts per enterprise, with the reminder), `/campaigns` (the
enterprise × campaign matrix), `/summary?year=` and `/export?year=` (the year's figures, the Excel ledger).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.web import common
from bot.web.desk import Desk, Who
from domain.campaigns import queries as campaign_queries
from domain.campaigns.rules import is_overdue
from domain.hazards import queries as hazard_queries
from domain.hazards.queries import HazardFilter
from domain.notices import queries as notice_queries
from domain.notices.rules import tally
from domain.park.rules import Perm, role_allows
from domain.reports import queries as report_queries
from storage.audit import audit
from storage.enums import HazardStatus, Level, NoticeStatus
from storage.models import Person

LIST_SIZE = 10
NOTICES_PAGE = 30
CAMPAIGN_COLUMNS = 12


def routes(r: web.UrlDispatcher) -> None:
    """Add the overview's routes."""
    r.add_get("/", index, name="index")
    r.add_get("/notices", notices, name="notices")
    r.add_get("/notices/{code}", notice, name="notice")
    r.add_post("/notices/{code}/remind", remind, name="remind")
    r.add_get("/campaigns", campaigns, name="campaigns")
    r.add_get("/summary", summary, name="summary")
    r.add_get("/export", export, name="export")


def _managers_only(who: Who, perm: Perm) -> None:
    if not role_allows(who.person.role, perm):
        raise web.HTTPForbidden(text="这一页只供管委会管理人员查看。")


def _year(desk: Desk, text: str) -> int:
    """Read `year=YYYY` (default: this year); 400 in Chinese when it is not a year."""
    if not text:
        return desk.settings.park.day(desk.clock.now()).year
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise web.HTTPBadRequest(text="年份格式为四位数字，例如 year=2026。")
    return int(text)


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


# --- notices and their receipts -------------------------------------------------------------------


async def notices(request: web.Request) -> web.Response:
    """The notices, newest first, with how many enterprises answered (a lead: those asked of them)."""
    desk: Desk = request.app[common.DESK]
    who: Who = request[common.WHO]
    page_text = request.query.get("page", "1")
    if not page_text.isdigit() or not 1 <= int(page_text) <= 100_000:
        raise web.HTTPBadRequest(text="页码应为正整数，例如 page=2。")
    page = int(page_text)
    async with desk.db.reading() as session:
        rows, total = await notice_queries.recent(session, who.scope, NOTICES_PAGE, (page - 1) * NOTICES_PAGE)
        tallies = await notice_queries.tallies(session, [n.id for n in rows])
    tz = desk.settings.park.tz
    lines = [(n, tallies[n.id], n.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if n.starts_at else "") for n in rows]
    return common.render(request, "notices.html", lines=lines, total=total, page=page,
                         pages=max(1, -(-total // NOTICES_PAGE)))


async def notice(request: web.Request, said: str = "", status: int = 200) -> web.Response:
    """One notice: each enterprise's receipt (who answered, when, 请假 with its reason, 代参会)."""
    desk: Desk = request.app[common.DESK]
    who: Who = request[common.WHO]
    code = request.match_info["code"]
    async with desk.db.reading() as session:
        found = await notice_queries.by_code(session, code[:30])
        if found is None or found.status == NoticeStatus.WITHDRAWN:
            raise web.HTTPNotFound(text=f"没有通知 {code[:30]}。")
        receipts = list(await notice_queries.receipts(session, found.id))
    if who.scope is not None:
        receipts = [r for r in receipts if r.enterprise_id == who.scope]
        if not receipts:
            raise web.HTTPForbidden(text="这条通知没有发给本企业。")
    tz = desk.settings.park.tz
    rows = [(r, r.answered_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if r.answered_at else "") for r in receipts]
    return common.render(
        request, "notice.html", status=status, notice=found, rows=rows, tally=tally(receipts), said=said,
        may_remind=role_allows(who.person.role, Perm.NOTICE_SEND) and found.status == NoticeStatus.OPEN,
        starts=found.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if found.starts_at else "",
    )


async def remind(request: web.Request) -> web.Response:
    """Remind the enterprises that have not answered now, as the chat's 立即提醒 does (POST, CSRF)."""
    desk: Desk = request.app[common.DESK]
    who: Who = request[common.WHO]
    common.check_csrf(request, await request.post())
    _managers_only(who, Perm.NOTICE_SEND)
    now = desk.clock.now()
    async with desk.db.unit_of_work() as session:
        found = await notice_queries.by_code(session, request.match_info["code"][:30])
        if found is None:
            raise web.HTTPNotFound(text="没有这条通知。")
        actor = await session.get(Person, who.person.id)
        verdict = await desk.remind(session, found)
        await audit(session, now, actor, "web.remind", "notice", found.id, code=found.code, sent=len(verdict.queued))
    desk.deliver(verdict.queued)
    return await notice(request, said=verdict.said)


# --- campaigns ----------------------------------------------------------------------------------------


async def campaigns(request: web.Request) -> web.Response:
    """The enterprise × campaign matrix of the newest campaigns, with each report (a lead: their row)."""
    desk: Desk = request.app[common.DESK]
    who: Who = request[common.WHO]
    today = desk.settings.park.day(desk.clock.now())
    async with desk.db.reading() as session:
        columns = list(reversed(await campaign_queries.recent(session, CAMPAIGN_COLUMNS)))
        enterprises, cells = await campaign_queries.matrix(session, columns)
    if who.scope is not None:
        enterprises = [e for e in enterprises if e.id == who.scope]
    late = {key: is_overdue(task, next(c for c in columns if c.id == key[0]), today) for key, task in cells.items()}
    tz = desk.settings.park.tz
    when = {key: t.submitted_at.astimezone(tz).strftime("%m-%d") if t.submitted_at else "" for key, t in cells.items()}
    return common.render(request, "campaigns.html", columns=columns, enterprises=enterprises, cells=cells,
                         late=late, when=when)


# --- the year: summary and the Excel ledger -------------------------------------------------------------


async def summary(request: web.Request) -> web.Response:
    """The year's figures for the year-end work summary (managers)."""
    desk: Desk = request.app[common.DESK]
    who: Who = request[common.WHO]
    _managers_only(who, Perm.REPORTS)
    year = _year(desk, request.query.get("year", ""))
    async with desk.db.reading(long=True) as session:
        figures = await report_queries.summary_figures(
            session, date(year, 1, 1), date(year, 12, 31), desk.settings.park.tz, desk.clock.now()
        )
    return common.render(request, "summary.html", year=year, f=figures, b=figures.broadcast)


async def export(request: web.Request) -> web.StreamResponse:
    """The year's Excel ledger, the same workbook as the chat's /export (managers)."""
    desk: Desk = request.app[common.DESK]
    who: Who = request[common.WHO]
    _managers_only(who, Perm.REPORTS)
    year = _year(desk, request.query.get("year", ""))
    path, name = await desk.export(year)
    async with desk.db.unit_of_work() as session:
        await audit(session, desk.clock.now(), await session.get(Person, who.person.id), "web.export", "ledger",
                    None, year=year)
    return web.FileResponse(path, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
    })
