"""Every permission check uses the person's current role and enterprise, also for what they started earlier.

A draft, an open fix question or a hazard reported before a person was moved to another enterprise
(or lost their role) is judged by who they are now. A forged enterprise button never files a hazard
under an enterprise that is no longer on the park's list.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.hazards import operations as hazard_ops
from domain.hazards import rules as hazard_rules
from domain.outcome import Refused
from domain.park import operations as park_ops
from domain.park import queries as park_queries
from handlers import texts as T
from storage.enums import Level, Role, Source
from storage.models import AuditEntry, Enterprise, Hazard, HazardEvent
from tests.harness import LI, ZHANG, ZHAO, Harness, Sent, card_of, jpeg, seed

HUAYOU = "华油装备制造有限公司"
HONGDA = "宏达机械有限公司"
# Where 张伟 goes meanwhile: made a lead of the neighbouring enterprise, or out of every role.
MOVED = pytest.mark.parametrize(("role", "enterprise"), [(Role.LEAD, HONGDA), (None, None)])


async def move(h: Harness, user_id: str, role: Role | None, enterprise: str | None) -> None:
    """Give a person another role and enterprise (None, None: no role at all), as an admin would."""
    async with h.app.db.unit_of_work() as s:
        person = await park_queries.find_person(s, "test", user_id)
        assert person is not None
        target = None
        if enterprise is not None:
            target = await s.scalar(select(Enterprise).where(Enterprise.name == enterprise))
        await park_ops.set_role(s, person, role, target, actor=None, at=h.clock.now())


async def deactivate(h: Harness, name: str) -> int:
    """Take an enterprise off the park's list; return its id."""
    async with h.app.db.unit_of_work() as s:
        enterprise = await s.scalar(select(Enterprise).where(Enterprise.name == name))
        assert enterprise is not None
        enterprise.active = False
        return enterprise.id


async def hazards_count(h: Harness) -> int:
    """Return how many hazards the ledger holds."""
    async with h.app.db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(Hazard)) or 0


async def actions_of(h: Harness, code: str) -> list[str]:
    """Return the actions of a hazard's events, oldest first."""
    async with h.app.db.sessions() as s:
        rows = await s.scalars(
            select(HazardEvent.action).join(Hazard).where(Hazard.code == code).order_by(HazardEvent.id)
        )
        return list(rows.all())


async def reported(h: Harness, text: str = "配电箱门未关闭") -> Sent:
    """Report hazard YH-2026-0001 of 华油 as its lead; return the group card."""
    return card_of(await h.say(ZHANG, f"/hazard {text}", files=(h.add_file(jpeg(1)),)))


@MOVED
async def test_a_draft_is_not_completed_for_the_old_enterprise(
    seeded: Harness, role: Role | None, enterprise: str | None
) -> None:
    h = seeded
    asked = await h.say(ZHANG, "/hazard 二车间配电箱门未关闭")
    assert "还需要至少一张现场照片" in h.texts(asked)
    await move(h, "zhang", role, enterprise)
    out = await h.say(ZHANG, "", files=(h.add_file(jpeg(1)),), reply_to=asked[-1].message_id)
    assert await hazards_count(h) == 0
    assert not any(s.card for s in out)
    if role is not None:
        assert T.HAZARD_NOT_OWN_ENTERPRISE.format(enterprise=HONGDA) in h.texts(out)


async def test_an_inspectors_draft_follows_their_current_role(seeded: Harness) -> None:
    h = seeded
    private = Harness.private(ZHAO)
    asked = await h.say(ZHAO, "/hazard 华油 二车间配电箱门未关闭")
    asked_privately = await h.say(ZHAO, "/hazard 宏达 冲床防护罩缺失", private)
    await move(h, "zhao", Role.LEAD, HONGDA)
    out = await h.say(ZHAO, "", files=(h.add_file(jpeg(1)),), reply_to=asked[-1].message_id)
    assert await hazards_count(h) == 0
    assert T.HAZARD_NOT_OWN_ENTERPRISE.format(enterprise=HONGDA) in h.texts(out)

    # Now a lead of the enterprise the other draft names: it is filed as the enterprise's own report,
    # which the enterprise may edit, not as an inspector's finding.
    await h.say(ZHAO, "", private, files=(h.add_file(jpeg(2)),), reply_to=asked_privately[-1].message_id)
    async with h.app.db.sessions() as s:
        row = await s.scalar(select(Hazard))
        assert row is not None and row.source == Source.SNAPSHOT


@MOVED
async def test_an_open_fix_question_is_not_completed_for_the_old_enterprise(
    seeded: Harness, role: Role | None, enterprise: str | None
) -> None:
    h = seeded
    card = await reported(h, "配电箱门未关闭 3天内")
    await h.press(ZHANG, card, "提交整改")
    question = h.adapter.sent[-1]
    assert T.FIX_NEED_PHOTO in (question.reply.text or "")
    await move(h, "zhang", role, enterprise)
    await h.say(ZHANG, "已加锁", files=(h.add_file(jpeg(2)),), reply_to=question.message_id)
    assert "fix" not in await actions_of(h, "YH-2026-0001")


async def test_a_moved_reporter_no_longer_edits_the_old_enterprises_hazard(seeded: Harness) -> None:
    h = seeded
    card = await reported(h)
    await move(h, "zhang", Role.LEAD, HONGDA)
    outcome = await h.press(ZHANG, card, "3天内")
    assert outcome.toast == T.HAZARD_EDIT_NOT_OWN.format(code="YH-2026-0001", enterprise=HUAYOU, own=HONGDA)
    out = await h.say(ZHANG, "/due YH-2026-0001 下周五")
    assert T.HAZARD_NOT_OWN_ENTERPRISE.format(enterprise=HONGDA) in h.texts(out)
    await h.say(ZHANG, "本月底", reply_to=card.message_id)
    await h.press(ZHANG, card, "设为重大隐患")
    await h.say(ZHANG, "", files=(h.add_file(jpeg(2)),), reply_to=card.message_id)
    assert await actions_of(h, "YH-2026-0001") == ["report"]
    # A manager still may.
    await h.press(LI, card, "3天内")
    assert await actions_of(h, "YH-2026-0001") == ["report", "set_due"]


async def test_an_inspector_made_a_lead_elsewhere_no_longer_edits_what_they_found(seeded: Harness) -> None:
    h = seeded
    card = card_of(await h.say(ZHAO, "/hazard 华油 配电箱门未关闭", files=(h.add_file(jpeg(1)),)))
    await move(h, "zhao", Role.LEAD, HONGDA)
    await h.press(ZHAO, card, "7天内")
    await h.say(ZHAO, "/five YH-2026-0001 责任人=某人")
    assert await actions_of(h, "YH-2026-0001") == ["report"]


async def test_a_forged_enterprise_button_never_files_under_an_inactive_enterprise(seeded: Harness) -> None:
    h = seeded
    out = await h.say(ZHAO, "/hazard 厂区东门消防通道堵塞", files=(h.add_file(jpeg(1)),))
    picker = next(s for s in out if s.reply.buttons)
    hongda = await deactivate(h, HONGDA)
    outcome = await h.press(ZHAO, picker, data=f"hzent:{hongda}")
    assert outcome.toast == T.BUTTON_STALE
    assert await hazards_count(h) == 0
    async with h.app.db.sessions() as s:
        refused = await s.scalar(select(func.count()).where(AuditEntry.action == "button.refused"))
    assert refused == 1
    # The draft is still there: an active enterprise files it.
    await h.press(ZHAO, picker, "华油")
    assert await hazards_count(h) == 1


async def test_a_lead_of_an_inactive_enterprise_cannot_report(seeded: Harness) -> None:
    h = seeded
    await deactivate(h, HUAYOU)
    out = await h.say(ZHANG, "/hazard 配电箱门未关闭", files=(h.add_file(jpeg(1)),))
    assert T.HAZARD_ENTERPRISE_INACTIVE in h.texts(out)
    assert await hazards_count(h) == 0


async def test_the_domain_refuses_a_report_for_an_inactive_enterprise(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    hongda = await deactivate(h, HONGDA)
    now = h.clock.now()
    async with h.app.db.unit_of_work() as s:
        inspector = await park_queries.find_person(s, "test", "zhao")
        assert inspector is not None
        assert await park_queries.get_enterprise(s, hongda) is not None
        with pytest.raises(Refused) as refused:
            await hazard_ops.report(
                s,
                actor=inspector,
                enterprise_id=hongda,
                description="消防通道堵塞",
                category="fire",
                level=Level.GENERAL,
                mode=None,
                due_date=None,
                source=Source.INSPECTION,
                photos=[],
                year=2026,
                at=now + timedelta(minutes=1),
            )
    assert refused.value.reason == hazard_rules.Refusal.ENTERPRISE_INACTIVE
    assert await hazards_count(h) == 0


async def test_a_rejection_reason_is_not_taken_from_someone_no_longer_a_manager(seeded: Harness) -> None:
    h = seeded
    card = await reported(h, "配电箱门未关闭 3天内")
    await h.say(ZHANG, "/fix YH-2026-0001 已加锁", files=(h.add_file(jpeg(2)),))
    await h.press(LI, card, "驳回")
    asked = h.adapter.sent[-1]
    assert "原因" in (asked.reply.text or "")
    await move(h, "li", Role.INSPECTOR, None)
    await h.say(LI, "警示标识不清晰", reply_to=asked.message_id)
    assert await actions_of(h, "YH-2026-0001") == ["report", "fix"]
