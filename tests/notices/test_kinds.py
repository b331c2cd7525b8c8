"""Kinds of meetings and notices (issue #19): inferred from the title or the files' names, changed by the
issuer or a manager, kept in the history, counted in the summary and the digest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import FileRef
from domain.notices import rules
from domain.notices.rules import Refusal
from domain.outcome import Refused
from storage.enums import NoticeCategory as C
from storage.enums import NoticeKind, NoticeStatus
from storage.models import Notice, NoticeEvent
from tests.harness import GROUP, LI, MA, ZHANG, Harness, Sent, labels, seed

M, N = NoticeKind.MEETING, NoticeKind.NOTICE
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("kind", "title", "files", "expected"),
    [
        (M, "12月安全生产例会", (), C.REGULAR),
        (M, "安全生产工作会议", (), C.REGULAR),  # names no kind: a 例会
        (M, "消防安全百日攻坚动员会", (), C.MOBILISATION),
        (M, "安全生产大检查部署动员大会", (), C.MOBILISATION),
        (M, "危化品专题会", (), C.MOBILISATION),
        (M, "特种设备安全培训会", (), C.TRAINING),
        (M, "11月例会暨消防培训", (), C.REGULAR),  # a 例会 that also trains is still the monthly meeting
        (N, "关于做好元旦期间安全生产工作的通知", (), C.PLAIN),
        (N, "关于印发《消防安全百日攻坚行动方案》的通知", (), C.PLAN),  # the cover letter is not the kind
        (N, "关于印发安全生产大检查实施方案的通知", (), C.PLAN),
        (N, "园区生产安全事故应急预案", (), C.EMERGENCY_PLAN),
        (N, "关于印发《应急预案演练方案》的通知", (), C.PLAN),  # the noun it ends on
        (N, "安全生产奖惩制度", (), C.REGULATION),
        (N, "隐患排查治理管理办法", (), C.REGULATION),
        (N, "关于11月隐患整改情况的通报", (), C.BULLETIN),
        (N, "请查收附件", ("有限空间作业专项整治方案.pdf",), C.PLAN),
        (N, "请查收附件", ("防汛应急预案.docx", "签到表.xlsx"), C.EMERGENCY_PLAN),
        (N, "请查收附件", ("签到表.xlsx",), C.PLAIN),
        (N, "关于印发《值班制度》的通知", ("防汛方案.pdf",), C.REGULATION),  # 《…》 in the title comes first
        (N, "", (), C.PLAIN),
        (M, "", (), C.REGULAR),
    ],
)
def test_the_kind_is_inferred_from_the_title_or_the_files(
    kind: NoticeKind, title: str, files: tuple[str, ...], expected: C
) -> None:
    assert rules.infer_category(kind, title, files) == expected


def test_meetings_and_notices_have_their_own_kinds() -> None:
    assert rules.categories_of(M) == (C.REGULAR, C.MOBILISATION, C.TRAINING, C.OTHER)
    assert rules.categories_of(N) == (C.PLAIN, C.PLAN, C.EMERGENCY_PLAN, C.REGULATION, C.BULLETIN)
    assert rules.default_category(M) == C.REGULAR
    assert rules.default_category(N) == C.PLAIN


@pytest.mark.parametrize(
    ("kind", "status", "category", "refusal"),
    [
        (M, NoticeStatus.OPEN, C.MOBILISATION, None),
        (
            M,
            NoticeStatus.CANCELLED,
            C.OTHER,
            None,
        ),  # a cancelled meeting keeps its history, and its kind may be fixed
        (M, NoticeStatus.OPEN, C.PLAN, Refusal.WRONG_CATEGORY),
        (N, NoticeStatus.OPEN, C.PLAN, None),
        (N, NoticeStatus.OPEN, C.REGULAR, Refusal.WRONG_CATEGORY),
        (N, NoticeStatus.WITHDRAWN, C.PLAN, Refusal.WITHDRAWN),
    ],
)
def test_which_kind_may_be_set(
    kind: NoticeKind, status: NoticeStatus, category: C, refusal: Refusal | None
) -> None:
    notice = Notice(id=1, code="TZ-2026-01", kind=kind, status=status)
    if refusal is None:
        rules.check_category(notice, category)
    else:
        with pytest.raises(Refused) as caught:
            rules.check_category(notice, category)
        assert caught.value.reason == refusal


@pytest.mark.parametrize(
    ("category", "refusal"),
    [
        (C.MOBILISATION, None),
        (C.REGULAR, Refusal.CAMPAIGN_MOBILISATION),
        (C.TRAINING, Refusal.CAMPAIGN_MOBILISATION),
    ],
)
def test_only_a_mobilisation_meeting_is_linked_to_a_campaign(category: C, refusal: Refusal | None) -> None:
    notice = Notice(id=1, code="HY-2026-01", kind=M, status=NoticeStatus.OPEN)
    if refusal is None:
        rules.check_category(notice, category, campaign=True)
    else:
        with pytest.raises(Refused) as caught:
            rules.check_category(notice, category, campaign=True)
        assert caught.value.reason == refusal


# --- through the chat ----------------------------------------------------------------------------


def group_card(h: Harness, key: str) -> Sent:
    """Return the notice card the bot posted in the park group, as it stands now."""
    return next(s for s in reversed(h.adapter.sent) if s.chat == GROUP and s.card and s.card.key == key)


def category_of(h: Harness, key: str) -> str:
    card = group_card(h, key).card
    assert card is not None
    return labels(card)["类别"]


async def test_kinds_are_inferred_shown_changed_and_counted(harness: Harness, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    # Inferred from the title: the 《…方案》 a cover letter sends is a 方案.
    # Issued in private, the confirmation says the kind and how to change it; the group's card shows it.
    out = await h.say(
        LI, "/notice 关于印发《消防安全百日攻坚行动方案》的通知。请各企业认真落实。", Harness.private(LI)
    )
    assert "类别：方案（按标题自动识别）" in h.texts(out) and "/notice_kind TZ-2026-01 <类别>" in h.texts(out)
    assert category_of(h, "notice:1") == "方案"
    # Inferred from the attached file's name.
    file_id = "pdf-plan"
    h.adapter.files[file_id] = PDF
    pdf = FileRef(file_id, "document", len(PDF), "application/pdf", "防汛应急预案.pdf")
    out = await h.say(LI, "/notice 请查收附件", Harness.private(LI), files=(pdf,))
    assert "类别：预案（按标题和附件名自动识别）" in h.texts(out)
    assert category_of(h, "notice:2") == "预案"
    # The confirmation offers the other kinds as buttons; a lead pressing one (forged) is refused.
    confirmation = next(s for s in out if s.reply.text and "类别：预案" in s.reply.text)
    assert [b.label for row in confirmation.reply.buttons for b in row] == [
        "通知",
        "方案",
        "预案",
        "制度",
        "通报",
    ]
    refused = await h.press(ZHANG, confirmation, "通报")
    assert "这个操作需要以下身份之一" in (refused.toast or "")
    assert category_of(h, "notice:2") == "预案"
    pressed = await h.press(LI, confirmation, "方案")
    assert pressed.toast == "TZ-2026-02 的类别已改为“方案”" and category_of(h, "notice:2") == "方案"
    assert (
        await h.press(LI, confirmation, data="ntkind:2:party")
    ).toast == "这个按钮已失效或无效，没有做任何改动。"
    async with h.app.db.unit_of_work() as s:
        changed = (await s.scalars(select(NoticeEvent).where(NoticeEvent.action == "category"))).all()
        assert [e.data for e in changed] == [{"from": "emergency_plan", "to": "plan"}]
    await h.press(LI, confirmation, "通知")
    await h.press(LI, confirmation, "预案")
    assert (await h.press(LI, confirmation, "预案")).toast == "TZ-2026-02 的类别已经是“预案”，没有变化。"
    assert category_of(h, "notice:2") == "预案"
    await h.say(LI, "/notice 关于做好元旦期间安全生产工作的通知")
    assert category_of(h, "notice:3") == "通知"
    # Meetings: a 动员会 by its title, a 例会 by default.
    await h.say(LI, "/meeting 2026-12-02 09:00 管委会三楼会议室 消防安全百日攻坚动员会")
    assert category_of(h, "notice:4") == "动员会（专题会）"
    await h.say(LI, "/meeting 2026-12-03 09:00 管委会三楼会议室 12月安全生产例会")
    assert category_of(h, "notice:5") == "例会"
    # A 动员会 is linked to the campaign it mobilises for; only a 动员会 is.
    await h.say(LI, "/campaign 消防安全百日攻坚 2026-12-31 全面排查消防设施")
    out = await h.say(LI, "/notice_kind HY-2026-01 动员会 ZX-2026-01")
    assert "已把 HY-2026-01 关联到专项行动 ZX-2026-01 消防安全百日攻坚" in h.texts(out)
    card = group_card(h, "notice:4").card
    assert card is not None and labels(card)["专项行动"] == "ZX-2026-01 消防安全百日攻坚"
    assert "李干部关联了专项行动 ZX-2026-01" in labels(card)["更正记录"]
    said = h.texts(await h.say(LI, "/notice_kind HY-2026-02 例会 ZX-2026-01"))
    assert "只有动员会（专题会）可以关联专项行动" in said
    assert "没有找到专项行动“ZX-2026-09”" in h.texts(
        await h.say(LI, "/notice_kind HY-2026-01 动员会 ZX-2026-09")
    )
    assert "已经是“动员会（专题会）”" in h.texts(
        await h.say(LI, "/notice_kind HY-2026-01 动员会")
    )  # the link stays
    assert "专项行动" in labels(group_card(h, "notice:4").card)  # type: ignore[arg-type]

    # A lead may not change a kind (nor anyone who may not send notices): nothing changes.
    refused = h.texts(await h.say(ZHANG, "/notice_kind TZ-2026-03 通报"))
    assert "这个操作需要以下身份之一：管理员、包片干部" in refused
    assert category_of(h, "notice:3") == "通知"

    # Another manager changes it, with the Chinese command; the card says so, the history keeps it.
    out = await h.say(MA, "/通知类别 TZ-2026-03 制度")
    assert "已把 TZ-2026-03（关于做好元旦期间安全生产工作的通知）的类别从“通知”改为“制度”" in h.texts(out)
    card = group_card(h, "notice:3").card
    assert card is not None and labels(card)["类别"] == "制度"
    assert "马科长把类别改为“制度”" in labels(card)["更正记录"]
    async with h.app.db.unit_of_work() as s:
        event = (await s.scalars(select(NoticeEvent).where(NoticeEvent.action == "category"))).all()[-1]
        assert event.data == {"from": "plain", "to": "regulation"}
    # Bad words get a clear answer with what may be written; a repeat changes nothing.
    wrong = h.texts(await h.say(LI, "/notice_kind TZ-2026-03 动员会"))
    assert "TZ-2026-03 是通知，类别只能是：通知、方案、预案、制度、通报" in wrong
    unknown = h.texts(await h.say(LI, "/notice_kind TZ-2026-03 会餐"))
    assert "没有读懂类别“会餐”" in unknown and "用法：/notice_kind" in unknown
    assert "已经是“制度”" in h.texts(await h.say(LI, "/notice_kind TZ-2026-03 办法"))
    assert "用法：/notice_kind" in h.texts(await h.say(LI, "/notice_kind TZ-2026-03"))
    # As a reply to the card, without the code: the 例会 was really a 培训会.
    meeting_card = group_card(h, "notice:5")
    await h.say(LI, "/notice_kind 培训会", reply_to=meeting_card.message_id)
    assert category_of(h, "notice:5") == "培训会"

    # Counted by kind: the summary, the weekly digest.
    clock.set(clock.now() + timedelta(days=5))
    summary = h.texts(await h.say(LI, "/summary 2026", Harness.private(LI)))
    assert "召开安全生产例会 0 次、动员会（专题会） 1 次、培训会 1 次" in summary
    assert "印发方案 1 件、预案 1 件、制度 1 件，发布通知 0 份" in summary
    assert "召开动员会、专题会（次）：1" in summary and "印发方案（件）：1" in summary
    week = h.texts(await h.say(LI, "/week 2026-W49", Harness.private(LI)))
    assert "召开会议 2 次（动员会（专题会） 1 次、培训会 1 次）" in week
    assert "发布通知 0 份，印发方案 1 件、预案 1 件、制度 1 件" in week

    # The export has a sheet of meetings and documents by kind, then each one with its kind.
    out = await h.say(LI, "/export 2026", Harness.private(LI))
    doc = next(s for s in out if s.reply.documents)
    sheet = load_workbook(doc.reply.documents[0])["会议与文件"]
    rows = [tuple(c for c in r if c is not None) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert ("会议：例会（次）", 0) in rows and ("会议：动员会（专题会）（次）", 1) in rows
    assert ("会议：培训会（次）", 1) in rows and ("文件：方案（件）", 1) in rows
    assert (
        ("文件：预案（件）", 1) in rows
        and ("文件：制度（件）", 1) in rows
        and ("文件：通知（件）", 0) in rows
    )
    assert ("TZ-2026-03", "制度", "关于做好元旦期间安全生产工作的通知", "2026-11-30") in rows
    assert ("HY-2026-01", "动员会（专题会）", "消防安全百日攻坚动员会", "2026-12-02") in rows
