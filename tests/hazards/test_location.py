"""A hazard's location (部位, issue 19 item 8): read from the caption, asked once of an inspector's find,
set with /location, shown on the card and the detail, sealed in the ledger chain; an enterprise name
typed before the description is not left in it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from domain.hazards import chain
from domain.hazards.rules import asks_location
from domain.reports.rules import FoundBy, found_by
from handlers import texts as T
from handlers.hazards.text import implied_location, parse_hazard_text, without_enterprise
from storage.db import Database, upgrade
from tests.harness import (
    LI,
    ZHANG,
    ZHAO,
    Harness,
    Sent,
    card_of,
    hazard_by_code,
    insert_old_hazard,
    jpeg,
    labels,
)

TODAY = date(2026, 12, 1)
NAMES = ("胜利机械有限公司", "胜利机械", "华油")

# caption → (description, location)
CAPTIONS = {
    "位置：二车间配电室 配电箱门未关闭": ("配电箱门未关闭", "二车间配电室"),
    "位置: 二车间配电室，配电箱门未关闭 限期 12月10日": ("配电箱门未关闭", "二车间配电室"),
    "配电箱门未关闭，部位：3号罐区": ("配电箱门未关闭", "3号罐区"),
    "地点：成品库 灭火器过期": ("灭火器过期", "成品库"),
    "二车间配电室 配电箱门未关闭": ("二车间配电室 配电箱门未关闭", "二车间配电室"),
    "二车间配电室，配电箱门未关闭": ("二车间配电室，配电箱门未关闭", "二车间配电室"),
    "液氨罐区 压力表失效 立即整改": ("液氨罐区 压力表失效", "液氨罐区"),
    "办公楼三层 疏散指示灯不亮": ("办公楼三层 疏散指示灯不亮", "办公楼三层"),
    # no label and no place word set apart: no guess
    "二车间配电箱门未关闭": ("二车间配电箱门未关闭", ""),
    "消防通道 堆放杂物": ("消防通道 堆放杂物", ""),
    "配电箱门未关闭 无警示标识": ("配电箱门未关闭 无警示标识", ""),
    "时间 过长未巡检": ("时间 过长未巡检", ""),
    "车间": ("车间", ""),
    # the enterprise typed first is the enterprise, not the description
    "胜利机械 喷漆车间通风不良": ("喷漆车间通风不良", ""),
    "胜利机械 喷漆车间 通风不良": ("喷漆车间 通风不良", "喷漆车间"),
    "胜利机械有限公司，喷漆车间 通风不良": ("喷漆车间 通风不良", "喷漆车间"),
    "【重大隐患】胜利机械：二车间 电缆裸露": ("二车间 电缆裸露", "二车间"),
    "华油罐区法兰泄漏": ("华油罐区法兰泄漏", ""),  # the alias run into the words: kept
    "胜利机械": ("胜利机械", ""),  # nothing but the name: kept, never an empty description
}


@pytest.mark.parametrize("caption", list(CAPTIONS))
def test_location_and_description_from_a_caption(caption: str) -> None:
    parsed = parse_hazard_text(caption, TODAY, NAMES)
    assert (parsed.description, parsed.location) == CAPTIONS[caption]


def test_a_caption_read_without_enterprise_names_keeps_them() -> None:
    assert parse_hazard_text("胜利机械 喷漆车间通风不良", TODAY).description == "胜利机械 喷漆车间通风不良"
    assert without_enterprise("宏达 叉车制动失灵", ("宏达机械有限公司", "宏达")) == "叉车制动失灵"
    assert without_enterprise("宏达叉车制动失灵", ("宏达",)) == "宏达叉车制动失灵"
    assert implied_location("仓库门口 堆放纸箱") == "仓库门口"
    assert implied_location("") == ""


@pytest.mark.parametrize(
    ("role", "location", "asked"),
    [("inspector", "", True), ("inspector", "  ", True), ("inspector", "二车间", False), ("manager", "", False),
     ("lead", "", False), ("member", "", False)],
)  # fmt: skip
def test_the_location_is_asked_of_inspectors_finds_only(role: str, location: str, asked: bool) -> None:
    assert asks_location(SimpleNamespace(role=role), location) is asked  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "role", "said"),
    [("snapshot", "lead", FoundBy.SNAPSHOT), ("snapshot", "member", FoundBy.SNAPSHOT),
     ("inspection", "inspector", FoundBy.EXPERT), ("inspection", "manager", FoundBy.INSPECTION),
     ("inspection", "admin", FoundBy.INSPECTION), ("inspection", None, FoundBy.INSPECTION)],
)  # fmt: skip
def test_the_ledgers_source_of_a_hazard(source: str, role: str | None, said: FoundBy) -> None:
    assert found_by(source, role) == said


# --- through the chat ---------------------------------------------------------------------------


def _question(sent: list[Sent]) -> Sent:
    return next(s for s in sent if "哪个部位" in (s.reply.text or ""))


async def test_a_labelled_location_goes_on_the_card_and_is_not_asked(seeded: Harness) -> None:
    h = seeded
    out = await h.say(ZHANG, "/hazard 位置：二车间配电室 配电箱门未关闭 7天内", files=(h.add_file(jpeg(1)),))
    fields = labels(card_of(out).card)  # type: ignore[arg-type]
    assert fields["部位"] == "二车间配电室" and fields["描述"] == "配电箱门未关闭"
    assert "哪个部位" not in h.texts(out)  # a lead's report is never asked


async def test_an_inspectors_find_without_a_location_asks_once(seeded: Harness) -> None:
    h = seeded
    out = await h.say(ZHAO, "/hazard 华油 配电箱门未关闭 7天内", files=(h.add_file(jpeg(1)),))
    card = card_of(out)
    fields = labels(card.card)  # type: ignore[arg-type]
    assert fields["描述"] == "配电箱门未关闭" and "部位" not in fields  # the enterprise name is not in it
    asked = _question(out)
    assert [b.label for row in asked.reply.buttons for b in row] == ["跳过"]
    said = h.texts(await h.say(ZHAO, "二车间配电室", reply_to=asked.message_id))
    assert T.LOCATION_DONE.format(code="YH-2026-0001", location="二车间配电室") in said
    assert labels(card.card)["部位"] == "二车间配电室"  # type: ignore[arg-type]
    hazard = await hazard_by_code(h, "YH-2026-0001")
    assert hazard.location == "二车间配电室"
    # Asked once: the next answer in the group is nobody's business.
    assert await h.say(ZHAO, "三车间", reply_to=asked.message_id) == []

    # The whole story says it; the reporter corrects it with /location, someone else may not.
    detail = await h.say(LI, "/hazard YH-2026-0001")
    assert labels(card_of(detail).card)["部位"] == "二车间配电室"  # type: ignore[arg-type]
    assert "填写部位：无 → 二车间配电室" in h.texts(detail)
    said = h.texts(await h.say(ZHAO, "/location YH-2026-0001 二车间配电室东侧"))
    assert "二车间配电室东侧" in said and labels(card.card)["部位"] == "二车间配电室东侧"  # type: ignore[arg-type]
    assert T.LOCATION_DENIED.format(code="YH-2026-0001") in h.texts(
        await h.say(ZHANG, "/location YH-2026-0001 仓库")
    )
    assert T.LOCATION_USAGE in h.texts(await h.say(ZHAO, "/location YH-2026-0001"))
    assert "最多 40 个字" in h.texts(await h.say(ZHAO, "/location YH-2026-0001 " + "长" * 41))


async def test_skip_and_a_new_report_drop_the_question_quietly(seeded: Harness) -> None:
    h = seeded
    out = await h.say(ZHAO, "/hazard 华油 消防通道堵塞", files=(h.add_file(jpeg(1)),))
    outcome = await h.press(ZHAO, _question(out), "跳过")
    assert outcome.toast == T.LOCATION_SKIPPED.format(code="YH-2026-0001")
    assert (await hazard_by_code(h, "YH-2026-0001")).location == ""

    out = await h.say(ZHAO, "/hazard 华油 叉车无证驾驶", files=(h.add_file(jpeg(2)),))
    asked = _question(out)
    out = await h.say(ZHAO, "/hazard 宏达 冲床防护罩缺失", files=(h.add_file(jpeg(3)),))
    assert "已放弃" not in h.texts(out)  # asked once, dropped without a word
    said = h.texts(await h.say(ZHAO, "跳过", reply_to=_question(out).message_id))  # typed, as the button
    assert said == T.LOCATION_SKIPPED.format(code="YH-2026-0003")
    outcome = await h.press(ZHAO, asked, "跳过")  # the older question is gone
    assert outcome.toast == T.LOCATION_ASK_GONE
    # A place written before the description is not asked about.
    out = await h.say(ZHAO, "/hazard 华油 喷漆车间 通风不良", files=(h.add_file(jpeg(4)),))
    assert labels(card_of(out).card)["部位"] == "喷漆车间" and "哪个部位" not in h.texts(out)  # type: ignore[arg-type]


async def test_the_rest_of_the_album_still_reaches_the_hazard_while_the_location_is_asked(
    seeded: Harness,
) -> None:
    h = seeded
    out = await h.say(ZHAO, "/hazard 华油 配电箱门未关闭", files=(h.add_file(jpeg(1)),), media_group_id="a1")
    card = card_of(out)
    await h.say(ZHAO, "", files=(h.add_file(jpeg(2)),), media_group_id="a1")
    assert labels(card.card)["照片"] == "整改前 2 张，整改后 0 张"  # type: ignore[arg-type]
    await h.say(ZHAO, "配电室", reply_to=_question(out).message_id)
    assert labels(card.card)["部位"] == "配电室"  # type: ignore[arg-type]


# --- the ledger chain -------------------------------------------------------------------------


async def test_ledger_verify_holds_for_rows_sealed_before_the_location_and_finds_it_changed(
    any_empty_db_url: str,
) -> None:
    at = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    db = Database(any_empty_db_url)
    try:
        await upgrade(db.engine, "0002")
        async with db.engine.begin() as conn:
            await insert_old_hazard(conn, at)
            await conn.execute(
                text(
                    "INSERT INTO hazard_events (id, hazard_id, at, actor_id, action, to_status, data)"
                    " VALUES (1, 1, :t, 1, 'report', 'rectifying', '{}')"
                ),
                {"t": at},
            )
        await upgrade(db.engine)  # 0013 seals the state without a location; 0018 adds the column empty
        async with db.unit_of_work() as s:
            sealed = await s.scalar(text("SELECT state FROM hazard_events WHERE action = 'seal'"))
            assert "location" not in (sealed if isinstance(sealed, dict) else json.loads(sealed))
            verified = await chain.verify(s)
        assert verified.broken is None and verified.events == 2
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE hazards SET location = '仓库' WHERE id = 1"))
        async with db.unit_of_work() as s:
            broken = (await chain.verify(s)).broken
        assert broken is not None and broken.problem == "row_changed" and broken.fields == ("location",)
    finally:
        await db.dispose()


async def test_a_location_is_sealed_and_its_change_behind_the_bots_back_is_found(seeded: Harness) -> None:
    h = seeded
    await h.say(ZHANG, "/hazard 位置：二车间配电室 配电箱门未关闭", files=(h.add_file(jpeg(1)),))
    await h.say(ZHANG, "/location YH-2026-0001 三车间配电室")
    async with h.app.db.reading() as s:
        states = (await s.execute(text("SELECT state FROM hazard_events ORDER BY id"))).scalars().all()
        assert (await chain.verify(s)).broken is None
    locations = [(st if isinstance(st, dict) else json.loads(st))["location"] for st in states]
    assert locations == ["二车间配电室", "三车间配电室"]
    async with h.app.db.engine.begin() as conn:
        await conn.execute(text("UPDATE hazards SET location = '' WHERE id = 1"))
    async with h.app.db.reading() as s:
        broken = (await chain.verify(s)).broken
    assert broken is not None and broken.code == "YH-2026-0001" and broken.fields == ("location",)
