"""Corrections to the hazard loop as a park's people meet it: extensions, due changes, overdue immediate
fixes, withdrawals and edits, removing roles, listing people, and leads approving joins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.messages import Sender
from storage.models import Hazard, HazardEvent
from tests.harness import (
    ADMIN,
    CHEN,
    LI,
    LIU,
    XIAO,
    ZHANG,
    ZHAO,
    Harness,
    Sent,
    card_of,
    hazard_by_code,
    jpeg,
    person_by_id,
    seed,
)
from tests.harness import labels as labels_of

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


async def last_event(h: Harness, code: str) -> HazardEvent:
    """Return a hazard's newest event."""
    async with h.app.db.unit_of_work() as s:
        row = await s.scalar(
            select(HazardEvent)
            .join(Hazard)
            .where(Hazard.code == code)
            .order_by(HazardEvent.id.desc())
            .limit(1)
        )
        assert row is not None
        return row


async def report(
    h: Harness, who: Sender = ZHANG, text: str = "配电箱门未关闭 限期 12月10日", seed_: int = 1
) -> Sent:
    """Report a hazard with one photo; return its card."""
    return card_of(await h.say(who, f"/hazard {text}", files=(h.add_file(jpeg(seed_)),)))


# --- 16: extensions and due-date changes ---------------------------------------------------------


async def test_extension_request_approved_by_manager_button(harness: Harness) -> None:
    h = harness
    await seed(h)
    await report(h)
    out = await h.say(ZHANG, "/extend YH-2026-1 12月20日 配件还没到货")
    assert "已提交延期申请" in h.texts(out)
    ask = next(s for s in out if s.chat == h.private(LI))
    assert "配件还没到货" in (ask.reply.text or "") and "2026-12-20" in (ask.reply.text or "")
    assert [b.label for b in ask.reply.buttons[0]] == ["同意", "不同意"]
    outcome = await h.press(ZHANG, ask, "同意")  # the enterprise cannot approve its own request
    assert (await hazard_by_code(h, "YH-2026-0001")).due_date.isoformat() == "2026-12-10"  # type: ignore[union-attr]
    before = len(h.adapter.sent)
    outcome = await h.press(LI, ask, "同意")
    assert "已同意" in (outcome.toast or "")
    assert (await hazard_by_code(h, "YH-2026-0001")).due_date.isoformat() == "2026-12-20"  # type: ignore[union-attr]
    event = await last_event(h, "YH-2026-0001")
    assert (
        event.action == "extend_approve"
        and event.data["from"] == "2026-12-10"
        and event.data["to"] == "2026-12-20"
    )
    told = [s for s in h.adapter.sent[before:] if s.chat == h.private(ZHANG)]
    assert told and "同意" in (told[0].reply.text or "")
    outcome = await h.press(LI, ask, "不同意")  # decided already: nothing changes, and who decided is said
    assert "延期申请已由 李干部 同意，无需再处理" in (outcome.toast or "")
    assert (await hazard_by_code(h, "YH-2026-0001")).due_date.isoformat() == "2026-12-20"  # type: ignore[union-attr]


async def test_extension_refused_keeps_the_date_and_tells_the_reason(harness: Harness) -> None:
    h = harness
    await seed(h)
    await report(h)
    assert "晚于" in h.texts(await h.say(ZHANG, "/extend YH-2026-1 12月5日 太忙"))
    assert "需要以下身份之一" in h.texts(await h.say(LI, "/extend YH-2026-1 12月20日 试试"))
    await h.say(ZHANG, "/extend YH-2026-1 12月20日 配件还没到货")
    out = await h.say(LI, "/extend_no YH-2026-1 先做临时防护")
    assert "不同意" in h.texts(out)
    assert (await hazard_by_code(h, "YH-2026-0001")).due_date.isoformat() == "2026-12-10"  # type: ignore[union-attr]
    event = await last_event(h, "YH-2026-0001")
    assert event.action == "extend_refuse" and event.note == "先做临时防护"
    assert event.data == {
        "from": "2026-12-10",
        "to": "2026-12-10",
        "asked": "2026-12-20",
        "request": event.data["request"],
    }
    told = [s for s in out if s.chat == h.private(ZHANG)]
    assert told and "先做临时防护" in (told[0].reply.text or "")
    assert "延期申请已由 李干部 不同意" in h.texts(
        await h.say(LI, "/extend_ok YH-2026-1")
    )  # who decided, not just "none"


async def test_manager_changes_a_set_due_date_the_enterprise_must_ask(harness: Harness) -> None:
    h = harness
    await seed(h)
    await report(h)
    out = await h.say(ZHANG, "/due YH-2026-1 12月20日")
    assert "已经设定" in h.texts(out) and "/extend" in h.texts(out)
    out = await h.say(LI, "/due YH-2026-1 12月15日")
    assert "整改期限已由 2026-12-10（周四） 改为 2026-12-15（周二）" in h.texts(out)
    event = await last_event(h, "YH-2026-0001")
    assert event.action == "change_due" and event.data == {"from": "2026-12-10", "to": "2026-12-15"}
    assert (await hazard_by_code(h, "YH-2026-0001")).due_date.isoformat() == "2026-12-15"  # type: ignore[union-attr]


# --- 17: immediate fixes become overdue ----------------------------------------------------------


async def test_immediate_hazard_overdue_after_the_next_working_day(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    h.clock.advance(timedelta(days=4))  # Friday 2026-12-04
    await report(h, text="消防通道堆放杂物 立即整改")
    h.clock.advance(timedelta(days=2))  # Sunday: the next working day (Monday) has not ended
    assert "没有符合条件的隐患" in h.texts(await h.say(LI, "/hazards overdue"))
    h.clock.advance(timedelta(days=1))  # Monday 12-07 09:00: still within Monday
    assert "没有符合条件的隐患" in h.texts(await h.say(LI, "/hazards overdue"))
    h.clock.advance(timedelta(days=1))  # Tuesday 12-08
    overdue = h.texts(await h.say(LI, "/hazards overdue"))
    assert "YH-2026-0001" in overdue and "已逾期 1 天" in overdue
    assert "已逾期 1 天" in h.texts(await h.say(LI, "/hazards"))


async def test_immediate_grace_days_is_a_setting(harness: Harness) -> None:
    h = harness
    h.app.dispatcher.settings.park.immediate_grace_days = 0
    await seed(h)
    await report(h, text="消防通道堆放杂物 立即整改")
    h.clock.advance(timedelta(days=1))
    assert "YH-2026-0001" in h.texts(await h.say(LI, "/hazards overdue"))


# --- 18: withdrawals and edits -------------------------------------------------------------------


async def test_reporter_withdraws_a_duplicate_and_it_leaves_the_lists(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    await report(h, seed_=1)
    card = await report(h, text="配电箱门没关 限期 12月10日", seed_=2)
    assert "需要以下身份之一" not in h.texts(await h.say(LIU, "/withdraw YH-2026-2 重复 YH-2026-1"))
    assert (
        await hazard_by_code(h, "YH-2026-0002")
    ).status == "rectifying"  # another enterprise's lead may not
    out = await h.say(ZHANG, "/withdraw YH-2026-2 重复 YH-2026-1")
    assert "已撤销" in h.texts(out)
    assert card.card is not None and card.card.status is not None
    assert card.card.actions == () and "已撤销" in card.card.status.text
    row = await hazard_by_code(h, "YH-2026-0002")
    assert row.status == "withdrawn" and row.code == "YH-2026-0002"
    event = await last_event(h, "YH-2026-0002")
    assert (
        event.action == "withdraw"
        and event.to_status == "withdrawn"
        and event.data["duplicate_of"] == "YH-2026-0001"
    )
    park = h.texts(await h.say(LI, "/hazards"))
    assert "共 1 条" in park and "YH-2026-0002" not in park
    assert "撤销" in h.texts(await h.say(LI, "/hazard YH-2026-0002"))  # history kept
    assert "已撤销" in h.texts(await h.say(ZHANG, "/withdraw YH-2026-2 误报"))


async def test_manager_withdraws_with_a_reason_and_reason_is_required(harness: Harness) -> None:
    h = harness
    await seed(h)
    await report(h, who=ZHAO, text="华油 配电箱门未关闭 立即整改")
    assert "原因" in h.texts(await h.say(LI, "/withdraw YH-2026-1"))
    assert "没有找到隐患" in h.texts(await h.say(LI, "/withdraw YH-2026-1 重复 YH-2026-9"))
    assert "需要以下身份之一" not in h.texts(await h.say(CHEN, "/withdraw YH-2026-1 不是隐患"))
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "reported"  # not the reporter, not a manager
    await h.say(LI, "/withdraw YH-2026-1 误报，现场已核实无此问题")
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "withdrawn"


async def test_reporter_edits_description_until_verified(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h)
    out = await h.say(ZHANG, "/edit YH-2026-1 二车间配电箱门未关闭，无警示标识")
    assert "描述已更新" in h.texts(out)
    assert card.card is not None and "二车间配电箱门未关闭，无警示标识" in str(card.card.fields)
    event = await last_event(h, "YH-2026-0001")
    assert event.action == "edit" and event.data == {
        "from": "配电箱门未关闭",
        "to": "二车间配电箱门未关闭，无警示标识",
    }
    assert "不能修改" in h.texts(await h.say(CHEN, "/edit YH-2026-1 改一下"))
    await h.say(ZHANG, "/fix YH-2026-1 已加锁", files=(h.add_file(jpeg(9)),))
    await h.say(LI, "/accept YH-2026-1")
    assert "已销号" in h.texts(await h.say(ZHANG, "/edit YH-2026-1 再改"))
    assert (await hazard_by_code(h, "YH-2026-0001")).description == "二车间配电箱门未关闭，无警示标识"


# --- 19: roles and people ------------------------------------------------------------------------


async def test_role_none_removes_a_role(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(ADMIN, "/role chen 无")
    assert "已取消 陈明 的身份" in h.texts(out)
    removed = await person_by_id(h, "chen")
    assert removed.role is None and removed.enterprise_id is None


async def test_people_lists_an_enterprise(harness: Harness) -> None:
    h = harness
    await seed(h)
    own = h.texts(await h.say(ZHANG, "/people"))
    assert "张伟（安全负责人）" in own and "陈明（企业员工）" in own and "刘芳" not in own
    assert "只能查看本企业" in h.texts(await h.say(ZHANG, "/people 宏达"))
    park = h.texts(await h.say(LI, "/people 宏达"))
    assert "刘芳（安全负责人）" in park and "张伟" not in park
    everyone = h.texts(await h.say(LI, "/people"))
    assert "李干部（包片干部）" in everyone and "张伟" in everyone and "刘芳" in everyone
    assert "需要以下身份之一" in h.texts(await h.say(CHEN, "/people"))


async def test_lead_approves_a_join_for_their_own_enterprise(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(XIAO, "/join 华油 员工")
    cards = [s for s in out if s.card is not None]
    assert {s.chat.chat_id for s in cards} == {"p-admin", "p-zhang"}
    to_zhang = next(s for s in cards if s.chat == h.private(ZHANG))
    outcome = await h.press(LIU, to_zhang, "批准")  # the lead of another enterprise may not
    assert (await person_by_id(h, "xiao")).role is None and outcome.toast
    outcome = await h.press(ZHANG, to_zhang, "批准")
    assert "已批准" in (outcome.toast or "")
    xiao = await person_by_id(h, "xiao")
    assert xiao.role == "member"


async def test_migration_0005_allows_withdrawn_and_still_checks(any_empty_db_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from storage.db import Database, upgrade

    db = Database(any_empty_db_url)
    try:
        await upgrade(db.engine, "0004")
        async with db.engine.begin() as conn:
            t = {"t": NOW}
            await conn.execute(
                text(
                    "INSERT INTO enterprises (id, name, aliases, active, created_at)"
                    " VALUES (1, '华油', '[]', true, :t)"
                ),
                t,
            )
            await conn.execute(
                text(
                    "INSERT INTO people (id, platform, external_id, display_name, role, enterprise_id,"
                    " created_at, updated_at) VALUES (1, 'telegram', '7', '张伟', 'lead', 1, :t, :t)"
                ),
                t,
            )
            await conn.execute(
                text(
                    "INSERT INTO hazards (id, code, enterprise_id, description, category, level, mode, status,"
                    " source, five_in_place, reporter_id, found_at, created_at, updated_at)"
                    " VALUES (1, 'YH-2026-0001', 1, '配电箱', 'electrical', 'general', 'deadline',"
                    " 'rectifying', 'snapshot', '{}', 1, :t, :t, :t)"
                ),
                t,
            )
        await upgrade(db.engine)
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE hazards SET status = 'withdrawn'"))
            await conn.execute(
                text(
                    "INSERT INTO hazard_events (hazard_id, at, actor_kind, actor_id, action, from_status,"
                    " to_status, data) VALUES (1, :t, 'person', 1, 'withdraw', 'rectifying', 'withdrawn', '{}')"
                ),
                {"t": NOW},
            )
            assert (await conn.execute(text("SELECT code FROM hazards"))).scalar_one() == "YH-2026-0001"
        with pytest.raises(IntegrityError):
            async with db.engine.begin() as conn:
                await conn.execute(text("UPDATE hazards SET status = 'lost'"))
        with pytest.raises(IntegrityError):
            async with db.engine.begin() as conn:
                await conn.execute(text("UPDATE hazard_events SET to_status = 'lost'"))
    finally:
        await db.dispose()


async def test_history_shows_old_and_new_values_of_corrections(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(ZHANG, "/hazard 配电箱门未关 限期 12月10日", files=(h.add_file(jpeg(90)),))
    await h.say(LI, "/due YH-2026-0001 12月15日")
    await h.say(ZHANG, "/edit YH-2026-0001 二车间配电箱门未关闭")
    out = await h.say(ZHANG, "/hazard YH-2026-0001")
    history = h.texts(out)
    assert "2026-12-10（周四） → 2026-12-15（周二）" in history
    assert "配电箱门未关 → 二车间配电箱门未关闭" in history


async def test_two_reports_cannot_withdraw_each_other_and_a_fix_cannot_skip_verification(
    harness: Harness,
) -> None:
    h = harness
    await seed(h)
    await h.say(ZHANG, "/hazard 配电箱门未关 7天内", files=(h.add_file(jpeg(91)),))
    await h.say(ZHANG, "/hazard 配电箱门未关闭 7天内", files=(h.add_file(jpeg(92)),))
    out = await h.say(ZHANG, "/withdraw YH-2026-0001 重复 YH-2026-0002")
    assert "已撤销" in h.texts(out)
    out = await h.say(ZHANG, "/withdraw YH-2026-0002 重复 YH-2026-0001")
    assert "不能作为重复撤销" in h.texts(out)
    await h.say(ZHANG, "/fix YH-2026-0002 已关门", files=(h.add_file(jpeg(93)),))
    out = await h.say(ZHANG, "/withdraw YH-2026-0002 误报")  # waiting for verification: managers only
    assert "已撤销" not in h.texts(out)
    out = await h.say(ZHANG, "/hazards")
    assert "YH-2026-0002" in h.texts(out)


async def test_an_extension_asked_before_a_manager_moved_the_deadline_no_longer_applies(
    harness: Harness,
) -> None:
    h = harness
    await seed(h)
    await h.say(ZHANG, "/hazard 配电箱门未关 限期 12月10日", files=(h.add_file(jpeg(94)),))
    await h.say(ZHANG, "/extend YH-2026-0001 12月30日 配件未到")
    await h.say(LI, "/due YH-2026-0001 2027-01-20")
    out = await h.say(LI, "/extend_ok YH-2026-0001")
    assert "2026-12-30" not in h.texts(out)
    out = await h.say(ZHANG, "/hazard YH-2026-0001")
    card = next(s.card for s in out if s.card is not None)
    assert "2027-01-20" in labels_of(card)["整改期限"]


async def test_a_withdrawn_fix_leaves_the_card(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(ZHANG, "/hazard 配电箱门未关 7天内", files=(h.add_file(jpeg(95)),))
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(96)),))
    await h.say(ZHANG, "/unfix YH-2026-0001 拍错了")
    out = await h.say(ZHANG, "/hazard YH-2026-0001")
    card = next(s.card for s in out if s.card is not None)
    assert (
        "整改情况" not in labels_of(card)
        and card.status is not None
        and card.status.text.startswith("整改中")
    )


async def test_a_fix_without_a_code_goes_to_the_one_hazard_waiting_or_lists_them(harness: Harness) -> None:
    h = harness
    await seed(h)
    await report(h)
    out = await h.say(ZHANG, "/fix 已加锁并张贴警示标识", files=(h.add_file(jpeg(9)),))
    assert "已按贵企业唯一待整改的隐患 YH-2026-0001 处理" in h.texts(out)
    assert (await hazard_by_code(h, "YH-2026-0001")).status == "awaiting_verification"  # type: ignore[union-attr]
    await h.say(ZHANG, "/hazard 消防通道堵塞 限期 12月12日", files=(h.add_file(jpeg(10)),))
    await h.say(ZHANG, "/hazard 灭火器过期 限期 12月12日", files=(h.add_file(jpeg(11)),))
    said = h.texts(await h.say(ZHANG, "/fix 已整改", files=(h.add_file(jpeg(12)),)))
    assert "有多条待整改的隐患" in said and "YH-2026-0002" in said and "YH-2026-0003" in said
