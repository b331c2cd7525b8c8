"""Finding hazards by words (/search, the desk's `q`) through the word index of migration 0026: two characters,
one, a code or a piece of one, `%` and `_` as plain characters, words across punctuation; an edited
description found by its new words only, a back-filled hazard found, a lead finding their enterprise's
only; past 1,000 matches the count says "1,000 条以上" and the pages still lead on. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.hazards import queries as hazard_queries
from domain.hazards.search import COUNT_CAP, gram, index_grams
from storage.db import Database, alembic_config, upgrade
from tests.conftest import AddHazards
from tests.harness import LI, LIU, ZHANG, Harness, card_of, insert_old_hazard, jpeg, seed

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
NONE = "没有符合条件的隐患"


async def report(h: Harness, who: object, words: str, seed_: int) -> str:
    """Report a hazard with one photo; return its code."""
    out = await h.say(who, f"/hazard {words} 限期 12月10日", files=(h.add_file(jpeg(seed_)),))  # type: ignore[arg-type]
    card = card_of(out).card
    assert card is not None
    return card.title.removeprefix("隐患 ")


async def found(h: Harness, who: object, words: str) -> list[str]:
    """Return the codes /search answers with, in the order listed."""
    said = h.texts(await h.say(who, f"/search {words}"))  # type: ignore[arg-type]
    return [] if NONE in said else [w for w in said.split() if w.startswith("YH-")]


def test_the_index_holds_each_pair_once_and_the_last_character() -> None:
    assert index_grams("消防通道") == {gram("消", "防"), gram("防", "通"), gram("通", "道"), gram("道")}
    assert index_grams("AbAb") == {gram("a", "b"), gram("b", "a"), gram("b")}  # lowercased, each pair once
    assert index_grams("门") == {gram("门")}
    assert index_grams("") == set()
    assert gram("消", "防") != gram("防", "消") and gram("消") != gram("消", "防")


async def test_two_characters_one_a_code_literal_signs_and_punctuation(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    first = await report(h, ZHANG, "二车间消防通道堆放杂物，灭火器过期", 1)
    second = await report(h, ZHANG, "配电箱100%_完成", 2)
    third = await report(h, LIU, "仓库消防栓被遮挡", 3)
    assert await found(h, LI, "消防") == [third, first]  # newest first
    assert "共 2 条" in h.texts(await h.say(LI, "/search 消防"))
    assert await found(h, LI, "灭火器") == [first]
    assert await found(h, LI, "栓") == [third]  # one character, inside a description
    assert await found(h, LI, "期") == [first]  # one character, the last of a description
    assert await found(h, LI, "二") == [first]  # one character, the first
    assert await found(h, LI, "杂物，灭火") == [first]  # across the punctuation
    assert await found(h, LI, "杂物灭火") == []
    assert await found(h, LI, "二车间消防通道堆放杂物，灭火器过期") == [first]
    assert await found(h, LI, "100%_") == [second]
    assert await found(h, LI, "0%完") == []  # % is a character, not "anything"
    assert await found(h, LI, "配_箱") == []  # so is _
    assert await found(h, LI, "液氨") == []
    assert await found(h, LI, "yh-2026-3") == [third]  # a whole code, typed loosely
    assert await found(h, LI, third) == [third]
    assert await found(h, LI, "2026-0002") == [second]  # a piece of a code
    assert await found(h, LI, "YH-2026") == [third, second, first]
    assert await found(h, LI, "yh-2026-000") == [third, second, first]  # where codes begin
    assert await found(h, LI, "h-2026-0001") == [first]
    assert await found(h, LI, "0003") == [third]  # digits alone: anywhere in a code


async def test_an_edited_description_is_found_by_its_new_words_only(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    code = await report(h, ZHANG, "配电箱门未关", 1)
    assert await found(h, LI, "配电") == [code]
    assert "描述已更新" in h.texts(await h.say(ZHANG, f"/edit {code} 二车间叉车无证驾驶"))
    assert await found(h, LI, "配电") == []
    assert await found(h, LI, "箱") == []
    assert await found(h, LI, "叉车") == [code]
    assert await found(h, LI, "驶") == [code]


async def test_a_back_filled_hazard_is_found(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    said = h.texts(await h.say(LI, "/补录 隐患 2025-04-02 华油 二车间配电室 电线裸露 立即整改 2025-04-03 验收 2025-04-05"))
    assert "YH-2025-0001" in said
    assert await found(h, LI, "电线裸露") == ["YH-2025-0001"]
    assert await found(h, ZHANG, "裸露") == ["YH-2025-0001"]
    assert await found(h, LIU, "裸露") == []  # 宏达's lead


async def test_a_lead_finds_their_enterprise_hazards_only(any_harness: Harness) -> None:
    h = any_harness
    await seed(h)
    own = await report(h, ZHANG, "配电室消防器材过期", 1)
    other = await report(h, LIU, "配电箱无警示标识", 2)
    assert await found(h, ZHANG, "配电") == [own]
    assert await found(h, LIU, "配电") == [other]
    assert await found(h, LIU, own) == []
    assert await found(h, LI, "配电") == [other, own]


async def test_past_the_cap_the_count_says_more_than_and_the_pages_lead_on(
    any_harness: Harness, add_closed_hazards: AddHazards
) -> None:
    h = any_harness
    await seed(h)
    await add_closed_hazards(h, COUNT_CAP + 1, "消防器材检查记录不全")
    await add_closed_hazards(h, 1, "配电箱门未关")
    said = h.texts(await h.say(LI, "/search 消防"))
    assert "含“消防”的隐患（1,000 条以上，显示前 30 条）：" in said
    assert "共 1 条" in h.texts(await h.say(LI, "/search 配电箱"))
    async with h.app.db.reading() as s:
        rows, total = await hazard_queries.search_hazards(s, "消防", None, limit=30, offset=990)
        assert total > COUNT_CAP and len(rows) == 11  # the page past the cap is there
        assert [r.code for r in rows][-1] == "YH-2024-0001"
        rows, total = await hazard_queries.search_hazards(s, "消防", None, limit=30, offset=1001)
        assert rows == () and total == COUNT_CAP + 1
        rows, total = await hazard_queries.search_hazards(s, "消防", None, limit=30, offset=1000)
        assert len(rows) == 1 and total == COUNT_CAP + 1  # no next page: nothing past this one


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))

    def run(conn: object) -> None:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def test_migration_0026_indexes_the_hazards_there_are_and_goes_back(any_empty_db_url: str) -> None:
    db = Database(any_empty_db_url)
    try:
        await upgrade(db.engine, "0025")
        async with db.engine.begin() as conn:
            await insert_old_hazard(conn, NOW)  # YH-2026-0001 配电箱
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT gram FROM hazard_grams WHERE hazard_id = 1"))).scalars().all()
            assert set(rows) == index_grams("配电箱")
        async with db.reading() as s:
            rows, total = await hazard_queries.search_hazards(s, "电箱", None)
            assert [r.code for r in rows] == ["YH-2026-0001"] and total == 1
        await _downgrade(db.engine, "0025")
        with pytest.raises(DBAPIError):
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT * FROM hazard_grams"))
        await upgrade(db.engine)
        async with db.reading() as s:
            assert (await hazard_queries.search_hazards(s, "箱", None))[1] == 1
    finally:
        await db.dispose()
