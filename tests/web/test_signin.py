"""Signing in to the web desk: /web in a private chat only, rate-limited, one-time links stored hashed,
sessions that expire, the person re-read on every request, nothing without a session."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain.desk.rules import LINKS_PER_HOUR
from domain.park import operations as park_ops
from storage.enums import Role
from storage.models import AuditEntry, LoginToken, Person
from tests.harness import CHEN, LI, LIU, XIAO, ZHANG, ZHAO
from tests.web.conftest import BASE_URL, DeskTest


async def test_web_sends_a_link_privately_only(desk: DeskTest) -> None:
    h = desk.h
    out = await h.say(LI, "/web")  # in the park group
    assert "请私聊我发送 /web" in h.texts(out) and "/login/" not in h.texts(out)
    out = await h.say(LI, "/web", h.private(LI))
    assert f"{BASE_URL}/login/" in h.texts(out) and "10 分钟内有效" in h.texts(out)
    assert out[0].chat == h.private(LI)
    out = await h.say(LI, "/web 给我链接", h.private(LI))
    assert "用法：在私聊中发送 /web" in h.texts(out)


async def test_web_is_for_managers_admins_and_leads(desk: DeskTest) -> None:
    h = desk.h
    for who in (CHEN, ZHAO, XIAO):  # a member, an inspector, a stranger
        out = await h.say(who, "/web", h.private(who))
        assert "/login/" not in h.texts(out) and "需要以下身份之一" in h.texts(out), h.texts(out)
    for who in (LI, ZHANG, LIU):
        assert await desk.link(who)


async def test_links_are_rate_limited_per_person_and_hour(desk: DeskTest) -> None:
    h = desk.h
    for _ in range(LINKS_PER_HOUR):
        await desk.link(LI)
    out = await h.say(LI, "/web", h.private(LI))
    assert f"一小时内最多获取 {LINKS_PER_HOUR} 次" in h.texts(out) and "/login/" not in h.texts(out)
    assert await desk.link(MA_OR_ZHANG := ZHANG)  # another person is not limited by LI's links
    assert MA_OR_ZHANG
    h.clock.advance(timedelta(minutes=61))
    assert await desk.link(LI)


async def test_a_link_signs_in_once_and_is_stored_hashed(desk: DeskTest) -> None:
    token = await desk.link(LI)
    async with desk.h.app.db.reading() as s:
        stored = (await s.scalars(select(LoginToken.token_hash))).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64
    shown = await desk.page(f"/login/{token}")  # opening it (or a chat's link preview) uses nothing
    assert 'id="login"' in shown
    response = await desk.client.post(f"/login/{token}?next=https://evil.example/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"  # never where the request says
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # http base_url
    assert "李干部" in await desk.page("/")
    desk.client.session.cookie_jar.clear()
    again = await desk.client.post(f"/login/{token}", allow_redirects=False)
    assert again.status == 410 and "已经用过" in await again.text()
    assert (await desk.client.get("/", allow_redirects=False)).status == 303


async def test_an_expired_or_unknown_link_opens_nothing(desk: DeskTest) -> None:
    token = await desk.link(LI)
    desk.h.clock.advance(timedelta(minutes=10, seconds=1))
    assert "已过期" in await desk.page(f"/login/{token}", 410)
    response = await desk.client.post(f"/login/{token}", allow_redirects=False)
    assert response.status == 410 and "已过期" in await response.text()
    assert "Set-Cookie" not in response.headers
    assert "无效" in await desk.page("/login/not-a-real-token", 404)


async def test_without_a_session_pages_redirect_and_files_are_forbidden(desk: DeskTest) -> None:
    for path in ("/", "/hazards", "/hazards/YH-2026-0001", "/notices", "/campaigns", "/summary?year=2026", "/export?year=2026"):
        response = await desk.client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/signin", path
    for path in ("/files/photo/1", "/files/thumb/1", "/files/document/1"):
        assert (await desk.client.get(path)).status == 403, path
    response = await desk.client.post("/hazards/YH-2026-0001/verify", data={"decision": "accept"})
    assert response.status == 403
    signin = await desk.client.get("/signin")
    assert signin.status == 200 and "/web</code>" in await signin.text()
    assert "default-src 'none'" in signin.headers["Content-Security-Policy"]
    assert signin.headers["Referrer-Policy"] == "no-referrer"
    forged = await desk.client.get("/", cookies={"sb_desk": "forged"}, allow_redirects=False)
    assert forged.status == 303
    css = await desk.client.get("/static/desk.css")  # the sign-in help is styled
    assert css.status == 200 and "Noto Sans CJK SC" in await css.text()


async def test_unknown_addresses_are_said_in_chinese(desk: DeskTest) -> None:
    await desk.sign_in(LI)
    assert "没有这个页面" in await desk.page("/nothing-here", 404)
    response = await desk.client.delete("/hazards")
    assert response.status == 405 and "不支持这种请求方式" in await response.text()


async def test_role_and_enterprise_are_checked_on_every_request(desk: DeskTest) -> None:
    await desk.sign_in(LI)
    assert "隐患台账" in await desk.page("/hazards")
    async with desk.h.app.db.unit_of_work() as s:
        li = await s.scalar(select(Person).where(Person.external_id == "li"))
        assert li is not None
        await park_ops.set_role(s, li, Role.INSPECTOR, None, actor=None, at=desk.h.clock.now())
    response = await desk.client.get("/hazards", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/signin"


async def test_sessions_end_after_12_hours_idle_and_on_logout(desk: DeskTest) -> None:
    await desk.sign_in(LI)
    desk.h.clock.advance(timedelta(hours=11))
    await desk.page("/")  # used: idle time starts again
    desk.h.clock.advance(timedelta(hours=11))
    await desk.page("/")
    desk.h.clock.advance(timedelta(hours=12, seconds=1))
    assert (await desk.client.get("/", allow_redirects=False)).status == 303
    await desk.sign_in(LI)
    missing = await desk.client.post("/logout", data={}, allow_redirects=False)
    assert missing.status == 403  # no CSRF token: nothing ended
    csrf = await desk.csrf("/")
    out = await desk.client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/signin"
    assert (await desk.client.get("/", allow_redirects=False)).status == 303
    async with desk.h.app.db.reading() as s:
        actions = (await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("web.%")))).all()
    assert {"web.link", "web.login", "web.logout"} <= set(actions)


async def test_the_cookie_is_secure_behind_https(desk: DeskTest) -> None:
    desk.h.app.settings.web.base_url = "https://desk.example.org"  # as behind the TLS proxy
    out = await desk.h.say(LI, "/web", desk.h.private(LI))
    assert "https://desk.example.org/login/" in desk.h.texts(out)
    token = out[0].reply.text.rsplit("/login/", 1)[1].split()[0] if out[0].reply.text else ""
    response = await desk.client.post(f"/login/{token}", allow_redirects=False)
    assert response.status == 303 and "Secure" in response.headers["Set-Cookie"]
