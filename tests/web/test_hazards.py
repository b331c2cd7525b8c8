"""The ledger on the desk: filters, permissions (a lead sees their own enterprise only), photos served by id
only to whom may see them, and accepting or rejecting a fix with exactly the chat's effects."""

from __future__ import annotations

import re

from sqlalchemy import select

from domain.hazards.search import COUNT_CAP
from storage.models import AuditEntry, Enterprise, Hazard, Person
from tests.conftest import AddHazards
from tests.harness import GROUP, LI, LIU, ZHANG, ZHAO, Harness, Sent, jpeg
from tests.web.conftest import DeskTest

PHOTO_RE = re.compile(r'src="/files/photo/(\d+)"')
THUMB_RE = re.compile(r'src="/files/thumb/(\d+)"')


async def status_of(h: Harness, code: str) -> str:
    async with h.app.db.reading() as s:
        hazard = await s.scalar(select(Hazard).where(Hazard.code == code))
        assert hazard is not None
        return hazard.status


async def enterprise_id(h: Harness, name: str) -> int:
    async with h.app.db.reading() as s:
        found = await s.scalar(select(Enterprise.id).where(Enterprise.name == name))
        assert found is not None
        return found


async def test_the_ledger_filters_and_pages(desk: DeskTest) -> None:
    h = desk.h
    await h.say(ZHAO, "/hazard 宏达 仓库消防通道堆放杂物", files=(h.add_file(jpeg(3)),))
    await desk.sign_in(LI)
    page = await desk.page("/hazards")
    assert "共 2 条" in page and "YH-2026-0001" in page and "YH-2026-0002" in page
    assert len(THUMB_RE.findall(page)) == 2
    hongda = await enterprise_id(h, "宏达机械有限公司")
    page = await desk.page(f"/hazards?enterprise={hongda}")
    assert "共 1 条" in page and "YH-2026-0002" in page and "YH-2026-0001</a>" not in page
    page = await desk.page("/hazards?status=awaiting_verification")
    assert "共 1 条" in page and "YH-2026-0001" in page
    assert "共 1 条" in await desk.page("/hazards?q=消防通道")
    assert "共 1 条" in await desk.page("/hazards?q=yh-2026-1")
    assert "共 2 条" in await desk.page("/hazards?month=2026-11")
    assert "共 0 条" in await desk.page("/hazards?month=2026-12&level=major")
    assert "月份格式为 年-月" in await desk.page("/hazards?month=11月", 400)
    assert "状态可选" in await desk.page("/hazards?status=done", 400)
    assert "企业参数应为企业编号" in await desk.page("/hazards?enterprise=华油", 400)
    assert "页码应为正整数" in await desk.page("/hazards?page=0", 400)


async def test_a_lead_sees_only_their_enterprise(desk: DeskTest) -> None:
    h = desk.h
    await h.say(ZHAO, "/hazard 宏达 仓库消防通道堆放杂物", files=(h.add_file(jpeg(3)),))
    await desk.sign_in(ZHANG)  # lead of 华油
    page = await desk.page("/hazards/YH-2026-0001")
    photos = PHOTO_RE.findall(page)
    assert len(photos) == 2 and 'id="accept"' not in page  # a lead does not verify
    for photo_id in photos:
        response = await desk.client.get(f"/files/photo/{photo_id}")
        assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"
        assert (await response.read())[:2] == b"\xff\xd8"
    desk.client.session.cookie_jar.clear()
    await desk.sign_in(LIU)  # lead of 宏达
    ledger = await desk.page("/hazards")
    assert "共 1 条" in ledger and "YH-2026-0002" in ledger and "YH-2026-0001" not in ledger
    assert "只能查看本企业" in await desk.page("/hazards/YH-2026-0001", 403)
    huayou = await enterprise_id(h, "华油装备制造有限公司")
    await desk.page(f"/hazards?enterprise={huayou}", 403)
    for photo_id in photos:  # 华油's photos, by id: not for 宏达's lead
        assert (await desk.client.get(f"/files/photo/{photo_id}")).status == 403
        assert (await desk.client.get(f"/files/thumb/{photo_id}")).status == 403
    response = await desk.client.post(
        "/hazards/YH-2026-0001/verify", data={"decision": "accept", "csrf": await desk.csrf("/")}
    )
    assert response.status == 403 and await status_of(h, "YH-2026-0001") == "awaiting_verification"


async def test_file_urls_take_ids_only(desk: DeskTest) -> None:
    await desk.sign_in(LI)
    for path in (
        "/files/photo/..%2F..%2Fetc%2Fpasswd",
        "/files/photo/1%2F..%2F..%2Fconfig.toml",
        "/files/photo/abc",
        "/files/document/-1",
        "/static/..%2F..%2Fapp.py",
        "/static/../app.py",
    ):
        response = await desk.client.get(path, allow_redirects=False)
        assert response.status in (403, 404), path
        assert "import" not in await response.text()
    assert (await desk.client.get("/files/photo/999")).status == 403  # no such photo: the same answer
    assert (await desk.client.get("/files/document/999")).status == 403
    assert "没有隐患" in await desk.page("/hazards/YH-2026-9999", 404)


def _effects(h: Harness, before: int, edits: dict[int, int], code: str, description: str) -> list[tuple[str, str]]:
    """Return what the chat saw after a moment: new messages and card edits, the hazard's words made neutral."""
    seen = [
        (s.chat.chat_id, (s.reply.text or "").replace(code, "YH").replace(description, "…"))
        for s in h.adapter.sent[before:]
    ]
    for i, s in enumerate(h.adapter.sent[:before]):
        if s.edits > edits[i] and s.card is not None and s.card.key.startswith("hazard:"):
            status = s.card.status.text if s.card.status else ""
            buttons = ",".join(b.label for row in s.card.actions for b in row)
            seen.append((s.chat.chat_id, f"edit {status} [{buttons}]"))
    return sorted(seen)


def _card(h: Harness, key: str) -> Sent:
    return next(s for s in h.adapter.sent if s.card is not None and s.card.key == key and s.chat == GROUP)


async def test_accepting_on_the_desk_does_what_the_button_does(desk: DeskTest) -> None:
    h = desk.h
    # A second hazard in the same state, accepted with the chat's button for comparison.
    await h.say(ZHAO, "/hazard 华油 三车间灭火器过期", files=(h.add_file(jpeg(4)),))
    await h.say(ZHAO, "/due YH-2026-2 3天内")
    await h.say(ZHANG, "/fix YH-2026-0002 已更换", files=(h.add_file(jpeg(5)),))
    await desk.sign_in(LI)
    page = await desk.page("/hazards/YH-2026-0001")
    assert 'id="accept"' in page and 'id="reject"' in page
    csrf = await desk.csrf("/hazards/YH-2026-0001")

    before, edits = len(h.adapter.sent), {i: s.edits for i, s in enumerate(h.adapter.sent)}
    response = await desk.client.post("/hazards/YH-2026-0001/verify", data={"decision": "accept", "csrf": csrf})
    assert response.status == 200 and "验收通过，已销号" in await response.text()
    await h.app.sender.settle()
    on_desk = _effects(h, before, edits, "YH-2026-0001", "二车间配电箱门未关闭")

    before, edits = len(h.adapter.sent), {i: s.edits for i, s in enumerate(h.adapter.sent)}
    hazard_two = await _hazard_id(h, "YH-2026-0002")
    await h.press(LI, _card(h, f"hazard:{hazard_two}"), "验收通过")
    by_button = _effects(h, before, edits, "YH-2026-0002", "三车间灭火器过期")

    assert on_desk == by_button and on_desk, (on_desk, by_button)
    assert any(chat == "p-zhang" and "验收通过，已销号" in text for chat, text in on_desk)  # the enterprise told
    assert any(chat == GROUP.chat_id and text.startswith("edit 已销号") for chat, text in on_desk)  # card edited
    assert await status_of(h, "YH-2026-0001") == "closed"
    async with h.app.db.reading() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "web.accept"))
        li = await s.scalar(select(Person).where(Person.external_id == "li"))
    assert entry is not None and li is not None and entry.actor_id == li.id and entry.detail["done"] is True
    again = await desk.client.post("/hazards/YH-2026-0001/verify", data={"decision": "accept", "csrf": csrf})
    assert again.status == 403 or again.status == 409  # closed now: nothing to verify


async def _hazard_id(h: Harness, code: str) -> int:
    async with h.app.db.reading() as s:
        found = await s.scalar(select(Hazard.id).where(Hazard.code == code))
        assert found is not None
        return found


async def test_rejecting_needs_a_reason_and_the_csrf_token(desk: DeskTest) -> None:
    h = desk.h
    await desk.sign_in(LI)
    csrf = await desk.csrf("/hazards/YH-2026-0001")
    missing = await desk.client.post("/hazards/YH-2026-0001/verify", data={"decision": "reject", "reason": "不清晰"})
    assert missing.status == 403 and "校验码" in await missing.text()
    wrong = await desk.client.post(
        "/hazards/YH-2026-0001/verify", data={"decision": "reject", "reason": "不清晰", "csrf": csrf + "x"}
    )
    assert wrong.status == 403
    empty = await desk.client.post("/hazards/YH-2026-0001/verify", data={"decision": "reject", "csrf": csrf})
    assert empty.status == 400 and "写明原因" in await empty.text()
    assert await status_of(h, "YH-2026-0001") == "awaiting_verification"
    before = len(h.adapter.sent)
    done = await desk.client.post(
        "/hazards/YH-2026-0001/verify", data={"decision": "reject", "reason": "警示标识不清晰", "csrf": csrf}
    )
    assert done.status == 200 and "已驳回" in await done.text()
    await h.app.sender.settle()
    assert await status_of(h, "YH-2026-0001") == "rectifying"
    told = [s for s in h.adapter.sent[before:] if s.chat == h.private(ZHANG)]
    assert told and "驳回原因：警示标识不清晰" in (told[0].reply.text or "")


async def test_the_desk_search_shows_a_lead_their_own_and_counts_to_the_cap(
    desk: DeskTest, add_closed_hazards: AddHazards
) -> None:
    h = desk.h  # YH-2026-0001: 华油, 二车间配电箱门未关闭
    await h.say(LIU, "/hazard 仓库配电箱无警示标识", files=(h.add_file(jpeg(3)),))
    await desk.sign_in(ZHANG)
    page = await desk.page("/hazards?q=配电")
    assert "共 1 条" in page and "YH-2026-0001" in page and "YH-2026-0002" not in page
    await desk.sign_in(LI)
    page = await desk.page("/hazards?q=配电")
    assert "共 2 条" in page and "YH-2026-0002" in page
    await add_closed_hazards(h, COUNT_CAP + 1, "消防器材检查记录不全")
    page = await desk.page("/hazards?q=消防")
    assert "1,000 条以上" in page and "第 1 页" in page and "page=2" in page
    last = await desk.page("/hazards?q=消防&page=21")
    assert "YH-2024-0001" in last and "page=20" in last and "page=22" not in last
    page = await desk.page("/hazards?q=消防&status=open")  # filters still combine with the words
    assert "共 0 条" in page
