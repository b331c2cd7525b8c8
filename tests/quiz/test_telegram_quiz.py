"""The knowledge quiz over Telegram end to end: the real python-telegram-bot client polls the fake Bot API.
A manager sends the bank as a CSV file with the caption `/quiz 题库` and starts a quiz in the group; a
lead presses 开始答题, answers privately with the buttons (a multiple-choice question ticked, then 提交);
the group card counts them in place; a second attempt is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.harness import TG_GROUP_ID as GROUP_ID
from tests.harness import TG_ZHANG_ID as ZHANG_ID
from tests.harness import LiveBot
from tests.harness import seed_telegram_park as seed_park

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "知识答题题库样例.csv"


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def test_a_quiz_over_telegram(bot: LiveBot) -> None:
    tg = bot.tg
    park = await seed_park(bot)
    tg.send_document(park["li"], park["li_chat"], SAMPLE.read_bytes(), "题库.csv", "text/csv", caption="/quiz 题库")
    await tg.wait_for(lambda: any("《题库.csv》已导入 10 道题" in t for t in bot.texts(park["li_chat"])))
    await bot.say(park["li"], park["group"], "/quiz 安全月知识答题 题号1,3 12月20日")

    def card() -> dict[str, Any]:
        return next(m for m in tg.sent_messages(GROUP_ID) if "知识答题 第1期" in text_of(m))

    await tg.wait_for(lambda: any("知识答题 第1期" in text_of(m) for m in tg.sent_messages(GROUP_ID)))
    assert "已完成：0/1 人" in text_of(card())
    begin = dict(tg.buttons(card()))["开始答题"]
    tg.press(park["zhang"], card(), begin)

    def question(number: int) -> dict[str, Any]:
        return next(m for m in tg.sent_messages(ZHANG_ID) if f"第 {number}/2 题" in text_of(m))

    await tg.wait_for(lambda: any("第 1/2 题" in text_of(m) for m in tg.sent_messages(ZHANG_ID)))
    first = question(1)
    assert "正确答案" not in text_of(first) and "119；医疗急救" not in text_of(first)
    tg.press(park["zhang"], first, dict(tg.buttons(first))["B"])
    await tg.wait_for(lambda: "正确答案：B" in text_of(question(1)) and any("第 2/2 题" in text_of(m) for m in tg.sent_messages(ZHANG_ID)))
    assert tg.buttons(question(1)) == []  # answered: no buttons left
    def ticked(label: str) -> bool:
        return label in dict(tg.buttons(question(2)))

    for letter in "ABCD":
        tg.press(park["zhang"], question(2), dict(tg.buttons(question(2)))[f"☐ {letter}"])
        await tg.wait_for(lambda: ticked(f"☑ {letter}"))  # noqa: B023 - awaited before the loop moves on
    tg.press(park["zhang"], question(2), dict(tg.buttons(question(2)))["提交"])
    await tg.wait_for(lambda: any("答对 2/2 题，得分 100 分" in t for t in bot.texts(park["zhang_chat"])))
    await tg.wait_for(lambda: "已完成：1/1 人" in text_of(card()) and "平均分：100 分" in text_of(card()))
    tg.press(park["zhang"], card(), begin)
    await tg.wait_for(
        lambda: any("每人只能答一次" in str(c.params.get("text", "")) for c in tg.calls_of("answerCallbackQuery"))
    )
