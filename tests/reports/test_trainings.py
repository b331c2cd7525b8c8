"""Trainings and drills with kinds (issue 19, item 5): the drill-kind table, how /training's words are
read, the flows through the neutral core, the year's lists, the summary's figures, and migration 0016."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from bot.messages import Reply
from domain.reports import queries as report_queries
from domain.reports.rules import drill_kind, is_drill, is_training
from handlers.reports.drills import TrainingWords, read_training_words, title_and_organiser
from storage.db import Database, upgrade
from storage.enums import DrillKind
from tests.harness import ADMIN, LI, ZHANG, ZHAO, Harness

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        ("消防演练", DrillKind.FIRE),
        ("火灾疏散演练", DrillKind.FIRE),
        ("灭火器实操演练", DrillKind.FIRE),
        ("危化品泄漏应急演练", DrillKind.CHEMICAL_LEAK),
        ("液氨泄露处置演练", DrillKind.CHEMICAL_LEAK),
        ("危化品泄漏引发火灾演练", DrillKind.CHEMICAL_LEAK),  # the leak comes first
        ("防汛演练", DrillKind.FLOOD),
        ("汛期应急演练", DrillKind.FLOOD),
        ("有限空间救援演练", DrillKind.OTHER),
        ("综合应急演练", DrillKind.OTHER),
    ],
)
def test_a_drill_has_the_kind_its_words_say(words: str, kind: DrillKind) -> None:
    assert drill_kind(words) == kind


@pytest.mark.parametrize(
    ("word", "drill", "training"),
    [
        ("消防演练", True, False),
        ("消防", True, False),  # a kind's word is enough
        ("应急演习", True, False),
        ("安全培训", False, True),
        ("消防培训", True, True),  # /drill records it as a training: 培训 wins
        ("会议", False, False),
    ],
)
def test_a_drill_type_word_is_a_drill_or_a_training(word: str, drill: bool, training: bool) -> None:
    assert (is_drill(word), is_training(word)) == (drill, training)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (
            "特种设备安全培训 县市场监管局 外部 全园区 60人次",
            TrainingWords(
                external=True, person_times=60, park_wide=True, other=["特种设备安全培训", "县市场监管局"]
            ),
        ),
        (
            "安全执法培训 主办：县应急管理局 外部 2天 华油 宏达 35人次",
            TrainingWords(
                organiser="县应急管理局",
                external=True,
                days=2.0,
                person_times=35,
                other=["安全执法培训", "华油", "宏达"],
            ),
        ),
        (
            "安全执法培训 主办 县应急管理局 两天 华油 35 人次",
            TrainingWords(
                organiser="县应急管理局", days=2.0, person_times=35, other=["安全执法培训", "华油"]
            ),
        ),
        (
            "新员工三级教育 内部 半天 华油 20人",
            TrainingWords(external=False, days=0.5, person_times=20, other=["新员工三级教育", "华油"]),
        ),
        ("消防培训 2 天 华油 12", TrainingWords(days=2.0, person_times=12, other=["消防培训", "华油"])),
        ("消防培训 为期3天 华油 12名", TrainingWords(days=3.0, person_times=12, other=["消防培训", "华油"])),
    ],
)
def test_training_words_are_read_as_people_write_them(words: str, expected: TrainingWords) -> None:
    assert read_training_words(words.split()) == expected


@pytest.mark.parametrize(
    ("words", "refusal"),
    [
        ("消防培训 外部 内部 华油 12", "只能写一个"),
        ("消防培训 0天 华油 12", "天数“0天”看不懂"),
    ],
)
def test_training_words_that_cannot_be_are_refused(words: str, refusal: str) -> None:
    read = read_training_words(words.split())
    assert isinstance(read, Reply) and refusal in (read.text or "")
    assert "用法：/training" in (read.text or "")


@pytest.mark.parametrize(
    ("other", "organiser", "expected"),
    [
        (["特种设备安全培训", "县市场监管局"], None, ("特种设备安全培训", "县市场监管局")),
        (["特种设备", "安全培训"], None, ("特种设备 安全培训", None)),  # no office: all title
        (["安全培训", "县消防救援大队"], None, ("安全培训", "县消防救援大队")),
        (["执法培训", "县应急管理局"], "市应急管理局", ("执法培训 县应急管理局", "市应急管理局")),
        (["安全培训"], None, ("安全培训", None)),
    ],
)
def test_the_title_and_the_organiser_are_told_apart(
    other: list[str], organiser: str | None, expected: tuple[str, str | None]
) -> None:
    assert title_and_organiser(other, organiser) == expected


async def _summary(h: Harness):  # type: ignore[no-untyped-def]
    async with h.app.db.reading() as s:
        return await report_queries.summary_figures(
            s, date(2026, 1, 1), date(2026, 12, 31), h.app.settings.park.tz, h.clock.now()
        )


async def test_a_manager_records_trainings_and_sees_them_in_the_list_and_the_summary(seeded: Harness) -> None:
    h = seeded
    out = h.texts(await h.say(LI, "/training 4月15日 特种设备安全培训 县市场监管局 外部 全园区 60人次"))
    assert (
        "已登记安全培训：2026-04-15，特种设备安全培训（主办：县市场监管局），外部培训，1 天，全园区，60 人次。"
        "本年度已登记培训 1 次、60 人次。"
    ) in out
    out = h.texts(
        await h.say(ADMIN, "/培训 5月10日 安全执法培训 主办：县应急管理局 外部 2天 华油 宏达 35人次")
    )
    assert (
        "安全执法培训（主办：县应急管理局），外部培训，2 天，华油装备制造有限公司、宏达机械有限公司，35 人次"
        in out
    )
    out = h.texts(await h.say(LI, "/training 昨天 新员工三级教育 内部 半天 华油 20 人"))
    assert (
        "2026-11-29，新员工三级教育，内部培训，0.5 天，华油装备制造有限公司，20 人次。本年度已登记培训 3 次、115 人次。"
        in out
    )

    listed = h.texts(await h.say(LI, "/trainings"))
    assert "【2026年安全培训】共 3 次、115 人次（外部培训 2 次、内部培训 1 次）" in listed
    assert "1. 2026-04-15 特种设备安全培训（主办：县市场监管局），外部培训，1 天，全园区，60 人次" in listed
    assert "3. 2026-11-29 新员工三级教育，内部培训，0.5 天，华油装备制造有限公司，20 人次" in listed
    assert "2025年还没有登记安全培训" in h.texts(await h.say(LI, "/培训记录 2025"))

    f = await _summary(h)
    assert (f.trainings, f.training_people, f.trainings_external, f.trainings_internal) == (3, 115, 2, 1)
    summary = h.texts(await h.say(LI, "/summary 2026"))
    assert "组织安全培训 3 次、115 人次（外部培训 2 次、内部培训 1 次）。" in summary
    assert "安全培训（次/人次）：3/115" in summary


async def test_training_input_mistakes_get_a_chinese_answer_with_the_usage(seeded: Harness) -> None:
    h = seeded
    cases = {
        "/training": "用法：/training",
        "/training 今天 消防培训": "用法：/training",
        "/training 下个月 消防培训 华油 12": "没看懂日期“下个月”",
        "/training 2026-12-25 消防培训 华油 12": "还没到",
        "/training 今天 消防培训 华油 宏达": "请写参训人次",
        "/training 今天 消防培训 县消防救援大队 12人次": "请写参训企业",
        "/training 今天 消防培训 华由 12人次": "没有名称或别名正好是“华由”的企业",
        "/training 今天 华油 12人次 外部": "请写培训名称",
        "/training 今天 消防培训 外部 内部 华油 12": "“外部”和“内部”只能写一个",
    }
    for command, answer in cases.items():
        said = h.texts(await h.say(LI, command))
        assert answer in said, (command, said)
        assert "用法：/training" in said or "还没到" in answer, command
    assert (await _summary(h)).trainings == 0


async def test_drills_have_kinds_places_and_count_by_kind_in_the_summary(seeded: Harness) -> None:
    h = seeded
    out = h.texts(await h.say(LI, "/drill 9月1日 消防演练 华油 二车间 45人"))
    assert (
        "已登记应急演练（消防）：2026-09-01，消防演练，华油装备制造有限公司，地点：二车间，45 人参加。本年度已登记演练 1 次。"
        in out
    )
    out = h.texts(await h.say(LI, "/演练 9月20日 火灾疏散演练 地点：办公楼 宏达 60"))
    assert (
        "已登记应急演练（消防）：2026-09-20，火灾疏散演练，宏达机械有限公司，地点：办公楼，60 人参加。" in out
    )
    out = h.texts(await h.say(ADMIN, "/drill 7月1日 防汛应急演练 全园区 80 人"))
    assert (
        "已登记应急演练（防汛）：2026-07-01，防汛应急演练，全园区，80 人参加。本年度已登记演练 3 次。" in out
    )
    out = h.texts(await h.say(LI, "/drill 10月9日 危化品泄漏处置演练 华油 罐区"))
    assert (
        "已登记应急演练（危化品泄漏）：2026-10-09，危化品泄漏处置演练，华油装备制造有限公司，地点：罐区。"
        in out
    )
    out = h.texts(await h.say(LI, "/drill 10月10日 综合应急演练 宏达"))
    assert "已登记应急演练（其他）" in out
    assert "没有找到企业“二车间”" in h.texts(await h.say(LI, "/drill 今天 消防演练 二车间 45"))

    f = await _summary(h)
    assert f.drills == 5 and f.drill_people == 185
    assert f.drill_kinds == {
        DrillKind.FIRE: 2,
        DrillKind.CHEMICAL_LEAK: 1,
        DrillKind.FLOOD: 1,
        DrillKind.OTHER: 1,
    }
    summary = h.texts(await h.say(LI, "/summary 2026"))
    assert "开展应急演练 5 次（消防 2 次、危化品泄漏 1 次、防汛 1 次、其他 1 次）、参演 185 人次；" in summary
    assert "演练类型（次）：消防 2 次、危化品泄漏 1 次、防汛 1 次、其他 1 次" in summary
    assert "组织安全培训 0 次、0 人次。" in summary

    listed = h.texts(await h.say(LI, "/drills 2026"))
    assert (
        "【2026年应急演练】共 5 次、参演 185 人次（消防 2 次、危化品泄漏 1 次、防汛 1 次、其他 1 次）"
        in listed
    )
    assert "1. 2026-07-01 防汛应急演练（防汛）全园区，80 人参加" in listed
    assert "2. 2026-09-01 消防演练（消防）华油装备制造有限公司，地点：二车间，45 人参加" in listed
    assert "没看懂年份“明年”" in h.texts(await h.say(LI, "/drills 明年"))
    # The name is the word that says 演练, wherever it stands.
    out = h.texts(await h.say(LI, "/drill 11月1日 华油 二车间 消防演练 30人"))
    assert "已登记应急演练（消防）：2026-11-01，消防演练，华油装备制造有限公司，地点：二车间，30 人参加。" in out


async def test_three_fire_drills_and_two_trainings_read_as_the_summary_writes_them(seeded: Harness) -> None:
    h = seeded
    for command in (
        "/drill 3月10日 消防演练 华油 50",
        "/drill 6月12日 消防演练 宏达 40",
        "/drill 11月5日 消防疏散演练 全园区 120",
        "/training 4月15日 特种设备安全培训 县市场监管局 外部 全园区 60人次",
        "/training 5月10日 安全执法培训 县应急管理局 外部 2天 华油 宏达 35人次",
    ):
        assert "已登记" in h.texts(await h.say(LI, command)), command
    summary = h.texts(await h.say(LI, "/summary 2026"))
    assert (
        "开展应急演练 3 次（消防 3 次）、参演 210 人次；组织安全培训 2 次、95 人次（外部培训 2 次）。"
        in summary
    )


async def test_a_lead_or_an_inspector_may_not_record_or_list_trainings_and_drills(seeded: Harness) -> None:
    h = seeded
    for who in (ZHANG, ZHAO):
        for command in (
            "/training 今天 消防培训 华油 12人次",
            "/drill 今天 消防演练 华油 12",
            "/trainings",
            "/drills",
        ):
            assert "这个操作需要以下身份之一" in h.texts(await h.say(who, command)), (who, command)
    f = await _summary(h)
    assert (f.drills, f.trainings) == (0, 0)


async def test_upgrade_to_0016_moves_trainings_and_gives_drills_their_kind(any_empty_db_url: str) -> None:
    db = Database(any_empty_db_url)
    try:
        await upgrade(db.engine, "0014")
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO enterprises (id, name, aliases, active, created_at)"
                    " VALUES (1, '华油装备制造有限公司', '[]', true, :t)"
                ),
                {"t": NOW},
            )
            for i, (kind, title, ent, n) in enumerate(
                [
                    ("drill", "消防演练", 1, 45),
                    ("training", "安全培训", None, 120),
                    ("drill", "防汛演练", None, None),
                    ("training", "特种设备培训", 1, 30),
                    ("drill", "综合演练", 1, 10),
                ],
                1,
            ):
                await conn.execute(
                    text(
                        "INSERT INTO drills (id, day, kind, title, enterprise_id, participants, created_at)"
                        " VALUES (:id, :day, :kind, :title, :e, :n, :t)"
                    ),
                    {
                        "id": i,
                        "day": date(2026, i, 1),
                        "kind": kind,
                        "title": title,
                        "e": ent,
                        "n": n,
                        "t": NOW,
                    },
                )
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            drills = (await conn.execute(text("SELECT title, drill_kind FROM drills ORDER BY id"))).all()
            assert [tuple(r) for r in drills] == [
                ("消防演练", "fire"),
                ("防汛演练", "flood"),
                ("综合演练", "other"),
            ]
            trainings = (
                await conn.execute(text("SELECT title, park_wide, person_times FROM trainings ORDER BY day"))
            ).all()
            assert [(t, bool(w), n) for t, w, n in trainings] == [
                ("安全培训", True, 120),
                ("特种设备培训", False, 30),
            ]
    finally:
        await db.dispose()
