"""The desk's aiohttp application: security headers, sign-in (`/login/<token>`, `/logout`), the guard that
re-reads the signed-in person on every request, and the route table of every page.

Pages: `bot/web/hazards.py` (the ledger, one hazard, its files, accept/reject) and `bot/web/overview.py`
(`/`, notices, campaigns, the year's summary, the Excel export). Templates in `bot/web/templates/`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web import hazards, overview
from bot.web.common import DESK, HERE, JINJA, WHO, check_csrf, render, see_other, templates
from bot.web.desk import Desk, Who
from domain.desk import operations as desk_ops
from domain.desk.queries import link_state
from domain.desk.rules import SESSION_IDLE, DeskRefusal, needs_touch
from domain.hazards.rules import view_scope
from domain.outcome import Refused
from domain.park.queries import get_enterprise
from storage.db import is_unavailable

logger = logging.getLogger(__name__)

COOKIE = "sb_desk"
PUBLIC_ROUTES = {"signin", "login", "login_post", "static"}  # everything else needs a session
FILE_ROUTES = {"photo", "thumb", "document"}  # answered 403 (not a redirect) without a session
CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
STATUS_TEXTS = {  # aiohttp's own answers (an unknown address, a wrong method), said in Chinese
    403: "没有权限。",
    404: "没有这个页面。",
    405: "不支持这种请求方式。",
    413: "提交的内容太大。",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Set the security headers on every answer, and say errors as a Chinese page."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:  # a redirect
            exc.headers.update({k: v for k, v in _headers().items() if k not in exc.headers})
            raise
        said = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else None
        message = said or STATUS_TEXTS.get(exc.status, "请求没有成功，请返回总览重试。")
        response = render(request, "error.html", status=exc.status, message=message)
    except Exception as exc:  # a bug or the database away: said in one line, logged in full
        busy = is_unavailable(exc)
        if not busy:
            logger.exception("web desk: %s %s failed", request.method, request.path)
        message = "数据库暂时无法访问，请稍后刷新。" if busy else "页面出错了，已记录在日志中。请稍后重试。"
        response = render(request, "error.html", status=503 if busy else 500, message=message)
    for key, value in _headers().items():
        response.headers.setdefault(key, value)
    return response


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",  # a sign-in link's secret never leaves in a Referer
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Let only a signed-in person (re-read now: role and enterprise) reach a page; redirect others to the
    sign-in help, and answer file URLs and forms 403."""
    route = request.match_info.route.name
    if route in PUBLIC_ROUTES:
        return await handler(request)
    who = await _who(request)
    if who is None:
        if route in FILE_ROUTES or request.method != "GET":
            raise web.HTTPForbidden(text="请先通过机器人私聊发送 /web 登录。")
        raise web.HTTPSeeOther("/signin")  # a fixed address: nothing from the request is redirected to
    request[WHO] = who
    return await handler(request)


async def _who(request: web.Request) -> Who | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie or len(cookie) > 100:
        return None
    desk = request.app[DESK]
    now = desk.clock.now()
    async with desk.db.reading() as session:
        found = await desk_ops.signed_in(session, cookie, now)
        if found is None:
            return None
        row, person = found
        enterprise = None
        if view_scope(person) is not None and person.enterprise_id is not None:
            ent = await get_enterprise(session, person.enterprise_id)
            enterprise = ent.name if ent is not None else ""
    if needs_touch(row, now):  # a write at most once a minute, not on every page
        async with desk.db.unit_of_work() as session:
            await desk_ops.touch(session, row, now)
    return Who(person, row, enterprise)


# --- sign-in --------------------------------------------------------------------------------------


async def signin(request: web.Request) -> web.Response:
    """Say how to sign in (the one page anyone may see)."""
    return render(request, "signin.html")


REFUSALS = {
    DeskRefusal.UNKNOWN: (404, "这个登录链接无效。请在私聊中向机器人发送 /web 获取新的链接。"),
    DeskRefusal.EXPIRED: (410, "这个登录链接已过期（10 分钟内有效）。请在私聊中向机器人发送 /web 获取新的链接。"),
    DeskRefusal.USED: (410, "这个登录链接已经用过（每个链接只能登录一次）。请在私聊中发送 /web 获取新的链接。"),
    DeskRefusal.NOT_ALLOWED: (403, "网页工作台供管委会管理人员和企业安全负责人使用。"),
}


async def login(request: web.Request) -> web.Response:
    """Show the sign-in button of a link: opening the link (or a chat app's preview of it) uses nothing;
    the button's POST does."""
    token = request.match_info["token"]
    desk = request.app[DESK]
    async with desk.db.reading() as session:
        refusal = await link_state(session, token, desk.clock.now())
    if refusal is not None:
        status, message = REFUSALS[refusal]
        return render(request, "signin.html", status=status, message=message)
    return render(request, "login.html", token=token)


async def login_post(request: web.Request) -> web.Response:
    """Use the link once: open a session, set its cookie, go to the overview."""
    token = request.match_info["token"]
    desk = request.app[DESK]
    try:
        async with desk.db.unit_of_work() as session:
            cookie, _ = await desk_ops.redeem(session, token, desk.clock.now())
    except Refused as exc:
        status, message = REFUSALS.get(exc.reason, REFUSALS[DeskRefusal.UNKNOWN])  # type: ignore[call-overload]
        return render(request, "signin.html", status=status, message=message)
    response = see_other("/")
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="Lax",
        secure=desk.settings.web.secure,
        path="/",
        max_age=int(SESSION_IDLE.total_seconds()),
    )
    return response


async def logout(request: web.Request) -> web.Response:
    """End the session (a POST with the CSRF token; GET shows the button)."""
    if request.method == "GET":
        return render(request, "logout.html")
    check_csrf(request, await request.post())
    desk = request.app[DESK]
    who: Who = request[WHO]
    async with desk.db.unit_of_work() as session:
        await desk_ops.sign_out(session, who.web_session, who.person, desk.clock.now())
    response = see_other("/signin")
    response.del_cookie(COOKIE, path="/")
    return response


def make_app(desk: Desk) -> web.Application:
    """Build the desk's application: middlewares, templates and every route."""
    app = web.Application(middlewares=[security, guard], client_max_size=64 * 1024)
    app[DESK] = desk
    app[JINJA] = templates()
    r = app.router
    r.add_get("/signin", signin, name="signin")
    r.add_get("/login/{token}", login, name="login")
    r.add_post("/login/{token}", login_post, name="login_post")
    r.add_route("*", "/logout", logout, name="logout")
    r.add_static("/static/", HERE / "static", name="static")
    hazards.routes(r)
    overview.routes(r)
    return app
