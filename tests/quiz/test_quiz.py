"""The knowledge quiz (知识答题) through the neutral core: a manager imports the bank from the sample CSV,
starts a quiz; the people of 17 enterprises take it privately one question at a time (one stops and goes
on, a forged press is refused, a second attempt is refused); the group card counts participation and the
average per enterprise in place; the quiz closes by the clock and the manager gets the per-person sheet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.clock import ManualClock
from bot.messages import Card, FileRef
from domain.park import operations as park_ops
from domain.quiz import queries as quiz_queries
from storage.enums import Role
from storage.models import QuizAttempt
from tests.harness import (
    ADMIN,
    CHEN,
    GROUP,
    LI,
    LIU,
    MA,
    PLATFORM,
    ZHANG,
    ZHAO,
    Harness,
    Sent,
    jpeg,
    labels,
    seed,
)

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "知识答题题库样例.csv"
KEY = ["B", "C", "ABCD", "ABC", "B"]  # questions 1–5 of the sample
WRONG = ["A", "A", "AB", "ABCD", "A"]
EXPLANATIONS = ["火警电话 119", "指针在绿区为正常", "一提、二拔", "五落实：责任", "应先切断电源"]
START = "/quiz 安全月知识答题 题号1-5 12月20日"


def csv_file(h: Harness, data: bytes, name: str = "题库.csv") -> FileRef:
    ref = h.add_file(data)
    return FileRef(ref.file_id, "document", len(data), "text/csv", name)


async def seed_park(h: Harness) -> list[tuple[str, object]]:
    """Seed the two harness enterprises and 15 more, each with a lead who started a private chat."""
    await seed(h, private=("admin", "li", "ma", "zhang", "liu", "chen"))
    now = h.clock.now()
    people: list[tuple[str, object]] = [("华油装备制造有限公司", ZHANG), ("宏达机械有限公司", LIU)]
    async with h.app.db.unit_of_work() as s:
        for n in range(3, 18):
            name = f"园区第{n:02d}号企业有限公司"
            ent = await park_ops.add_enterprise(s, name=name, aliases=[f"企业{n:02d}"], industry=None, actor=None, at=now)
            who = Harness.person(f"lead{n:02d}", f"负责人{n:02d}")
            p = await park_ops.upsert_person(
                s, platform=PLATFORM, external_id=who.user_id, display_name=who.display_name, username=None, at=now
            )
            await park_ops.set_role(s, p, Role.LEAD, ent, actor=None, at=now)
            p.private_chat_id = f"p-{who.user_id}"
            people.append((name, who))
    return people


def group_card(h: Harness) -> Card:
    card = next(s for s in h.adapter.sent if s.chat == GROUP and s.card and s.card.key.startswith("quiz:")).card
    assert card is not None
    return card


def question(h: Harness, who: object) -> Sent:
    """Return the newest question card in a person's private chat."""
    chat = Harness.private(who)  # type: ignore[arg-type]
    return [s for s in h.adapter.sent if s.chat == chat and s.card and s.card.key.startswith("quizq:")][-1]


def seen_by(h: Harness, who: object) -> str:
    """Everything the person's private chat shows now: texts, card titles, fields, buttons and their data."""
    chat = Harness.private(who)  # type: ignore[arg-type]
    parts: list[str] = []
    for s in h.adapter.sent:
        if s.chat != chat:
            continue
        parts.append(s.reply.text or "")
        for card in (s.card, s.reply.card):
            if card is not None:
                parts += [card.title, *(f.value for f in card.fields)]
                parts += [b.label + " " + b.data for row in card.actions for b in row]
        parts += [b.label + " " + b.data for row in s.reply.buttons for b in row]
    return "\n".join(parts)


async def answer(h: Harness, who: object, number: int, letters: str) -> None:
    """Answer question `number` (1-based) as shown on the person's newest question card."""
    sent = question(h, who)
    assert sent.card is not None and f"第 {number}/5 题" in sent.card.title
    # Before it is answered nothing the person sees gives this question's answer or explanation away.
    assert EXPLANATIONS[number - 1] not in seen_by(h, who)
    assert labels(sent.card).get("正确答案") is None
    if "多选" in sent.card.title:
        for letter in letters:
            outcome = await h.press(who, question(h, who), f"☐ {letter}")  # type: ignore[arg-type]
            assert outcome.toast is not None and outcome.toast.startswith("已选：")
        await h.press(who, question(h, who), "提交")  # type: ignore[arg-type]
    elif "判断" in sent.card.title:
        await h.press(who, sent, {"A": "对", "B": "错"}[letters])  # type: ignore[arg-type]
    else:
        await h.press(who, sent, letters)  # type: ignore[arg-type]
    answered = sent.card  # the question's card, edited in place once answered
    assert answered is not None and sent.edits >= 1 and answered.actions == ()
    assert labels(answered)["正确答案"] == KEY[number - 1] and labels(answered)["您的答案"] == letters
    assert EXPLANATIONS[number - 1] in labels(answered)["解析"]


async def test_the_bank_is_imported_from_csv_and_excel_and_bad_rows_are_named(harness: Harness) -> None:
    from io import BytesIO

    from openpyxl import Workbook

    h = harness
    await seed(h)
    # Only managers and admins import; a file without the caption's word is not taken for a bank.
    assert "需要管理员或包片干部身份" in h.texts(await h.say(ZHANG, "/quiz 题库", files=(csv_file(h, SAMPLE.read_bytes()),)))
    assert "随 CSV 或 Excel" in h.texts(await h.say(LI, "/quiz 题库"))
    # A workbook with bad rows: each is named, nothing is imported.
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["题型", "题目", "A", "B", "C", "D", "答案", "解析"])
    ws.append(["单选", "灭火器多久检查一次？", "每月", "每年", None, None, "A", "每月检查压力"])
    ws.append(["填空", "什么是三同时？", "a", "b", None, None, "A", None])
    ws.append(["单选", "火警电话？", "110", "119", None, None, "E", None])
    ws.append(["多选", "", "a", "b", None, None, "AB", None])
    ws.append(["单选", "只有一个选项？", "a", None, None, None, "A", None])
    ws.append(["单选", "灭火器多久检查一次？", "每月", "每年", None, None, "AB", None])
    ws.append(["判断", "灭火器多久检查一次？", None, None, None, None, "对", None])
    buf = BytesIO()
    book.save(buf)
    xlsx_ref = h.add_file(buf.getvalue())
    xlsx_ref = FileRef(xlsx_ref.file_id, "document", len(buf.getvalue()), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "题库.xlsx")
    said = h.texts(await h.say(LI, "/quiz 题库", Harness.private(LI), files=(xlsx_ref,)))
    assert "《题库.xlsx》有 6 处问题，题库没有导入" in said
    assert "第 3 行：题型“填空”应为 单选、多选 或 判断" in said
    assert "第 4 行：答案“E”应为选项字母 A–B" in said
    assert "第 5 行：题目是空的" in said
    assert "第 6 行：选择题至少要有 A、B 两个选项" in said
    assert "第 7 行：单选题和判断题只能有一个答案，写的是“AB”" in said
    assert "第 8 行：与第 2 行的题目重复" in said
    async with h.app.db.reading() as s:
        assert await quiz_queries.bank(s) == []
    # A file that is not a table (binary bytes named .csv), and a photo.
    binary = csv_file(h, b"\x00\x01\x02binary", "题库.csv")
    assert "《题库.csv》不是 CSV 或 Excel（.xlsx）表格" in h.texts(await h.say(LI, "/quiz 题库", files=(binary,)))
    assert "请随 CSV 或 Excel（.xlsx）文件发送" in h.texts(await h.say(LI, "/quiz 题库", files=(h.add_file(jpeg(1)),)))
    # A header without 答案.
    bad = csv_file(h, "题型,题目,A,B\n单选,问,a,b\n".encode())
    assert "第 1 行应是表头，缺少：答案" in h.texts(await h.say(LI, "/quiz 题库", files=(bad,)))
    # The sample CSV (UTF-8) goes in whole; again, nothing is doubled; a GBK copy reads the same.
    said = h.texts(await h.say(LI, "/quiz 题库", files=(csv_file(h, SAMPLE.read_bytes()),)))
    assert "已导入 10 道题" in said and "题库共 10 道题（单选 4 道，多选 3 道，判断 3 道），题号 1–10" in said
    gbk = SAMPLE.read_text(encoding="utf-8").encode("gbk")
    said = h.texts(await h.say(ADMIN, "/quiz 题库", files=(csv_file(h, gbk, "gbk.csv"),)))
    assert "已导入 0 道题" in said and "另有 10 道题库里已有" in said
    async with h.app.db.reading() as s:
        bank = await quiz_queries.bank(s)
    assert [q.answer for q in bank[:5]] == KEY and bank[4].options == ["对", "错"]


async def test_a_quiz_taken_by_the_people_of_17_enterprises(harness: Harness, clock: ManualClock) -> None:
    h = harness
    people = await seed_park(h)
    await h.say(LI, "/quiz 题库", files=(csv_file(h, SAMPLE.read_bytes()),))
    # Usage and wrong input.
    assert "发起知识答题：/quiz <标题> <题目> <截止>" in h.texts(await h.say(LI, "/quiz"))
    assert "请写出题目" in h.texts(await h.say(LI, "/quiz 安全月 12月20日"))
    assert "请写出截止日期" in h.texts(await h.say(LI, "/quiz 安全月 5题"))
    assert "截止日期“明年某天”看不懂" in h.texts(await h.say(LI, "/quiz 安全月 5题 明年某天"))
    assert "题库只有 10 道题，不够抽 20 道" in h.texts(await h.say(LI, "/quiz 安全月 20题 12月20日"))
    assert "题库里没有这些题号：11、12" in h.texts(await h.say(LI, "/quiz 安全月 题号9-12 12月20日"))
    assert "找不到企业“华润”" in h.texts(await h.say(LI, "/quiz 安全月 5题 12月20日 华润"))
    assert "需要管理员或包片干部身份" in h.texts(await h.say(ZHAO, START))
    assert "目前没有您可以参加的知识答题" in h.texts(await h.say(ZHANG, "/quiz", Harness.private(ZHANG)))

    out = await h.say(LI, START)
    card = group_card(h)
    assert card.title == "知识答题 第1期"
    fields = labels(card)
    assert fields["题目"] == "5 道" and fields["截止"] == "2026-12-20 23:59" and fields["参加范围"] == "全部企业"
    assert fields["已完成"] == "0/18 人"  # 17 leads and 华油's member
    group_sent = next(s for s in out if s.chat == GROUP)

    # An inspector and a manager are not participants.
    assert (await h.press(ZHAO, group_sent, "开始答题")).toast == "知识答题面向各企业的安全负责人和员工；发送 /help 查看您可以使用的命令。"
    # 华油's lead begins from the group card: the first question comes privately.
    outcome = await h.press(ZHANG, group_sent, "开始答题")
    assert outcome.toast == "题目已私聊发给您"
    assert "开始答题：《安全月知识答题》共 5 道题" in seen_by(h, ZHANG)
    await answer(h, ZHANG, 1, "B")
    await answer(h, ZHANG, 2, "A")
    # 张伟 stops. A forged press on his attempt by 刘芳 is refused and changes nothing.
    his = question(h, ZHANG)
    assert his.card is not None
    data = [b.data for row in his.card.actions for b in row]
    assert all(d.count(":") >= 3 and "ABCD" not in d for d in data)  # quiz, attempt, question, letter: never the key
    await h.press(LIU, group_sent, "开始答题")
    forged = await h.press(LIU, his, data=data[0])
    assert forged.toast == "这个按钮不属于您正在答的题，没有做任何改动。"
    _, quiz_id, attempt_id, position, *_ = data[0].split(":")
    for made_up in (
        f"qztick:99:{attempt_id}:{position}:A:1",  # another quiz
        f"qztick:{quiz_id}:{attempt_id}:{int(position) + 1}:A:1",  # a question not reached
    ):
        assert (await h.press(ZHANG, his, data=made_up)).toast == "这个按钮不属于您正在答的题，没有做任何改动。"
    assert (await h.press(ZHANG, his, data=f"qzpick:{quiz_id}:{attempt_id}:{position}:A")).toast == "这个选项无效，没有做任何改动。"
    assert (await h.press(ZHANG, his, data=f"qztick:{quiz_id}:{attempt_id}:{position}:G:1")).toast == "这个按钮已失效或无效，没有做任何改动。"
    first = next(s for s in h.adapter.sent if s.card and s.card.key == f"quizq:{attempt_id}:0")
    assert (await h.press(ZHANG, first, data=f"qzpick:{quiz_id}:{attempt_id}:0:C")).toast == "这道题已经答过了，答案不能更改。"
    async with h.app.db.reading() as s:
        attempt = await s.get(QuizAttempt, int(attempt_id))
        assert attempt is not None and (attempt.position, attempt.correct, attempt.ticked) == (2, 1, "")
    # He goes on with /quiz in the group: the next question comes privately, where he stopped.
    assert "题目已私聊发给您" in h.texts(await h.say(ZHANG, "/quiz"))
    assert "继续答题：《安全月知识答题》已答 2/5 题" in seen_by(h, ZHANG)
    # Ticking twice sets, never toggles back; 提交 with nothing ticked is refused.
    await h.press(ZHANG, question(h, ZHANG), "☐ A")
    await h.press(ZHANG, question(h, ZHANG), "☑ A")
    assert (await h.press(ZHANG, question(h, ZHANG), "提交")).toast == "请先勾选至少一个选项，再点“提交”。"
    await answer(h, ZHANG, 3, "ABCD")
    await answer(h, ZHANG, 4, "AB")
    await answer(h, ZHANG, 5, "B")
    assert "《安全月知识答题》已答完：答对 3/5 题，得分 60 分" in seen_by(h, ZHANG)
    # A second attempt is refused, by the button and by /quiz.
    assert "您已经完成这期答题（答对 3/5 题，60 分），每人只能答一次" in (await h.press(ZHANG, group_sent, "开始答题")).toast  # type: ignore[operator]
    assert "每人只能答一次" in h.texts(await h.say(ZHANG, "/quiz", Harness.private(ZHANG)))
    assert labels(group_card(h))["已完成"] == "1/18 人"

    # The other 16 leads: lead k answers question q right unless (k + q) is a multiple of 4; 刘芳 answers all.
    for k, (_, who) in enumerate(people[1:], start=1):
        await h.press(who, group_sent, "开始答题")  # type: ignore[arg-type]
        for q in range(1, 6):
            await answer(h, who, q, KEY[q - 1] if (k + q) % 4 or k == 1 else WRONG[q - 1])
    # 华油's member 陈明 takes it too, all right, typing his answers (as where a platform has no buttons).
    private = Harness.private(CHEN)
    assert "您没有正在作答的题目" in h.texts(await h.say(CHEN, "/quiz B", private))
    await h.say(CHEN, "/quiz", private)
    assert "答题请在私聊中进行" in h.texts(await h.say(CHEN, "/quiz B"))
    assert "“AB”不是这道题的选项" in h.texts(await h.say(CHEN, "/quiz ab", private))
    for q, typed in enumerate(["b", "C", "DCBA", "A,B,C", "错"], start=1):
        if typed == "A,B,C":
            assert "“A,B,C”不是这道题的选项" in h.texts(await h.say(CHEN, f"/quiz {typed}", private))
            typed = "ABC"
        out = await h.say(CHEN, f"/quiz {typed}", private)
        assert "回答正确" in h.texts(out)
        shown = next(s for s in h.adapter.sent if s.chat == private and s.card and s.card.key.endswith(f":{q - 1}"))
        assert shown.card is not None and labels(shown.card)["正确答案"] == KEY[q - 1]
    assert "已答完：答对 5/5 题，得分 100 分" in seen_by(h, CHEN)

    final = labels(group_card(h))
    assert final["已完成"] == "18/18 人"
    lines = final["各企业"].splitlines()
    assert len(lines) == 17
    assert "华油装备制造有限公司：完成 2/2 人，平均 80 分" in lines  # 张伟 60, 陈明 100
    assert "宏达机械有限公司：完成 1/1 人，平均 100 分" in lines
    # Lead k=2 (企业03) misses question 2: 80; k=3 misses question 1 and 5: 60; k=4 misses 4: 80.
    assert "园区第03号企业有限公司：完成 1/1 人，平均 80 分" in lines
    assert "园区第04号企业有限公司：完成 1/1 人，平均 60 分" in lines
    scores = [60, 100, 100] + [100 - 20 * sum(1 for q in range(1, 6) if (k + q) % 4 == 0) for k in range(2, 17)]
    assert final["平均分"] == f"{round(sum(scores) / len(scores), 1):g} 分"
    # The card in the group was edited in place, never posted again.
    assert sum(1 for s in h.adapter.sent if s.chat == GROUP and s.card and s.card.key == "quiz:1") == 1

    # The year's figures for the summary.
    async with h.app.db.reading() as s:
        year = await quiz_queries.year_figures(s, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert (year.quizzes, year.person_times, year.people, year.enterprises) == (1, 18, 18, 17)
    assert year.average == round(sum(scores) / len(scores), 1)

    # The end time comes (the park's 12-21 00:00): the scheduler closes it, the card says so, the
    # manager who started it gets the per-person sheet; answering is refused from then on.
    sent = await h.remind(datetime(2026, 12, 20, 16, 0, tzinfo=UTC))
    closed = group_card(h)
    assert closed.status is not None and closed.status.text == "已结束" and closed.actions == ()
    sheet = next(s for s in sent if s.reply.documents)
    assert sheet.chat.chat_id == "p-li" and "共 18 人参加" in (sheet.reply.text or "")
    assert sheet.reply.document_names == ("知识答题第1期成绩表.xlsx",)
    from openpyxl import load_workbook

    book = load_workbook(sheet.reply.documents[0])
    rows = list(book["成绩"].iter_rows(values_only=True))
    assert rows[0] == ("企业", "姓名", "开始时间", "完成时间", "已答题数", "答对题数", "总题数", "得分", "状态")
    assert len(rows) == 19
    hua = [r for r in rows if r[0] == "华油装备制造有限公司"]
    assert [(r[1], r[4], r[5], r[6], r[7], r[8]) for r in hua] == [
        ("张伟", 5, 3, 5, 60, "已完成"),
        ("陈明", 5, 5, 5, 100, "已完成"),
    ]
    summary = list(book["企业汇总"].iter_rows(values_only=True))
    assert ("华油装备制造有限公司", 2, 2, 2, 80) in summary
    assert await h.remind(datetime(2026, 12, 20, 17, 0, tzinfo=UTC)) == []  # closed once
    assert "每人只能答一次" in (await h.press(LIU, group_sent, data="qzbegin:1")).toast  # type: ignore[operator]
    assert "目前没有您可以参加的知识答题" in h.texts(await h.say(LIU, "/quiz", Harness.private(LIU)))


async def test_a_quiz_for_named_enterprises_ended_by_a_manager(any_harness: Harness) -> None:
    h = any_harness  # on SQLite and PostgreSQL
    await seed(h, private=("admin", "li", "ma", "zhang", "liu", "chen"))
    await h.say(LI, "/quiz 题库", files=(csv_file(h, SAMPLE.read_bytes()),))
    out = await h.say(LI, "/quiz 消防知识 3题 7天内 18:00 华油", Harness.private(LI))
    assert "已发起第1期知识答题《消防知识》，共 3 道题" in h.texts(out)
    card = group_card(h)
    assert labels(card)["参加范围"] == "华油装备制造有限公司" and labels(card)["截止"] == "2026-12-07 18:00"
    group_sent = next(s for s in h.adapter.sent if s.chat == GROUP and s.card and s.card.key == "quiz:1")
    # 宏达 is not invited.
    assert (await h.press(LIU, group_sent, "开始答题")).toast == "这期知识答题不在您企业的参加范围内。"
    await h.press(ZHANG, group_sent, "开始答题")
    first = question(h, ZHANG)
    assert first.card is not None and "第 1/3 题" in first.card.title
    # 马科长 ends it now: the card closes, the sheet goes to both managers; 张伟 can no longer answer.
    out = await h.say(MA, "/quiz end 1")
    assert "第1期知识答题《消防知识》已结束，成绩表稍后私聊发给您" in h.texts(out)
    sheets = [s for s in h.adapter.sent if s.reply.documents]
    assert sorted(s.chat.chat_id for s in sheets) == ["p-li", "p-ma"]
    assert labels(group_card(h))["已完成"] == "0/2 人"
    assert "这期知识答题已经结束了" in h.texts(await h.say(MA, "/quiz end 1"))
    pressed = await h.press(ZHANG, first, first.card.actions[0][0].label)
    assert pressed.toast == "这期知识答题已经结束，不能再作答了。"
    from openpyxl import load_workbook

    rows = list(load_workbook(sheets[0].reply.documents[0])["成绩"].iter_rows(values_only=True))
    assert rows[1][:2] == ("华油装备制造有限公司", "张伟") and rows[1][4] == 0 and rows[1][8] == "未完成"
    assert "没有第7期知识答题" in h.texts(await h.say(LI, "/quiz end 7"))
