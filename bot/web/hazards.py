"""The ledger on the desk: `/hazards` (filters, pages, thumbnails), `/hazards/<code>` (history, five-in-place,
photos and documents, accept / reject), and the files, served by id only to whom may see their hazard.

Who sees what is the chat's rule (`domain/park/rules.may_view_enterprise`, `domain/hazards/rules.may_do`);
accepting or rejecting runs `Desk.verify`, the chat's own rendering handed in by `bot/app.py`.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web import common as desk_app
from bot.web.desk import Desk, Who
from domain.hazards import queries as hazard_queries
from domain.hazards import rules as hazard_rules
from domain.hazards.queries import HazardFilter
from domain.hazards.rules import Action
from domain.hazards.search import COUNT_CAP, over_cap
from domain.park import queries as park_queries
from domain.park.rules import may_view_enterprise
from storage.audit import audit
from storage.enums import HazardStatus, Level
from storage.models import Document, Hazard, Person, Photo
from storage.photos import small_jpeg

PAGE_SIZE = 50
THUMB_SIZE = (320, 320)
REASON_LIMIT = 1000
MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
STATUS_CHOICES = ("open", "overdue", *(s.value for s in HazardStatus))


def routes(r: web.UrlDispatcher) -> None:
    """Add the ledger's routes."""
    r.add_get("/hazards", ledger, name="hazards")
    r.add_get(r"/hazards/{code}", detail, name="hazard")
    r.add_post(r"/hazards/{code}/verify", verify, name="verify")
    r.add_get(r"/files/photo/{id:\d{1,12}}", photo, name="photo")
    r.add_get(r"/files/thumb/{id:\d{1,12}}", thumb, name="thumb")
    r.add_get(r"/files/document/{id:\d{1,12}}", document, name="document")


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=message)


def ledger_filter(desk: Desk, who: Who, query: Any, today: date) -> tuple[HazardFilter, dict[str, str]]:
    """Read the ledger's query parameters (`enterprise`, `status`, `level`, `month`, `q`) into a filter for
    what the person may see; raise 400 (in Chinese, saying how to write it) or 403 on what is wrong."""
    chosen = {k: str(query.get(k, "")).strip() for k in ("enterprise", "status", "level", "month", "q")}
    park = desk.settings.park
    values: dict[str, Any] = {
        "open_only": False, "newest_first": True, "park_tz": park.tz, "immediate_grace_days": park.immediate_grace_days,
    }
    if chosen["enterprise"]:
        if not chosen["enterprise"].isdigit() or len(chosen["enterprise"]) > 12:
            raise _bad("企业参数应为企业编号（从页面上的企业列表选择）。")
        values["enterprise_id"] = int(chosen["enterprise"])
    if who.scope is not None:
        if values.get("enterprise_id", who.scope) != who.scope:
            raise web.HTTPForbidden(text="您只能查看本企业的隐患。")
        values["enterprise_id"] = who.scope
    status = chosen["status"]
    if status and status not in STATUS_CHOICES:
        raise _bad("状态可选：" + "、".join(STATUS_CHOICES) + "（例如 status=awaiting_verification）。")
    if status == "open":
        values["open_only"] = True
    elif status == "overdue":
        values["overdue_on"] = today
    elif status:
        values["statuses"] = (status,)
    if chosen["level"]:
        if chosen["level"] not in {lv.value for lv in Level}:
            raise _bad("等级可选：general（一般隐患）、major（重大隐患）。")
        values["level"] = chosen["level"]
    if chosen["month"]:
        match = MONTH_RE.match(chosen["month"])
        if match is None or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
            raise _bad("月份格式为 年-月，例如 month=2026-12。")
        year, month = int(match.group(1)), int(match.group(2))
        tz = desk.settings.park.tz
        values["found_from"] = datetime(year, month, 1, tzinfo=tz)
        values["found_before"] = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    if chosen["q"]:
        if len(chosen["q"]) > 100:
            raise _bad("搜索词最多 100 个字。")
        values["words"] = chosen["q"]
    return HazardFilter(**values), chosen


async def ledger(request: web.Request) -> web.Response:
    """The ledger: one page of matching hazards, newest first, with thumbnails."""
    desk: Desk = request.app[desk_app.DESK]
    who: Who = request[desk_app.WHO]
    today = desk.settings.park.day(desk.clock.now())
    f, chosen = ledger_filter(desk, who, request.query, today)
    page_text = request.query.get("page", "1")
    if not page_text.isdigit() or not 1 <= int(page_text) <= 100_000:
        raise _bad("页码应为正整数，例如 page=2。")
    page = int(page_text)
    async with desk.db.reading() as session:
        rows, total = await hazard_queries.list_hazards(session, f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        thumbs = await hazard_queries.first_photos(session, [h.id for h in rows])
        enterprises = await _enterprises(session, who)
    # A search counts up to its cap: past it the pages are not counted, only whether there is a next one.
    over = f.words is not None and over_cap(total)
    count = f"{COUNT_CAP:,} 条以上" if over else f"共 {total} 条"
    pages = None if over else max(1, -(-total // PAGE_SIZE))
    lines = [_line(desk, h, today) for h in rows]
    return desk_app.render(
        request, "hazards.html", rows=lines, thumbs=thumbs, count=count, page=page, pages=pages,
        more=total > page * PAGE_SIZE, chosen=chosen, enterprises=enterprises, statuses=STATUS_CHOICES,
        query=_query(chosen),
    )


def _query(chosen: dict[str, str]) -> str:
    """Return the filter as a query string for the page links (each value encoded)."""
    return urlencode({k: v for k, v in chosen.items() if v})


async def _enterprises(session: AsyncSession, who: Who) -> list[tuple[int, str]]:
    if who.scope is not None:
        return [(who.scope, who.enterprise_name or "")]
    return [(e.id, e.name) for e in await park_queries.list_enterprises(session, active_only=False)]


def _line(desk: Desk, hazard: Hazard, today: date) -> dict[str, Any]:
    """Return what the ledger shows of one hazard."""
    park = desk.settings.park
    late = hazard_rules.overdue_since(hazard, today, park.tz, park.immediate_grace_days)
    return {
        "hazard": hazard,
        "found": hazard.found_at.astimezone(park.tz).strftime("%Y-%m-%d"),
        "due": hazard_rules.fix_due(hazard, park.tz, park.immediate_grace_days),
        "overdue_days": (today - late).days + 1 if late is not None else None,
    }


async def _visible(session: AsyncSession, who: Who, code: str) -> Hazard:
    """Return the hazard of a code if the person may see it; 404 / 403 otherwise."""
    if len(code) > 30:
        raise web.HTTPNotFound(text="没有这个隐患编号。")
    hazard = await hazard_queries.hazard_by_code(session, code)
    if hazard is None:
        raise web.HTTPNotFound(text=f"没有隐患 {code}。")
    if not may_view_enterprise(who.person, hazard.enterprise_id):
        raise web.HTTPForbidden(text="您只能查看本企业的隐患。")
    return hazard


async def detail(request: web.Request, said: str = "", status: int = 200) -> web.Response:
    """One hazard: its fields, five-in-place, history, photos and documents, and accept / reject."""
    desk: Desk = request.app[desk_app.DESK]
    who: Who = request[desk_app.WHO]
    today = desk.settings.park.day(desk.clock.now())
    async with desk.db.reading() as session:
        hazard = await _visible(session, who, request.match_info["code"])
        events = await hazard_queries.events_of(session, hazard.id)
        photos = await hazard_queries.hazard_photos(session, hazard.id)
        documents = await hazard_queries.hazard_documents(session, hazard.id)
        fixer = await hazard_queries.fixer_id(session, hazard)
    rechecks = desk.settings.park.inspector_recheck
    may = {
        a: hazard_rules.may_do(who.person, hazard, a, fixer_id=fixer, finder_rechecks=rechecks)
        for a in (Action.ACCEPT, Action.REJECT)
    }
    tz = desk.settings.park.tz
    return desk_app.render(
        request, "hazard.html", status=status, line=_line(desk, hazard, today), hazard=hazard,
        events=[(e, e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")) for e in events],
        photos=photos, documents=documents, may_accept=may[Action.ACCEPT], may_reject=may[Action.REJECT],
        five=[(k, (hazard.five_in_place or {}).get(k, "")) for k in hazard_rules.FIVE_KEYS],
        major=hazard.level == Level.MAJOR, said=said,
    )


async def verify(request: web.Request) -> web.Response:
    """Accept or reject the fix (POST with the CSRF token), exactly as the chat's buttons do."""
    desk: Desk = request.app[desk_app.DESK]
    who: Who = request[desk_app.WHO]
    form = await request.post()
    desk_app.check_csrf(request, form)
    decision = str(form.get("decision", ""))
    reason = " ".join(str(form.get("reason", "")).split())
    if decision not in ("accept", "reject"):
        raise _bad("请选择“验收通过”或“驳回”。")
    if decision == "reject" and not reason:
        return await detail(request, said="驳回时请写明原因（例如：警示标识不清晰），企业会收到这条原因。", status=400)
    if len(reason) > REASON_LIMIT:
        return await detail(request, said=f"原因最多 {REASON_LIMIT} 字，现在是 {len(reason)} 字。", status=400)
    now = desk.clock.now()
    async with desk.db.unit_of_work() as session:
        hazard = await _visible(session, who, request.match_info["code"])
        actor = await session.get(Person, who.person.id)
        assert actor is not None  # the guard read them a moment ago; people are never deleted
        verdict = await desk.verify(session, actor, hazard, decision == "accept", reason)
        await audit(session, now, actor, f"web.{decision}", "hazard", hazard.id,
                    code=hazard.code, done=verdict.done, reason=reason or None)
    desk.deliver(verdict.queued)
    return await detail(request, said=verdict.said, status=200 if verdict.done else 409)


# --- files --------------------------------------------------------------------------------------


async def _file_allowed(request: web.Request, kind: str) -> Photo | Document:
    """Return the stored photo or document of the URL's id if the person may see one of its hazards (403
    otherwise, the same answer whether or not it exists)."""
    desk: Desk = request.app[desk_app.DESK]
    who: Who = request[desk_app.WHO]
    file_id = int(request.match_info["id"])
    async with desk.db.reading() as session:
        row: Photo | Document | None = await session.get(Photo if kind == "photo" else Document, file_id)
        enterprises = await hazard_queries.file_enterprises(session, kind, file_id)
    if row is None or not any(may_view_enterprise(who.person, e) for e in enterprises):
        raise web.HTTPForbidden(text="您没有查看这个文件的权限。")
    return row


def _inside(root: Path, relative: str) -> Path:
    """Return a stored file's path, refusing one that would leave the photo folder (a row never holds one)."""
    full = (root / relative).resolve()
    if not full.is_relative_to(root.resolve()) or not full.is_file():
        raise web.HTTPNotFound(text="文件不在存储目录中（可能已被清理）。")
    return full


async def photo(request: web.Request) -> web.StreamResponse:
    """A photo, full size."""
    row = await _file_allowed(request, "photo")
    full = _inside(request.app[desk_app.DESK].photo_root, row.path)
    return web.FileResponse(full, headers={"Content-Type": row.mime_type, "Cache-Control": "private, max-age=3600"})


async def thumb(request: web.Request) -> web.StreamResponse:
    """A photo's thumbnail for the ledger (made once, kept beside the photos)."""
    row = await _file_allowed(request, "photo")
    assert isinstance(row, Photo)
    desk: Desk = request.app[desk_app.DESK]
    full = _inside(desk.photo_root, row.path)
    small = desk.photo_root.parent / "thumbs" / row.sha256[:2] / f"{row.sha256}.jpg"
    if not small.is_file():
        await asyncio.to_thread(_make_thumb, full, small)
    return web.FileResponse(small, headers={"Content-Type": "image/jpeg", "Cache-Control": "private, max-age=3600"})


def _make_thumb(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    part.write_bytes(small_jpeg(source, THUMB_SIZE))
    part.replace(target)


async def document(request: web.Request) -> web.StreamResponse:
    """A document (PDF, Word, Excel), downloaded under the name it was sent with."""
    row = await _file_allowed(request, "document")
    assert isinstance(row, Document)
    full = _inside(request.app[desk_app.DESK].photo_root, row.path)
    return web.FileResponse(
        full,
        headers={
            "Content-Type": row.mime_type,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.file_name)}",
        },
    )
