"""The campaigns file (issue 18, item 18): sent under a Chinese name that says which campaign it is."""

from __future__ import annotations

from tests.harness import LI, Harness, seed


async def test_the_campaigns_file_is_named_after_the_campaign(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, "/campaign 消防安全百日攻坚 2026-12-31 全面排查消防设施")
    out = await h.say(LI, "/campaigns excel", chat=h.private(LI))
    sent = next(s for s in out if s.reply.documents)
    assert sent.reply.document_names == ("专项行动进度_消防安全百日攻坚_2026-11-30.xlsx",)
    await h.say(LI, "/campaign 冬季防火/防爆检查 2026-12-31 排查")
    out = await h.say(LI, "/campaigns excel", chat=h.private(LI))
    sent = next(s for s in out if s.reply.documents)
    assert sent.reply.document_names == ("专项行动进度_消防安全百日攻坚等2项_2026-11-30.xlsx",)
