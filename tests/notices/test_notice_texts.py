"""Small texts of notices (issue 18, item 18): a notice's body keeps its closing 。 (only what parted the
title from the body is dropped)."""

from __future__ import annotations

from tests.harness import GROUP, LI, Harness, labels, seed


async def test_a_notice_body_keeps_its_closing_full_stop(harness: Harness) -> None:
    h = harness
    await seed(h)
    await h.say(LI, "/notice 关于开展冬季消防安全检查的通知。请各企业于12月10日前完成自查。")
    card = next(s for s in h.adapter.sent if s.chat == GROUP and s.card is not None)
    fields = labels(card.card)  # type: ignore[arg-type]
    assert fields["主题"] == "关于开展冬季消防安全检查的通知"
    assert fields["内容"] == "请各企业于12月10日前完成自查。"
