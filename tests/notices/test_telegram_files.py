"""Nothing sent is lost, over Telegram end to end (issue 18, items 1–3): the real python-telegram-bot
client polls the fake Bot API. A manager's lone Excel file goes with the /notice sent next; a campaign
report sent as an album keeps every photo; a photo sent right after a report's text joins it."""

from __future__ import annotations

import pytest

from tests.harness import TG_GROUP_ID as GROUP_ID
from tests.harness import TG_LI_ID as LI_ID
from tests.harness import XLSX_TYPE, LiveBot, jpeg, xlsx
from tests.harness import seed_telegram_park as seed_park

pytestmark = pytest.mark.e2e  # real HTTP to a fake platform server



def documents(bot: LiveBot, chat_id: int) -> list[str]:
    """Return the names of the files the bot sent to a chat."""
    return [m["document"]["file_name"] for m in bot.tg.sent_messages(chat_id) if m.get("document")]


def report_card(bot: LiveBot) -> str:
    """Return the text of the submission card in 李干部's private chat, as it is now."""
    return next(t for t in bot.texts({"id": LI_ID}) if t.startswith("自查报告 ZX-2026-01"))


async def test_a_lone_file_goes_with_the_next_notice_over_telegram(bot: LiveBot) -> None:
    tg = bot.tg
    park = await seed_park(bot)
    tg.send_document(park["li"], park["li_chat"], xlsx(1), "自查表.xlsx", XLSX_TYPE)
    await tg.wait_for(lambda: any("已收到文件《自查表.xlsx》" in t for t in bot.texts(park["li_chat"])))
    assert not any("只接受 PDF" in t for t in bot.texts(park["li_chat"]))
    said = await bot.say(park["li"], park["li_chat"], "/notice 关于开展冬季消防安全检查的通知。请对照附件自查。")
    assert "已附上您之前发送的文件《自查表.xlsx》" in said
    await tg.wait_for(lambda: documents(bot, GROUP_ID) == ["自查表.xlsx"])
    card = next(m for m in tg.sent_messages(GROUP_ID) if "通知 TZ-2026-01" in (m.get("text") or m.get("caption") or ""))
    assert "《自查表.xlsx》" in (card.get("text") or card.get("caption") or "")


async def test_a_report_album_and_a_photo_after_the_text_are_kept_over_telegram(bot: LiveBot) -> None:
    tg = bot.tg
    park = await seed_park(bot)
    said = await bot.say(park["li"], park["li_chat"], "/campaign 消防安全百日攻坚 2026-12-31 全面排查消防设施")
    assert "ZX-2026-01" in said
    zhang, chat = park["zhang"], park["zhang_chat"]
    tg.send_photo(zhang, chat, jpeg(1), caption="/report ZX-2026-01 已完成消防设施排查", media_group_id="album-1")
    tg.send_photo(zhang, chat, jpeg(2), media_group_id="album-1")
    await tg.wait_for(lambda: any("附件：照片 2 张" in t for t in bot.texts({"id": LI_ID})))
    await tg.wait_idle()
    assert not any("登记为隐患" in t for t in bot.texts(chat))
    # A photo alone right after: added to the report (not "请用命令和我交流", not a new hazard).
    tg.send_photo(zhang, chat, jpeg(3))
    await tg.wait_for(lambda: any("已补充到华油装备有限公司的 ZX-2026-01 自查报告：照片 1 张" in t for t in bot.texts(chat)))
    await tg.wait_for(lambda: "附件：照片 3 张" in report_card(bot))
    assert not any("请用命令和我交流" in t or "登记为隐患" in t for t in bot.texts(chat))
