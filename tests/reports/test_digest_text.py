"""The digest never says something untrue about an enterprise: beyond the list, busy ones are summed up."""

from __future__ import annotations

from datetime import date

from domain.reports.queries import BroadcastFigures, EnterpriseWeek, WeekFigures
from handlers import texts as T
from handlers.reports.digest import digest_text

MONDAY = date(2026, 11, 30)
NOTHING = BroadcastFigures(0, 0, 0, 0, 0, 0, 0, 0)


def test_busy_enterprises_beyond_the_list_are_summed_up_not_called_quiet() -> None:
    busy = [EnterpriseWeek(i, f"企业{i}", found=1, open=1) for i in range(1, 18)]  # a seed-sized park: 17
    quiet = [EnterpriseWeek(100 + i, f"安静{i}") for i in range(3)]
    text = digest_text(WeekFigures(MONDAY, date(2026, 12, 7), busy + quiet, [], [], NOTHING), "示范园区")
    shown = [e.name for e in busy if f"· {e.name}：" in text]
    assert len(shown) == T.DIGEST_LIST_LIMIT
    assert "另有 2 家企业本周共新增 2 项、销号 0 项、逾期 0 项" in text
    assert "其余 3 家企业本周无新增、销号或逾期隐患" in text  # only the truly quiet ones


def test_all_quiet_is_said_only_when_no_one_had_anything() -> None:
    quiet = [EnterpriseWeek(i, f"安静{i}") for i in range(4)]
    text = digest_text(WeekFigures(MONDAY, date(2026, 12, 7), quiet, [], [], NOTHING), "示范园区")
    assert "本周各企业均无新增、销号或逾期隐患" in text and "另有" not in text


async def test_a_meeting_not_yet_held_is_not_counted_as_held_and_its_receipts_count(seeded) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from tests.harness import LI, LIU, ZHANG

    h = seeded
    h.clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))  # Tuesday 10:00 in the park
    await h.say(LI, "/meeting 2026-12-04 09:00 管委会三楼会议室 12月安全生产例会")
    await h.say(ZHANG, "/confirm HY-2026-01")
    await h.say(LIU, "/confirm HY-2026-01")
    week = h.texts(await h.say(LI, "/week 本周"))
    assert "召开会议 0 次" in week and "另有 1 次会议已通知、尚未召开" in week
    assert "回执率 0%" not in week  # two enterprises answered this week's notice
    summary = h.texts(await h.say(LI, "/summary 2026"))
    assert "召开安全生产例会 0 次" in summary and "另有 1 次会议已安排、尚未召开" in summary
