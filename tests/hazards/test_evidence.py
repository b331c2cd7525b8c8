"""Evidence at the decision: before | after on the verification card, five-in-place shown and required,
history lines that say what was set, and the people a major or a filed hazard concerns told privately."""

from __future__ import annotations

import hashlib
import threading

import pytest
from PIL import Image
from sqlalchemy import select

from domain.hazards import operations as hazard_ops
from domain.hazards import rules as hazard_rules
from domain.outcome import Refused
from storage.models import Hazard, Person
from tests.harness import GROUP, LI, MA, ZHANG, ZHAO, Harness, Sent, card_of, jpeg, labels, seed

DESCRIPTION = "二车间配电箱门未关闭，无警示标识"


async def report(  # type: ignore[no-untyped-def]
    h: Harness, who=ZHANG, text=f"{DESCRIPTION} 限期 12月10日", seed_=1, size=(64, 48)
) -> Sent:
    """Report a hazard with one photo; return the group card."""
    out = await h.say(who, f"/hazard {text}", files=(h.add_file(jpeg(seed_, size)),))
    return next(s for s in out if s.card is not None and s.chat == GROUP)


async def fix(h: Harness, card: Sent, seed_: int = 2, size: tuple[int, int] = (30, 60)) -> list[Sent]:
    """Submit a fix with one after-photo as a reply to the card."""
    return await h.say(
        ZHANG, "/fix 已加锁并张贴警示标识", files=(h.add_file(jpeg(seed_, size)),), reply_to=card.message_id
    )


async def status(h: Harness, code: str = "YH-2026-0001") -> str:
    """Return a hazard's stored status."""
    async with h.app.db.unit_of_work() as s:
        row = await s.scalar(select(Hazard).where(Hazard.code == code))
        assert row is not None
        return row.status


def to(sent: list[Sent], chat_id: str) -> list[Sent]:
    """Return what went to one chat."""
    return [s for s in sent if s.chat.chat_id == chat_id]


# --- 10. before | after on the verification card, labelled groups in the detail view ------------------


async def test_verification_card_shows_before_and_after_side_by_side(harness: Harness) -> None:
    h = harness
    await seed(h)
    root = h.app.settings.storage.photo_dir
    card = await report(h)
    assert card.card is not None and len(card.card.photos) == 1
    assert card.card.photos[0].parent.parent == root  # the before-photo itself, no picture made yet
    assert "图片" not in labels(card.card) and not (root / "composites").exists()

    threads: list[int] = []
    import handlers.hazards.card as hc

    real = hc.side_by_side

    def recording(*args):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return real(*args)

    hc.side_by_side = recording  # type: ignore[assignment]
    try:
        out = await fix(h, card)
    finally:
        hc.side_by_side = real  # type: ignore[assignment]
    assert threads and threading.get_ident() not in threads  # made in a worker thread

    before_sha = hashlib.sha256(jpeg(1, (64, 48))).hexdigest()
    after_sha = hashlib.sha256(jpeg(2, (30, 60))).hexdigest()
    expected = root / "composites" / f"{hashlib.sha256(f'{before_sha}|{after_sha}'.encode()).hexdigest()}.jpg"
    manager_copies = [s for s in out if s.card is not None and s.chat.chat_id in ("p-admin", "p-li", "p-ma")]
    assert len(manager_copies) == 3
    for copy in [*manager_copies, card]:  # the group's card is edited in place with the same picture
        assert copy.card is not None and copy.card.photos == (expected,)
        assert labels(copy.card)["图片"] == "左：整改前 右：整改后"
    with Image.open(expected) as img:
        # Both scaled to the lower height (48): 64 wide, an 8-pixel divider, then 30 × 48/60 = 24.
        assert img.format == "JPEG" and img.size == (64 + 8 + 24, 48)
        assert img.getpixel((68, 24)) == pytest.approx((255, 255, 255), abs=12)  # the divider is white

    # Cached: the next card build reuses the file.
    made = expected.stat().st_mtime_ns
    await h.press(LI, card, "驳回")
    await h.say(LI, "警示标识不清晰", reply_to=h.adapter.sent[-1].message_id)
    assert card.card is not None and card.card.photos == (expected,) and expected.stat().st_mtime_ns == made


async def test_card_falls_back_to_the_before_photo_when_the_picture_cannot_be_made(harness: Harness) -> None:
    h = harness
    await seed(h)
    root = h.app.settings.storage.photo_dir
    card = await report(h)
    assert card.card is not None
    before = card.card.photos[0]
    after_sha = hashlib.sha256(jpeg(2, (30, 60))).hexdigest()
    await fix(h, card)
    (root / after_sha[:2] / f"{after_sha}.jpg").unlink()  # the after-photo's file is gone
    for path in (root / "composites").iterdir():
        path.unlink()
    out = await h.say(ZHANG, "/hazard YH-2026-0001")
    view = out[0].card
    assert view is not None and view.photos == (before,) and "图片" not in labels(view)


async def test_detail_view_labels_before_and_after_photos(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h)
    await h.say(ZHANG, "", files=(h.add_file(jpeg(3)),), reply_to=card.message_id)  # a second before-photo
    await fix(h, card)
    out = await h.say(ZHANG, "/hazard YH-2026-0001")
    assert out[0].card is not None and "处理记录" in (out[1].reply.text or "") and out[1].reply.photos == ()
    groups = [(s.reply.text, len(s.reply.photos)) for s in out[2:]]
    assert groups == [("整改前照片（2 张）：", 2), ("整改后照片（1 张）：", 1)]


# --- 11. five-in-place values on the card and in the detail view --------------------------------------


async def test_five_in_place_values_are_shown(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h, text="重大隐患 液氨储罐区压力表失效 限期 12月15日")
    await h.say(ZHANG, "/five 责任人=张伟 措施=更换压力表 资金：3000元", reply_to=card.message_id)
    fields = labels(card.card)  # type: ignore[arg-type]
    assert fields["五落实"] == "未完成，缺：时限、预案"
    assert (fields["责任人"], fields["措施"], fields["资金"]) == ("张伟", "更换压力表", "3000元")
    assert "时限" not in fields and "预案" not in fields
    await h.say(ZHANG, "/five YH-2026-0001 时限=12月15日 预案=临时停用储罐并设警戒区")
    out = await h.say(LI, "/hazard YH-2026-0001")
    view = labels(out[0].card)  # type: ignore[arg-type]
    assert (
        view["五落实"] == "已落实" and view["时限"] == "12月15日" and view["预案"] == "临时停用储罐并设警戒区"
    )
    assert [f.key for f in out[0].card.fields if f.key.startswith("five_")] == [  # type: ignore[union-attr]
        "five_responsible",
        "five_measures",
        "five_funds",
        "five_deadline",
        "five_plan",
    ]


# --- 12. history lines say what was set ---------------------------------------------------------------


async def test_history_lines_show_what_each_event_set(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h, text="楼梯扶手松动")
    await h.say(ZHANG, "/due YH-2026-0001 12月10日")
    await h.say(ZHANG, "/level YH-2026-0001 重大")
    await h.say(ZHANG, "/category YH-2026-0001 消防安全")
    await h.say(ZHANG, "/five YH-2026-0001 责任人=张伟 时限=12月9日")
    await h.say(ZHANG, "", files=(h.add_file(jpeg(5)),), reply_to=card.message_id)
    await fix(h, card)
    out = await h.say(ZHANG, "/hazard YH-2026-0001")
    history = (out[1].reply.text or "").splitlines()
    assert history[0] == "处理记录："
    lines = [line.split(" ", 3)[3] for line in history[1:]]  # without the date, time and actor
    assert lines == [
        "上报：一般隐患，其他",
        "设定整改期限：2026-12-10（周四）",
        "调整等级：重大隐患",
        "调整类别：消防安全",
        "补充五落实：责任人=张伟，时限=12月9日",
        "补充照片：整改前 1 张",
        "提交整改：已加锁并张贴警示标识",
    ]


async def test_history_of_immediate_mode_and_a_report_with_a_date(harness: Harness) -> None:
    h = harness
    await seed(h)
    await report(h)
    await report(h, text="叉车无证驾驶", seed_=7)
    await h.say(ZHANG, "/due YH-2026-0002 立即整改")
    first = (await h.say(ZHANG, "/hazard YH-2026-0001"))[1].reply.text or ""
    second = (await h.say(ZHANG, "/hazard YH-2026-0002"))[1].reply.text or ""
    assert "上报：一般隐患，用电安全，期限 2026-12-10（周四）" in first
    assert "设定整改期限：立即整改" in second


# --- 14. a major hazard is closed only with its five-in-place complete -------------------------------


async def test_major_hazard_is_not_accepted_without_five_in_place(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h, text="重大隐患 液氨储罐区压力表失效 限期 12月15日")
    await h.say(ZHANG, "/five 责任人=张伟 措施=更换压力表 资金=3000元", reply_to=card.message_id)
    await fix(h, card)
    said = "YH-2026-0001 是重大隐患，五落实还缺：时限、预案，补全后才能验收销号。"

    outcome = await h.press(LI, card, "验收通过")
    assert outcome.toast == said and said in h.texts(h.adapter.sent[-1:])
    assert await status(h) == "awaiting_verification"
    out = await h.say(MA, "/accept YH-2026-0001")
    assert h.texts(out) == said and await status(h) == "awaiting_verification"

    await h.say(ZHANG, "/five YH-2026-0001 时限=12月15日 预案=临时停用储罐并设警戒区")
    out = await h.say(MA, "/accept YH-2026-0001")
    assert "验收通过，已销号" in h.texts(out) and await status(h) == "closed"


async def test_accept_refuses_in_the_domain(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h, text="重大隐患 液氨储罐区压力表失效 限期 12月15日")
    await fix(h, card)
    async with h.app.db.unit_of_work() as s:
        hazard = await s.scalar(select(Hazard).where(Hazard.code == "YH-2026-0001"))
        manager = await s.scalar(select(Person).where(Person.external_id == "li"))
        assert hazard is not None and manager is not None
        with pytest.raises(Refused) as refused:
            await hazard_ops.accept(s, hazard, manager, h.clock.now())
        assert refused.value.reason == hazard_rules.Refusal.FIVE_INCOMPLETE
        assert hazard_rules.five_missing_keys(hazard) == [
            "responsible",
            "measures",
            "funds",
            "deadline",
            "plan",
        ]
    assert await status(h) == "awaiting_verification"


# --- 15. managers hear of a major hazard at once; an enterprise hears of a hazard filed for it -----------


async def test_managers_are_told_when_a_hazard_is_reported_as_major(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(
        ZHANG, "/hazard 重大隐患 液氨储罐区压力表失效 限期 12月15日", files=(h.add_file(jpeg(1)),)
    )
    alerts = [s for s in out if (s.reply.text or "").startswith("重大隐患提醒")]
    assert {s.chat.chat_id for s in alerts} == {"p-admin", "p-li", "p-ma"}
    assert alerts[0].reply.text == (
        "重大隐患提醒：YH-2026-0001（华油装备制造有限公司）液氨储罐区压力表失效，由 张伟 上报为重大隐患。"
        "发送 /hazard YH-2026-0001 查看详情。"
    )


async def test_managers_are_told_when_a_hazard_is_made_major(harness: Harness) -> None:
    h = harness
    await seed(h)
    card = await report(h)
    before = len(h.adapter.sent)
    await h.press(LI, card, "设为重大隐患")
    alerts = [s for s in h.adapter.sent[before:] if (s.reply.text or "").startswith("重大隐患提醒")]
    assert {s.chat.chat_id for s in alerts} == {"p-admin", "p-ma"}  # not the manager who did it
    assert "由 李干部 设为重大隐患" in (alerts[0].reply.text or "")

    # The enterprise may not make its major hazard general (managers were told it is major) ...
    out = await h.say(ZHANG, "/level YH-2026-0001 一般")
    assert "只有包片干部或检查专家可以改为一般隐患" in h.texts(out)
    # ... a manager may, and the other managers hear of it.
    out = await h.say(LI, "/level YH-2026-0001 一般")
    lowered = [s for s in out if "改为一般隐患" in (s.reply.text or "") and s.chat.chat_id.startswith("p-")]
    assert {s.chat.chat_id for s in lowered} == {"p-admin", "p-ma"}
    out = await h.say(ZHANG, "/level YH-2026-0001 重大")
    alerts = [s for s in out if (s.reply.text or "").startswith("重大隐患提醒")]
    assert {s.chat.chat_id for s in alerts} == {"p-admin", "p-li", "p-ma"}
    out = await h.say(ZHANG, "/level YH-2026-0001 重大")  # already major: no event, no alert
    assert not [s for s in out if (s.reply.text or "").startswith("重大隐患提醒")]


async def test_enterprise_leads_are_told_of_a_hazard_filed_for_them(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = await h.say(ZHAO, "/hazard 华油 二车间配电箱门未关闭 限期 12月10日", files=(h.add_file(jpeg(1)),))
    private = to(out, "p-zhang")
    assert len(private) == 2 and private[0].card is not None
    assert (
        private[0].card.title == "隐患 YH-2026-0001"
        and labels(private[0].card)["上报人"] == "赵工（检查发现）"
    )
    assert private[1].reply.text == "赵工（检查发现）为贵企业登记了隐患 YH-2026-0001，请按卡片安排整改。"
    assert not to(out, "p-liu")  # another enterprise's lead

    # The lead's copy is a live card: it follows the hazard.
    await h.say(ZHANG, "/due YH-2026-0001 立即整改")  # already set by the report: refused, card unchanged
    await fix(h, card_of(out))
    assert private[0].card is not None and private[0].card.status is not None
    assert private[0].card.status.text == "待验收"

    out = await h.say(ZHANG, "/hazard 车间地面油污 限期 12月20日", files=(h.add_file(jpeg(2)),))
    assert not to(out, "p-zhang")  # reported by the enterprise itself: the card is in the group
    out = await h.say(LI, "/hazard 宏达 冲床防护罩缺失 7天内", files=(h.add_file(jpeg(3)),))
    assert len(to(out, "p-liu")) == 2 and not to(out, "p-zhang")


async def test_storage_check_leaves_the_pictures_alone(harness: Harness) -> None:
    from datetime import timedelta

    from storage.files import check_photo_files

    h = harness
    await seed(h)
    root = h.app.settings.storage.photo_dir
    await fix(h, await report(h))
    pictures = list((root / "composites").iterdir())
    assert len(pictures) == 1
    found = await check_photo_files(h.app.db, root, h.clock.now(), fix=True, grace=timedelta(0))
    assert found.clean and not found.orphans and found.files == 2
    assert pictures[0].exists()
