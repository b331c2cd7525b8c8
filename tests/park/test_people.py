"""People, roles and enterprises through the neutral core."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import AuditEntry, JoinRequest, ProcessedUpdate
from tests.harness import ADMIN, GROUP, LI, XIAO, Harness, person_by_id


async def test_join_approved_by_admin_button(harness: Harness) -> None:
    h = harness
    await h.say(ADMIN, "/start", h.private(ADMIN))  # admin opens a private chat
    out = await h.say(ADMIN, "/enterprise_add 华油装备制造有限公司 华油 华油装备")
    assert "已添加企业：华油装备制造有限公司" in h.texts(out)

    out = await h.say(XIAO, "/join 华油 负责人")
    assert "已提交申请" in h.texts(out)
    card = next(s for s in out if s.card is not None)
    assert card.chat == h.private(ADMIN)
    assert [b.label for b in card.card.actions[0]] == ["批准", "拒绝"]

    # A forged approval by someone who is not an admin changes nothing.
    outcome = await h.press(XIAO, card, "批准")
    assert "管理员" in (outcome.toast or "")
    assert (await person_by_id(h, "xiao")).role is None

    outcome = await h.press(ADMIN, card, "批准")
    assert "已批准" in (outcome.toast or "")
    assert card.edits == 1 and card.card is not None
    assert card.card.status.text == "已批准（王主任）" and card.card.actions == ()
    notice = h.adapter.sent[-1]
    assert notice.chat.chat_id == GROUP.chat_id and "已获批准" in (notice.reply.text or "")

    out = await h.say(XIAO, "/whoami")
    assert "身份：安全负责人" in h.texts(out) and "华油装备制造有限公司" in h.texts(out)

    # Pressing again is refused as already decided: a button sets, it never toggles.
    outcome = await h.press(ADMIN, card, data=card.reply.card.actions[0][1].data)  # type: ignore[union-attr]
    assert "已经处理过" in (outcome.toast or "")
    assert (await person_by_id(h, "xiao")).role == "lead"
    async with h.app.db.unit_of_work() as s:
        refused = await s.scalar(select(func.count()).where(AuditEntry.action == "button.refused"))
        assert refused == 1


async def test_join_with_unclear_name_offers_buttons(harness: Harness) -> None:
    h = harness
    await h.say(ADMIN, "/enterprise_add 胜利石油机械厂 胜利机械")
    await h.say(ADMIN, "/enterprise_add 胜利食品有限公司")
    await h.say(ADMIN, "/enterprise_add 宏达机械有限公司 宏达")
    out = await h.say(XIAO, "/join 胜利")
    assert "请点选您指的是哪一家" in h.texts(out)
    labels = [b.label for row in out[0].reply.buttons for b in row]
    assert labels == ["胜利石油机械厂", "胜利食品有限公司"]
    await h.press(XIAO, out[0], "胜利食品有限公司")
    assert "已提交申请：加入胜利食品有限公司，身份为企业员工" in h.texts(h.adapter.sent[-2:])

    out = await h.say(XIAO, "/join 完全不存在的公司")
    assert "没有找到企业" in h.texts(out)
    out = await h.say(XIAO, "/join 宏大机械")  # a typo still finds the closest name, to confirm
    assert out[0].reply.buttons[0][0].label == "宏达机械有限公司"
    out = await h.say(XIAO, "/join 宏伟")  # a near name never files by itself
    assert "已提交申请" not in h.texts(out)
    out = await h.say(ADMIN, "/role xiao member 宏大")
    assert "请点选" in h.texts(out) and out[0].reply.buttons[0][0].label == "宏达机械有限公司"


async def test_role_needs_admin_and_names_the_role(harness: Harness) -> None:
    h = harness
    await h.say(XIAO, "/start")
    out = await h.say(LI, "/role xiao manager")
    assert "需要以下身份之一：管理员" in h.texts(out)
    out = await h.say(ADMIN, "/role 小周 manager")
    assert "已将 小周 设为包片干部" in h.texts(out)
    assert (await person_by_id(h, "xiao")).role == "manager"
    out = await h.say(ADMIN, "/role xiao lead")
    assert "必须属于一家企业" in h.texts(out)
    out = await h.say(ADMIN, "/role xiao boss")
    assert "不认识角色" in h.texts(out)
    out = await h.say(ADMIN, "/role nobody admin")
    assert "没有找到人员" in h.texts(out)


async def test_help_lists_what_this_person_may_do(harness: Harness) -> None:
    h = harness
    stranger = h.texts(await h.say(XIAO, "/help", h.private(XIAO)))
    admin = h.texts(await h.say(ADMIN, "/help", h.private(ADMIN)))
    assert "/join" in stranger and "/role" not in stranger and "/enterprise_add" not in stranger
    assert "/role" in admin and "/setgroup" in admin


async def test_unknown_command_and_bad_input_answered_cleanly(harness: Harness) -> None:
    h = harness
    assert "没有 /frobnicate 这个命令" in h.texts(await h.say(XIAO, "/frobnicate now"))
    assert h.texts(await h.say(XIAO, "/other@some_other_bot hi")) == ""  # another bot's command
    assert await h.say(XIAO, "大家好") == []  # group chatter is ignored
    assert "请用命令" in h.texts(await h.say(XIAO, "你好", h.private(XIAO)))
    sql = "');DROP/**/TABLE/**/enterprises;--"
    out = await h.say(ADMIN, f"/enterprise_add {sql}")
    assert "已添加企业" in h.texts(out)
    out = await h.say(ADMIN, "/enterprise_add " + "长" * 300)
    assert "最多 100 个字" in h.texts(out)
    out = await h.say(ADMIN, "/enterprise_add \u202e\u0000零宽\u200b企业")
    assert "已添加企业" in h.texts(out)
    out = await h.say(XIAO, "/enterprises")
    assert "需要以下身份之一" in h.texts(out)
    out = await h.say(ADMIN, "/enterprises")
    assert sql in h.texts(out) and "共 2 家" in h.texts(out)


async def test_same_update_twice_is_processed_once(harness: Harness) -> None:
    h = harness
    first = await h.say(ADMIN, "/enterprise_add 鲁味食品", update_key="test:777")
    again = await h.say(ADMIN, "/enterprise_add 鲁味食品", update_key="test:777")
    assert "已添加企业" in h.texts(first)
    assert again == []
    async with h.app.db.unit_of_work() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1


async def test_failing_handler_rolls_back_and_apologises(harness: Harness, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from domain.park import operations as people_store

    async def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    h = harness
    await h.say(XIAO, "/start")
    monkeypatch.setattr(people_store, "create_join", boom)
    await h.say(ADMIN, "/enterprise_add 华油装备")
    out = await h.say(XIAO, "/join 华油装备")
    assert "抱歉" in h.texts(out)
    async with h.app.db.unit_of_work() as s:
        assert await s.scalar(select(func.count()).select_from(JoinRequest)) == 0


async def test_setgroup_only_in_a_group_and_only_for_admins(harness: Harness) -> None:
    h = harness
    assert "需要以下身份之一：管理员" in h.texts(await h.say(XIAO, "/setgroup"))
    assert "请在园区安全群里" in h.texts(await h.say(ADMIN, "/setgroup", h.private(ADMIN)))
    assert "已将本群（园区安全生产群）设为园区安全群" in h.texts(await h.say(ADMIN, "/setgroup"))
    assert "已经是园区安全群" in h.texts(await h.say(ADMIN, "/setgroup"))


async def test_join_without_reachable_admin_goes_to_the_park_group(harness: Harness) -> None:
    h = harness
    await h.say(ADMIN, "/enterprise_add 华油装备")
    out = await h.say(XIAO, "/join 华油装备", h.private(XIAO))
    assert "没有可以私聊通知的管理员" in h.texts(out)  # no admin private chat, no park group yet
    await h.say(ADMIN, "/setgroup")
    out = await h.say(XIAO, "/join 华油装备", h.private(XIAO))
    card = next(s for s in out if s.card is not None)
    assert card.chat.chat_id == GROUP.chat_id  # the request is seen where admins are, not sent back to 小周


async def test_a_role_given_directly_withdraws_the_pending_join(harness: Harness) -> None:
    h = harness
    await h.say(ADMIN, "/enterprise_add 华油装备")
    out = await h.say(XIAO, "/join 华油装备 员工")
    card = next(s for s in out if s.card is not None)
    await h.say(ADMIN, "/role xiao manager")
    outcome = await h.press(ADMIN, card, "批准")  # the old card is stale now
    assert "已经处理过" in (outcome.toast or "")
    assert (await person_by_id(h, "xiao")).role == "manager"


async def test_near_enterprise_names_are_offered_as_buttons_for_role_and_lists(harness: Harness) -> None:
    h = harness
    await h.say(ADMIN, "/enterprise_add 宏达机械有限公司 宏达")
    await h.say(ADMIN, "/enterprise_add 华油装备制造有限公司 华油")
    await h.say(XIAO, "/start")
    out = await h.say(ADMIN, "/role xiao lead 宏大")  # a near name: asked, never set by itself
    assert (await person_by_id(h, "xiao")).role is None
    await h.press(ADMIN, out[0], "宏达机械有限公司")
    xiao = await person_by_id(h, "xiao")
    assert xiao.role == "lead"
    out = await h.say(ADMIN, "/hazards 有限公司")  # matches several: buttons, as promised
    labels = [b.label for row in out[0].reply.buttons for b in row]
    assert labels == ["宏达机械有限公司", "华油装备制造有限公司"]
    await h.press(ADMIN, out[0], "华油装备制造有限公司")
    assert "没有符合条件的隐患" in h.texts(h.adapter.sent[-1:])
