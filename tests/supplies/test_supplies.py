"""Emergency supplies (应急物资) through the neutral core: a manager adds items, a lead checks their own with a
photo (stored before the bot answers), a check falls due and then overdue by the manual clock (the
responsible person reminded once, then the managers told), the digest lists what falls due, the export has
a supplies sheet, and a list is imported from Excel (all rows or none)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.supply_table import CsvError, read_supplies
from domain.supplies import operations as supply_ops
from domain.supplies import queries as supply_queries
from storage.models import BroadcastFile, Photo, Supply, SupplyCheck
from tests.harness import (
    CHEN,
    LI,
    LIU,
    XLSX_TYPE,
    ZHANG,
    ZHAO,
    Harness,
    add_document,
    jpeg,
    seed,
)

ADD = "/supply add 灭火器 20具 华油 二车间 每月 负责人 张伟"


@pytest.fixture
async def both(any_db_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Harness]:
    """A harness on SQLite and on PostgreSQL (the check locks its row there)."""
    async with Harness.running(any_db_url, tmp_path, clock) as h:
        yield h


def workbook(rows: list[list[object]]) -> bytes:
    """Make a real .xlsx with these rows (the first is the header)."""
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)  # type: ignore[union-attr]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def item(h: Harness, supply_id: int = 1) -> Supply:
    async with h.app.db.reading() as s:
        found = await supply_queries.get(s, supply_id)
        assert found is not None
        return found


async def test_add_list_and_who_may(harness: Harness) -> None:
    h = harness
    await seed(h)
    out = h.texts(await h.say(LI, ADD))
    assert "已登记应急物资 WZ-001" in out and "华油装备制造有限公司 二车间" in out
    assert "每月检查" in out and "下次检查 2026-12-30（还有 30 天）" in out and "负责人 张伟" in out
    # The same item at the same place again updates it; a park-store item by expiry date only.
    assert "已更新应急物资 WZ-001" in h.texts(await h.say(LI, "/supply add 灭火器 24具 华油 每月"))
    assert (await item(h)).quantity == 24 and (await item(h)).responsible_id is not None  # 张伟 kept
    out = h.texts(await h.say(LI, "/物资 add 救援绳 5根 园区仓库 一号库 有效期至 2027-03-01"))
    assert "WZ-002" in out and "园区仓库 一号库" in out and "有效期至 2027-03-01" in out
    # Wrong input says what was wrong and how to write it.
    said = h.texts(await h.say(LI, "/supply add 铁锹 园区仓库 每月"))
    assert "没有写“铁锹”的数量" in said and "例如：/supply add 灭火器 20具 园区仓库" in said
    assert "既不是园区仓库" in h.texts(await h.say(LI, "/supply add 铁锹 10把 火星基地 每月"))
    assert "检查周期" in h.texts(await h.say(LI, "/supply add 铁锹 10把 园区仓库"))
    # Only managers keep the list; an inspector and a lead are told so.
    assert "需要管理员或包片干部身份" in h.texts(await h.say(ZHAO, "/supply add 铁锹 10把 园区仓库 每月"))
    assert "需要管理员或包片干部身份" in h.texts(await h.say(ZHANG, "/supply add 铁锹 10把 华油 每月"))
    # The list: a lead sees their own enterprise's and the park store's; 宏达's lead does not see 华油's.
    listed = h.texts(await h.say(ZHANG, "/supplies", Harness.private(ZHANG)))
    assert "应急物资清单（2 项，共 29 件）" in listed and "WZ-001 灭火器" in listed and "WZ-002 救援绳" in listed
    listed = h.texts(await h.say(LIU, "/应急物资", Harness.private(LIU)))
    assert "WZ-001" not in listed and "WZ-002" in listed
    assert "找不到应急物资“WZ-001”" in h.texts(await h.say(LIU, "/supply WZ-001", Harness.private(LIU)))
    # Asked in the group, the list goes privately.
    out = await h.say(LI, "/supplies")
    assert [s.chat.chat_id for s in out] == ["p-li", "group"] and "清单已私聊发给您" in h.texts(out)
    assert "请先私聊我发送 /start" in h.texts(await h.say(CHEN, "/supplies"))


async def test_a_check_with_a_photo_moves_the_due_date(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, ADD)
    # A member and an inspector may not record checks; 宏达's lead not 华油's item.
    assert "这个操作需要以下身份之一" in h.texts(await h.say(CHEN, "/check WZ-001", files=(h.add_file(jpeg(1)),)))
    assert "这个操作需要以下身份之一" in h.texts(await h.say(ZHAO, "/check WZ-001", files=(h.add_file(jpeg(1)),)))
    said = h.texts(await h.say(LIU, "/check WZ-001", files=(h.add_file(jpeg(1)),)))
    assert "找不到应急物资“WZ-001”" in said  # 宏达's lead does not see 华油's items
    await h.say(LI, "/supply add 铁锹 10把 园区仓库 每季度")
    said = h.texts(await h.say(ZHANG, "/check WZ-002", files=(h.add_file(jpeg(1)),)))
    assert "WZ-002 存放在园区仓库，您不能记录它的检查" in said
    assert "找不到应急物资“担架”" in h.texts(await h.say(ZHANG, "/check 担架", files=(h.add_file(jpeg(2)),)))
    # 张伟 checks by name with a photo as the caption's message: the next check is a month on.
    h.clock.set(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
    out = await h.say(ZHANG, "/物资检查 灭火器 压力正常，铅封完好", files=(h.add_file(jpeg(3)),))
    assert "已记录 WZ-001 灭火器 的检查（照片 1 张）。下次检查 2027-01-10（还有 31 天）。" in h.texts(out)
    async with h.app.db.reading() as s:
        check = (await s.scalars(select(SupplyCheck))).one()
        assert check.note == "压力正常，铅封完好" and check.next_check == date(2027, 1, 10)
        linked = (await s.scalars(select(BroadcastFile).where(BroadcastFile.owner_kind == "supply_check"))).one()
        photo = await s.get(Photo, linked.photo_id)
        assert photo is not None
    stored = h.app.settings.storage.photo_dir / photo.path
    assert stored.read_bytes() == jpeg(3)  # the photo is on disk, as the hazard photos are
    shown = h.texts(await h.say(LI, "/supply WZ-001"))
    assert "2026-12-10 10:00 张伟：压力正常，铅封完好" in shown
    # A manager records a check of the replaced item with its new expiry date; 张伟 hears of it.
    out = await h.say(LI, "/check WZ-001 已更换 有效期至 2027-01-05", files=(h.add_file(jpeg(4)),))
    assert "有效期至 2027-01-05" in h.texts(out)
    assert any(s.chat.chat_id == "p-zhang" and "李干部 已记录 WZ-001" in (s.reply.text or "") for s in out)
    # Without a photo the bot asks for one; words are not a photo; the next photo records the check.
    private = Harness.private(ZHANG)
    said = h.texts(await h.say(ZHANG, "/check WZ-001 压力正常", private))
    assert "请发送 WZ-001 灭火器 的现场照片" in said
    assert "需要附现场照片" in h.texts(await h.say(ZHANG, "好的", private))
    said = h.texts(await h.say(ZHANG, "", private, files=(h.add_file(jpeg(8)),)))
    assert "已记录 WZ-001 灭火器 的检查（照片 1 张）" in said
    # An album: the check takes its first photo with the caption, the rest join it quietly.
    album = (h.add_file(jpeg(9)), h.add_file(jpeg(10)))
    await h.say(ZHANG, "/check WZ-001 铅封完好", private, files=album[:1], media_group_id="a1")
    assert await h.say(ZHANG, "", private, files=album[1:], media_group_id="a1") == []
    async with h.app.db.reading() as s:
        checks = (await s.scalars(select(SupplyCheck).order_by(SupplyCheck.id))).all()
        assert [c.note for c in checks] == ["压力正常，铅封完好", "已更换", "压力正常", "铅封完好"]
        linked = await s.scalars(
            select(BroadcastFile).where(BroadcastFile.owner_kind == "supply_check", BroadcastFile.owner_id == checks[-1].id)
        )
        assert len(linked.all()) == 2


async def test_a_check_falls_due_then_overdue(both: Harness) -> None:
    h = both
    await seed(h)
    await h.say(LI, ADD)  # next check 2026-12-30
    assert await h.remind(datetime(2026, 12, 22, 2, 0, tzinfo=UTC)) == []  # 8 days before: not yet
    out = await h.remind(datetime(2026, 12, 23, 2, 0, tzinfo=UTC))  # 7 days before, 10:00 in the park
    assert [s.chat.chat_id for s in out] == ["p-zhang"]
    assert "WZ-001 灭火器 20具（华油装备制造有限公司 二车间）将于 2026-12-30 检查，还有 7 天" in h.texts(out)
    assert await h.remind(datetime(2026, 12, 23, 5, 0, tzinfo=UTC)) == []  # once
    assert await h.remind(datetime(2026, 12, 29, 2, 0, tzinfo=UTC)) == []  # once per due day, not daily
    assert await h.remind(datetime(2026, 12, 30, 16, 0, tzinfo=UTC)) == []  # 00:00 on the 31st: quiet hours
    out = await h.remind(datetime(2026, 12, 31, 1, 0, tzinfo=UTC))  # 09:00: a day overdue
    managers = [s for s in out if "应急物资逾期" in (s.reply.text or "")]
    assert sorted(s.chat.chat_id for s in managers) == ["p-admin", "p-li", "p-ma"]
    assert "已逾期 1 天。负责人：张伟" in h.texts(managers)
    keeper = [s for s in out if s.chat.chat_id == "p-zhang"]
    assert keeper and "已逾期 1 天" in h.texts(keeper)
    assert await h.remind(datetime(2026, 12, 31, 3, 0, tzinfo=UTC)) == []  # told once
    # The check moves the due day; the next one is reminded again when it comes near.
    await h.say(ZHANG, "/check WZ-001", files=(h.add_file(jpeg(5)),))
    assert await h.remind(datetime(2027, 1, 2, 2, 0, tzinfo=UTC)) == []
    out = await h.remind(datetime(2027, 1, 24, 2, 0, tzinfo=UTC))  # 2027-01-31 is 7 days away
    assert [s.chat.chat_id for s in out] == ["p-zhang"] and "2027-01-31" in h.texts(out)


async def test_a_park_store_item_without_a_keeper_reminds_the_managers(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, "/supply add 对讲机 6部 园区仓库 有效期至 2026-12-05")
    out = await h.remind(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 4 days before the expiry
    assert sorted(s.chat.chat_id for s in out) == ["p-admin", "p-li", "p-ma"]
    assert "将于 2026-12-05 有效期到期（需更换）" in h.texts(out)


async def test_many_items_falling_due_together_make_one_message_per_person(harness: Harness) -> None:
    h = harness
    await seed(h, private=("admin", "li", "ma", "liu"))  # 张伟 never wrote to the bot privately
    for name in ("灭火器 20具", "安全帽 50顶", "手电 10支"):
        await h.say(LI, f"/supply add {name} 华油 每月 负责人 张伟")
    await h.say(LI, "/supply add 铁锹 8把 宏达 每月 负责人 刘芳")
    await h.say(LI, "/supply add 雨具 8套 宏达 每月 负责人 刘芳")
    out = await h.remind(datetime(2026, 12, 24, 2, 0, tzinfo=UTC))  # all due 2026-12-30
    assert [s.chat.chat_id for s in out] == ["group", "p-liu"]
    assert "张伟，应急物资 WZ-001、WZ-002、WZ-003 的检查" in h.texts(out[:1])  # codes only, never the enterprise
    assert "华油" not in h.texts(out[:1])
    said = h.texts(out[1:])
    assert "您负责的 2 项应急物资 7 天内到期" in said and "WZ-004 铁锹" in said and "WZ-005 雨具" in said
    out = await h.remind(datetime(2026, 12, 31, 2, 0, tzinfo=UTC))
    managers = [s for s in out if s.chat.chat_id == "p-li"]
    assert len(managers) == 1 and "应急物资逾期 5 项" in h.texts(managers)


async def test_the_digest_lists_what_falls_due_and_the_export_has_a_sheet(harness: Harness) -> None:
    from openpyxl import load_workbook

    h = harness
    await seed(h)
    await h.say(LI, ADD)  # 2026-12-30: within 30 days
    await h.say(LI, "/supply add 雨具 30套 园区仓库 每年")  # 2027-11-30: not
    await h.say(ZHANG, "/check WZ-001 正常", files=(h.add_file(jpeg(6)),))
    await h.say(LI, "/supply add 破窗器 10个 宏达 有效期至 2026-12-20")
    digest = h.texts(await h.say(LI, "/week", Harness.private(LI)))
    assert "应急物资 30 天内到期 2 项" in digest
    assert "WZ-003 破窗器（宏达机械有限公司）有效期到期（需更换） 2026-12-20" in digest
    assert "WZ-001 灭火器（华油装备制造有限公司）检查 2026-12-30" in digest and "雨具" not in digest
    assert digest.index("应急物资") < digest.index("详情：")  # a section of its own before the footer
    out = await h.say(LI, "/export 2026", Harness.private(LI))
    doc = next(s for s in out if s.reply.documents)
    ws = load_workbook(doc.reply.documents[0])["应急物资"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0][:10] == (
        "WZ-002", "雨具", 30, "套", "园区仓库", "每年检查", None, "2027-11-30", "正常", None,
    )  # fmt: skip
    huayou = next(r for r in rows if r[0] == "WZ-001")
    assert huayou[8] == "30天内到期" and huayou[9] == "张伟" and huayou[10] == "2026-11-30 09:00" and huayou[11] == 1
    assert huayou[12] == "查看照片（1 张）"


async def test_an_excel_list_is_imported_all_or_nothing(both: Harness) -> None:
    h = both
    await seed(h)
    header = ["名称", "数量", "单位", "存放地点", "检查周期", "有效期", "上次检查", "负责人"]
    good = workbook(
        [
            header,
            ["灭火器", 40, "具", "园区仓库 一号库", "每月", None, "2026-11-20", "李干部"],
            ["安全帽", 100, "顶", "华油", None, datetime(2028, 6, 30), None, "张伟"],  # noqa: DTZ001
            ["手电", "12", "支", "宏达 门卫室", "每季度", None, None, None],
        ]
    )
    bad = workbook([header, ["铁锹", 10, "把", "园区仓库", "每周", None, None, None]])
    said = h.texts(await h.say(ZHANG, "/supply import", files=(add_document(h, good, "物资.xlsx", XLSX_TYPE),)))
    assert "需要管理员或包片干部身份" in said
    said = h.texts(await h.say(LI, "/supply import", files=(add_document(h, bad, "坏.xlsx", XLSX_TYPE),)))
    assert "第 2 行的“检查周期”不对（每周）" in said and "没有导入任何一行" in said
    assert "请随Excel表" in h.texts(await h.say(LI, "/supply import"))
    said = h.texts(await h.say(LI, "/supply import", files=(add_document(h, good, "物资.xlsx", XLSX_TYPE),)))
    assert "已导入《物资.xlsx》：新增 3 项，更新 0 项" in said
    async with h.app.db.reading() as s:
        items = {i.name: i for i in await supply_queries.listed(s)}
    assert items["灭火器"].next_check == date(2026, 12, 20)  # a month after the last check
    assert items["安全帽"].expires_on == date(2028, 6, 30) and items["安全帽"].enterprise_id is not None
    assert items["手电"].place == "门卫室" and items["手电"].next_check == date(2027, 2, 28)
    said = h.texts(await h.say(LI, "/supply import", files=(add_document(h, good, "物资2.xlsx", XLSX_TYPE),)))
    assert "新增 0 项，更新 3 项" in said  # the same list again updates
    # A CSV sent in the chat (GBK, as Excel saves it on a Chinese Windows) is imported the same way.
    data = "名称,数量,存放地点,检查周期,负责人\n救援绳,5根,园区仓库,每半年,\n".encode("gbk")
    said = h.texts(await h.say(LI, "/supply import", files=(add_document(h, data, "物资.csv", "text/csv"),)))
    assert "已导入《物资.csv》：新增 1 项，更新 0 项" in said


async def test_a_csv_list_for_the_cli_and_a_row_naming_nobody(harness: Harness, tmp_path: Path) -> None:
    h = harness
    await seed(h)
    path = tmp_path / "supplies.csv"
    path.write_bytes("名称,数量,存放地点,检查周期,负责人\n救援绳,5根,园区仓库,每半年,\n".encode("gbk"))
    rows = read_supplies(path)
    assert rows[0]["quantity"] == 5 and rows[0]["unit"] == "根" and rows[0]["cycle"] == "half_yearly"
    now = h.clock.now()
    async with h.app.db.unit_of_work() as s:
        assert await supply_ops.import_rows(s, rows, None, now, date(2026, 11, 30)) == (1, 0)
    nobody = tmp_path / "nobody.csv"
    nobody.write_text("名称,数量,存放地点,检查周期,负责人\n铁锹,5,园区仓库,每月,王五\n", encoding="utf-8")
    try:
        async with h.app.db.unit_of_work() as s:
            await supply_ops.import_rows(s, read_supplies(nobody), None, now, date(2026, 11, 30))
        raise AssertionError("imported a row naming nobody")
    except Exception as exc:  # Refused: nothing kept
        assert getattr(exc, "detail", {}).get("line") == 2
    empty = tmp_path / "empty.csv"
    empty.write_text("数量\n5\n", encoding="utf-8")
    try:
        read_supplies(empty)
        raise AssertionError("read a file without names")
    except CsvError as exc:
        assert exc.line == 1 and exc.column == "header"
    async with h.app.db.reading() as s:
        assert [i.name for i in await supply_queries.listed(s)] == ["救援绳"]


async def test_the_year_end_summary_reads_the_supplies_status(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, ADD)  # due 2026-12-30
    await h.say(LI, "/supply add 救援绳 5根 园区仓库 有效期至 2026-11-20")  # overdue already... refused? no: kept
    await h.say(LI, "/supply add 雨具 30套 园区仓库 每年")
    await h.say(ZHANG, "/check WZ-001", files=(h.add_file(jpeg(7)),))
    start, end = datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC)
    async with h.app.db.reading() as s:
        status = await supply_queries.supplies_status(s, start, end, date(2026, 12, 1))
    assert status == supply_queries.SuppliesStatus(
        items=3, pieces=55, checks=1, up_to_date=1, due_soon=1, overdue=1
    )
