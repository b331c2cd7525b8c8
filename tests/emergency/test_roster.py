"""The emergency command's roster through the neutral core: admins keep it by command and by an Excel file
(and the CSV import on the command line), managers list it privately, anyone with a role asks /emergency
privately; a group never sees a phone number."""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import func, select

from bot.cli import _import_roster
from bot.clock import ManualClock
from bot.messages import FileRef
from storage.models import EmergencyMember
from tests.harness import ADMIN, CHEN, LI, XIAO, ZHANG, ZHAO, Harness, Sent, add_document, seed

PHONE = re.compile(r"\d{5,}")  # any phone-like run of digits (119 / 120 / 110 are public, and shorter)

ADDS = (
    "/roster add 王主任 办公室主任 管委会应急科 13800000001 0546-8888001 办公室 代理人：李干部",
    "/roster add 张伟 总指挥 华油装备制造有限公司 13800000002 值班：1",
    "/roster add 刘芳 副总指挥 宏达机械有限公司 13800000003 值班：2 代理人：孙强",
    "/roster add 钱七 成员 管委会 13800000004",
)


def group_phones(sent: list[Sent]) -> list[str]:
    """Return every phone-like number in what went to a group (texts and cards)."""
    found: list[str] = []
    for s in sent:
        if not s.chat.is_group:
            continue
        parts = [s.reply.text or ""]
        if s.card is not None:
            parts += [s.card.title, *(f.value for f in s.card.fields)]
        found += PHONE.findall(" ".join(parts))
    return found


async def keep_roster(h: Harness) -> None:
    """Add the four members of the examples as the admin, privately."""
    for line in ADDS:
        out = h.texts(await h.say(ADMIN, line, Harness.private(ADMIN)))
        assert "已录入应急救援指挥部成员" in out, out


async def count_members(h: Harness) -> int:
    async with h.app.db.reading() as s:
        return await s.scalar(select(func.count()).select_from(EmergencyMember).where(EmergencyMember.removed_at.is_(None))) or 0


async def test_admins_keep_the_roster_and_bad_input_is_explained(harness: Harness) -> None:
    h = harness
    await seed(h)
    # Only admins keep it; a manager is told so, a lead is refused by the permission table.
    assert "需要管理员身份" in h.texts(await h.say(LI, ADDS[0], Harness.private(LI)))
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHANG, "/roster", Harness.private(ZHANG)))
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHAO, "/应急名单"))

    # Each mistake gets a Chinese answer saying what is wrong and how to write it.
    me = Harness.private(ADMIN)
    assert "缺少指挥部职务" in h.texts(await h.say(ADMIN, "/roster add 王强", me))
    assert "请至少写一个电话" in h.texts(await h.say(ADMIN, "/roster add 王强 总指挥 管委会", me))
    assert "电话看不懂" in h.texts(await h.say(ADMIN, "/roster add 王强 总指挥 管委会 12", me))
    assert "看不懂「乱写」" in h.texts(await h.say(ADMIN, "/roster add 王强 总指挥 管委会 13800000009 乱写", me))
    assert "值班顺序写 1 到 99" in h.texts(await h.say(ADMIN, "/roster add 王强 总指挥 管委会 13800000009 值班：0", me))
    assert "/roster add <姓名>" in h.texts(await h.say(ADMIN, "/roster 乱写", me))
    assert await count_members(h) == 0

    await keep_roster(h)
    assert await count_members(h) == 4
    # Members are linked by their exact chat name; 钱七 has no chat account.
    again = h.texts(await h.say(ADMIN, "/roster add 张伟 总指挥 华油 13800000012 值班：1", me))
    assert "已修改" in again and "已关联聊天账号：张伟" in again

    # The list is private (with phones); asked in the group, the group sees no number.
    out = await h.say(LI, "/roster")
    assert group_phones(out) == [] and "名单已私聊发给您" in h.texts(out)
    listed = h.texts([s for s in out if s.chat.chat_id == "p-li"])
    assert "应急救援指挥部（4 人）" in listed and "13800000001、0546-8888001" in listed
    assert "1. 张伟｜总指挥｜华油｜13800000012" in listed
    assert "未关联聊天账号（1 人" in listed and "钱七" in listed

    # Link 钱七 to 小周's chat account by name, take it back; remove a member.
    assert "已将 钱七 关联到聊天账号 小周" in h.texts(await h.say(ADMIN, "/roster link 钱七 小周", me))
    assert "已关联到成员 钱七" in h.texts(await h.say(ADMIN, "/roster link 刘芳 小周", me))
    assert "没有找到聊天账号「某某」" in h.texts(await h.say(ADMIN, "/roster link 钱七 某某", me))
    assert "已取消 钱七 的聊天账号关联" in h.texts(await h.say(ADMIN, "/roster link 钱七 取消", me))
    assert "没有「孙七」" in h.texts(await h.say(ADMIN, "/roster remove 孙七", me))
    assert "已将 钱七 移出" in h.texts(await h.say(ADMIN, "/roster remove 钱七", me))
    assert await count_members(h) == 3
    # Added again, the removed member comes back.
    assert "已录入" in h.texts(await h.say(ADMIN, ADDS[3], me))
    assert await count_members(h) == 4


async def test_emergency_answers_privately_and_never_posts_phones_in_a_group(harness: Harness) -> None:
    h = harness
    await seed(h)
    assert "还没有录入" in h.texts(await h.say(ZHANG, "/emergency"))
    await keep_roster(h)
    # Who to call first, privately: the office, then the on-duty chain in its order, with deputies.
    out = await h.say(ZHANG, "/emergency")
    assert group_phones(out) == [] and "已私聊发给您" in h.texts(out)
    said = h.texts([s for s in out if s.chat.chat_id == "p-zhang"])
    office, chain = said.index("应急办（负责协调）"), said.index("值班顺序")
    assert office < said.index("王主任（办公室主任，管委会应急科）：13800000001、0546-8888001；联系不上找 李干部") < chain
    assert said.index("1. 张伟") < said.index("2. 刘芳（副总指挥，宏达机械有限公司）：13800000003；联系不上找 孙强")
    assert "钱七" not in said  # neither in the office nor on the duty chain
    # Someone the bot cannot write to privately is asked to write privately; nothing leaks in the group.
    out = await h.say(CHEN, "/应急")
    assert group_phones(out) == [] and "只私聊发送" in h.texts(out)
    # In a private chat it answers there; a stranger gets nothing.
    assert "13800000002" in h.texts(await h.say(CHEN, "/emergency", Harness.private(CHEN)))
    assert "13800000002" not in h.texts(await h.say(XIAO, "/emergency", Harness.private(XIAO)))


def roster_xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


HEADER = ["姓名", "职务", "单位", "电话", "代理人", "办公室", "值班顺序", "账号"]


async def test_an_excel_roster_is_imported_whole_or_not_at_all(harness: Harness) -> None:
    h = harness
    await seed(h)
    me = Harness.private(ADMIN)
    assert "请随 /roster import 发送名单文件（Excel .xlsx 或 CSV" in h.texts(await h.say(ADMIN, "/roster import", me))
    # A line with a bad phone: nothing of the file is kept, and the line is named.
    bad = roster_xlsx([HEADER, ["王主任", "办公室主任", "管委会", 13800000001, "", "是", "", ""], ["张伟", "总指挥", "华油", "12", "", "否", 1, ""]])
    out = h.texts(await h.say(ADMIN, "/roster import", me, files=(add_document(h, bad, "名单.xlsx"),)))
    assert "名单没有导入（名单第 3 行：电话看不懂" in out and await count_members(h) == 0
    no_phone_column = roster_xlsx([["姓名", "职务", "单位"], ["王主任", "办公室主任", "管委会"]])
    out = h.texts(await h.say(ADMIN, "/roster import", me, files=(add_document(h, no_phone_column, "名单.xlsx"),)))
    assert "第一行缺少「电话」列" in out
    unknown = roster_xlsx([HEADER, ["钱七", "成员", "管委会", "13800000004", "", "", "", "@nobody"]])
    out = h.texts(await h.say(ADMIN, "/roster import", me, files=(add_document(h, unknown, "名单.xlsx"),)))
    assert "名单第 2 行：账号「@nobody」没有找到" in out and await count_members(h) == 0
    # A good file: numbers Excel stored as numbers keep no ".0"; accounts by chat name are linked.
    good = roster_xlsx(
        [
            HEADER,
            ["王主任", "办公室主任", "管委会应急科", 13800000001, "李干部", "是", None, None],
            ["张伟", "总指挥", "华油", "13800000002、0546-8888002", None, "否", 1, None],
            ["某甲", "成员", "宏达", "13800000005", None, None, 2, "刘芳"],
            ["钱七", "成员", "管委会", "13800000004", None, None, None, None],
        ]
    )
    out = h.texts(await h.say(LI, "/roster import", Harness.private(LI), files=(add_document(h, good, "名单.xlsx"),)))
    assert "需要管理员身份" in out and await count_members(h) == 0
    out = h.texts(await h.say(ADMIN, "/roster import", me, files=(add_document(h, good, "名单.xlsx"),)))
    assert "新增 4 人，修改 0 人，现共 4 人" in out and "未关联聊天账号（1 人" in out and "钱七" in out
    listed = h.texts(await h.say(ADMIN, "/roster", me))
    assert "王主任｜办公室主任｜管委会应急科｜13800000001｜代理人：李干部｜应急办｜已关联 王主任" in listed
    assert "13800000002、0546-8888002" in listed and "某甲｜成员｜宏达｜13800000005｜已关联 刘芳" in listed
    # Imported again: changed, not doubled.
    out = h.texts(await h.say(ADMIN, "/roster import", me, files=(add_document(h, good, "名单2.xlsx"),)))
    assert "新增 0 人，修改 4 人，现共 4 人" in out


async def test_the_command_line_imports_a_gbk_csv(harness: Harness, tmp_path: Path, clock: ManualClock) -> None:
    h = harness
    await seed(h)
    path = tmp_path / "roster.csv"
    path.write_bytes("姓名,职务,单位,电话,值班顺序\n张伟,总指挥,华油,13800000002,1\n孙强,成员,宏达,0546-8888003,\n".encode("gbk"))
    await _import_roster(h.app.settings, path)
    assert await count_members(h) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,职务,单位,电话\n张伟,总指挥,华油,\n", encoding="utf-8")
    try:
        await _import_roster(h.app.settings, bad)
    except ValueError as exc:
        assert "line 2" in str(exc) and "nothing was imported" in str(exc)
    else:
        raise AssertionError("a line without a phone was imported")


async def test_a_csv_roster_sent_in_the_chat_is_imported(harness: Harness) -> None:
    h = harness
    await seed(h)
    me = Harness.private(ADMIN)
    data = "姓名,职务,单位,电话,办公室\n王主任,办公室主任,管委会应急科,13800000001,是\n张伟,总指挥,华油,13800000002,否\n"
    ref = h.add_file(data.encode("gbk"))
    csv_ref = FileRef(ref.file_id, "document", len(data.encode("gbk")), "text/csv", "名单.csv")
    out = h.texts(await h.say(ADMIN, "/roster import", me, files=(csv_ref,)))
    assert "已导入应急救援指挥部名单：新增 2 人，修改 0 人，现共 2 人" in out
    assert await count_members(h) == 2
