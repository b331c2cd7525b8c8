"""What every page of the desk shares: the app keys, rendering a template, redirects, the CSRF check."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.web.desk import Desk, Who

HERE = Path(__file__).parent
DESK: web.AppKey[Desk] = web.AppKey("desk", Desk)
JINJA: web.AppKey[jinja2.Environment] = web.AppKey("jinja", jinja2.Environment)
WHO: web.RequestKey[Who] = web.RequestKey("who", Who)  # the signed-in person, set by the guard


def templates() -> jinja2.Environment:
    """Return the Jinja2 environment of the desk's templates (HTML-escaped, strict about missing values)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )

def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """Render a page with what every page shows (the park, who is signed in, the CSRF token)."""
    desk = request.app[DESK]
    who: Who | None = request.get(WHO)
    page = request.app[JINJA].get_template(template).render(
        park=desk.settings.park.name,
        who=who,
        csrf=who.web_session.csrf if who else "",
        label=desk.label,
        today=desk.settings.park.day(desk.clock.now()),
        path=request.path,
        **values,
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def see_other(location: str) -> web.Response:
    """Return a 303 to one of the desk's own fixed addresses (never one taken from the request)."""
    return web.Response(status=303, headers={"Location": location})


def check_csrf(request: web.Request, form: Any) -> None:
    """Refuse a POST whose form does not carry the session's CSRF token."""
    who: Who | None = request.get(WHO)
    sent = str(form.get("csrf", ""))
    if who is None or not sent or not hmac.compare_digest(sent, who.web_session.csrf):
        raise web.HTTPForbidden(text="请求无效（缺少或错误的校验码），请刷新页面后重试。")
