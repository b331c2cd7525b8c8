"""The year-end summary states the emergency command, supplies and their checks, the knowledge quiz and
publicity (issue 22 item 5): through the chat for what people record there, and the rendering table for
the quiz's figures."""

from __future__ import annotations

from openpyxl import load_workbook

from domain.publicity.queries import Total
from domain.quiz.queries import YearFigures
from domain.reports.year import Readiness, YearSummary
from domain.supplies.queries import SuppliesStatus
from handlers.reports.summary import readiness_text
from tests.harness import ADMIN, LI, Harness, seed

ROSTER = (
    "/roster add 王主任 办公室主任 管委会应急科 13800000001 办公室",
    "/roster add 张伟 总指挥 华油装备制造有限公司 13800000002 值班：1",
    "/roster add 刘芳 副总指挥 宏达机械有限公司 13800000003 值班：2",
)


async def test_the_summary_states_command_supplies_and_publicity(harness: Harness) -> None:
    h = harness
    await seed(h)
    for line in ROSTER:
        assert "已录入" in h.texts(await h.say(ADMIN, line, Harness.private(ADMIN)))
    assert "WZ-001" in h.texts(await h.say(LI, "/supply add 灭火器 20具 华油 二车间 每月 负责人 张伟"))
    assert "WZ-002" in h.texts(await h.say(LI, "/supply add 救援绳 5根 园区仓库 一号库 有效期至 2027-03-01"))
    await h.say(LI, "/publicity 宣传单页 2000 份")
    await h.say(LI, "/publicity 横幅 20 幅")
    text = h.texts(await h.say(LI, "/summary 2026", Harness.private(LI)))
    assert "应急救援指挥部共 3 人（其中应急办 1 人），开展应急点名 0 次" in text
    assert "储备应急物资 2 项 25 件，期间检查 0 次，目前 1 项在有效期内、1 项 30 天内到期、0 项逾期未检" in text  # the monthly check falls due 12-30
    assert "发放、悬挂宣传品：宣传单页 2000 份、横幅 20 幅" in text
    assert "知识答题" not in text.split("数据")[0]  # no quiz this year: the paragraph does not claim one
    assert "应急救援指挥部（人）：3" in text and "应急物资（项/件）：2/25" in text

    # The export's summary sheet carries the same rows.
    doc = next(s for s in await h.say(LI, "/export 2026", Harness.private(LI)) if s.reply.documents)
    wb = load_workbook(doc.reply.documents[0])
    values = [str(c) for row in wb["年度汇总"].iter_rows(values_only=True) for c in row if c is not None]
    assert "应急救援指挥部（人）" in values and "宣传单页 2000 份、横幅 20 幅" in values


def test_the_quiz_and_an_empty_command_are_said_as_a_summary_writes_them() -> None:
    y = YearSummary.__new__(YearSummary)  # only its readiness is read
    y.readiness = Readiness(
        command=0,
        office=0,
        roll_calls=0,
        supplies=SuppliesStatus(items=0, pieces=0, checks=0, up_to_date=0, due_soon=0, overdue=0),
        quiz=YearFigures(quizzes=1, person_times=120, people=118, enterprises=17, average=86.25),
        publicity=[Total("手册", "本", 300, 1)],
    )
    said = readiness_text(y)
    assert said.startswith("尚未录入应急救援指挥部名单")
    assert "组织安全知识答题 1 次，17 家企业 118 人参与、120 人次完成，平均 86.2 分" in said
    assert "储备应急物资" not in said and said.endswith("手册 300 本。")
