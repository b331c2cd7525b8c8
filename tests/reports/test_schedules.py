"""Schedules with a manual clock: the weekly digest once per week (restarts, catch-up, two processes),
its figures for a week built through the handlers, and overdue escalation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PIL import Image

from bot.app import jobs as app_jobs
from bot.clock import ManualClock
from bot.scheduler import Scheduler
from domain.reports import queries as report_queries
from storage import jobs
from tests.harness import GROUP, LI, LIU, ZHANG, Harness, card_of, jpeg, seed

PARK_TZ_OFFSET = timedelta(hours=8)  # Asia/Shanghai


def park_time(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """Return a park wall-clock moment (Beijing time) as UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - PARK_TZ_OFFSET


class SettledScheduler(Scheduler):
    """A scheduler whose runs wait for the sender, so a test reads what each run sent."""

    def __init__(self, h: Harness) -> None:
        app = h.app
        super().__init__(
            settings=app.settings,
            clock=app.clock,
            db=app.db,
            dispatcher=app.dispatcher,
            jobs=app_jobs(app.settings),
        )
        self.sender = app.sender

    async def run(self, name: str, now: datetime | None = None) -> bool:
        """Run a job, then wait until its messages went out."""
        ran = await super().run(name, now)
        await self.sender.settle()
        return ran


def scheduler(h: Harness) -> Scheduler:
    """Return a scheduler over the harness's app (a "start" of the schedules)."""
    return SettledScheduler(h)


def digests(h: Harness) -> list[str]:
    """Return the texts of weekly digests the park group received."""
    return [
        s.reply.text or ""
        for s in h.adapter.sent
        if s.chat == GROUP and "安全生产周报" in (s.reply.text or "")
    ]


async def say(h: Harness, who, text: str, seed_: int | None = None) -> list:  # type: ignore[no-untyped-def]
    files = (h.add_file(jpeg(seed_)),) if seed_ is not None else ()
    return await h.say(who, text, files=files)


async def build_week(h: Harness) -> None:
    """Week 2026-W49 (Mon 11-30 to Sun 12-06), through the handlers as people would do it."""
    await seed(h)
    h.clock.set(park_time(2026, 11, 30, 9))
    await say(h, ZHANG, "/hazard 二车间配电箱门未关闭 限期 12月3日", 1)  # 0001, stays open, overdue
    await say(h, ZHANG, "/hazard 通道堆放杂物 立即整改", 2)  # 0002, closed immediately
    await say(h, ZHANG, "/fix YH-2026-0002 已清理", 3)
    await say(h, LI, "/accept YH-2026-0002")
    await say(h, ZHANG, "/hazard 灭火器过期 限期 12月5日", 4)  # 0003, closed by its deadline
    h.clock.set(park_time(2026, 12, 2, 10))
    await say(h, ZHANG, "/fix YH-2026-0003 已更换", 5)
    await say(h, LI, "/accept YH-2026-0003")
    await say(h, LIU, "/hazard 储罐区可燃气体报警器失灵 限期 12月20日", 6)  # 0004, 宏达, made major
    out = await say(h, LI, "/level YH-2026-0004 重大")
    assert "重大" in h.texts(out)
    # A meeting in the week that 华油 confirmed, and a campaign whose report from 华油 was accepted.
    await say(h, LI, "/meeting 12月4日 14:00 管委会三楼会议室 12月安全生产例会")
    await say(h, ZHANG, "/confirm HY-2026-01")
    await say(h, LI, "/campaign 冬季消防专项行动 2026-12-20 排查消防设施")
    await say(h, ZHANG, "/report ZX-2026-01 已完成消防设施自查", 7)
    await say(h, LI, "/report_accept ZX-2026-01 华油")


async def test_digest_cron_rule_is_monday_0830_park_time(harness: Harness) -> None:
    s = scheduler(harness)
    trigger = s.trigger("digest")
    sunday = park_time(2026, 12, 6, 20)
    assert trigger.get_next_fire_time(None, sunday) == park_time(2026, 12, 7, 8, 30)
    assert s.latest_fire("digest", park_time(2026, 12, 8, 10)) == park_time(2026, 12, 7, 8, 30)
    assert scheduler(harness).trigger("overdue").get_next_fire_time(None, sunday) == park_time(2026, 12, 7, 9)


def test_latest_fire_is_the_latest_scheduled_time_within_the_lookback(harness: Harness) -> None:
    """The doubling look-back finds the latest scheduled time at or before now within the look-back."""
    from bot.scheduler import LOOKBACK, Job

    async def body(*_: object) -> list:  # type: ignore[type-arg]
        return []

    crons = ["30 8 * * mon", "0 9 * * *", "*/10 * * * *", "* * * * *", "0 0 1 * *", "15 3 * * sun"]
    s = Scheduler(
        settings=harness.app.settings,
        clock=harness.clock,
        db=harness.app.db,
        dispatcher=harness.app.dispatcher,
        jobs=[Job(cron, cron, body, None) for cron in crons],
    )

    def latest(cron: str, now: datetime) -> datetime | None:
        """Check the answer against the definition: a scheduled time at or before `now`, none after it
        up to `now`, and none at all within the look-back when the answer is None."""
        trigger, found = s.trigger(cron), s.latest_fire(cron, now)
        if found is None:
            first = trigger.get_next_fire_time(None, now - LOOKBACK)
            assert first is None or first > now, (cron, now, first)
            return None
        assert now - LOOKBACK <= found <= now and trigger.get_next_fire_time(None, found) == found
        after = trigger.get_next_fire_time(found, found + timedelta(seconds=1))
        assert after is None or after > now, (cron, now, found, after)
        return found

    base = park_time(2026, 12, 7, 8, 30)  # a Monday, on the digest's time
    offsets = [timedelta(0), timedelta(seconds=1), timedelta(microseconds=1), -timedelta(microseconds=1)]
    offsets += [timedelta(minutes=m) for m in (-61, -1, 7, 59, 60 * 26, 60 * 24 * 6 + 13, 60 * 24 * 30)]
    for cron in crons:
        for offset in offsets:
            now = base + offset
            latest(cron, now)
    assert latest("0 0 1 * *", park_time(2026, 12, 20, 12)) is None  # older than the look-back
    assert latest("* * * * *", base + timedelta(seconds=30)) == base
    assert latest("*/10 * * * *", base + timedelta(minutes=7)) == base
    assert latest("0 9 * * *", base) == base - timedelta(hours=23, minutes=30)
    assert latest("30 8 * * mon", base - timedelta(microseconds=1)) == base - timedelta(days=7)


async def test_the_digest_is_sent_at_its_time_once_and_not_again_after_a_restart(harness: Harness) -> None:
    h = harness
    await build_week(h)
    h.clock.set(park_time(2026, 12, 7, 8, 0))
    assert "digest" not in await scheduler(h).catch_up()  # last Monday's run is a week old: not caught up
    assert digests(h) == []
    h.clock.set(park_time(2026, 12, 7, 8, 30))
    s = scheduler(h)
    assert await s.run("digest")
    assert not await s.run("digest")  # a manual re-run of the same period does nothing
    h.clock.set(park_time(2026, 12, 7, 9, 30))
    assert "digest" not in await scheduler(h).catch_up()  # a restart after the time sends nothing more
    sent = digests(h)
    assert len(sent) == 1 and "2026-W49" in sent[0]
    post = next(s for s in h.adapter.sent if s.chat == GROUP and "安全生产周报" in (s.reply.text or ""))
    assert len(post.reply.photos) == 1 and post.reply.photos[0].read_bytes().startswith(b"\x89PNG")
    async with h.app.db.reading() as session:
        assert [p for p, _ in await jobs.runs(session, "digest")] == ["2026-W49"]


async def test_a_bot_down_over_monday_0830_sends_the_digest_once_when_started_on_tuesday(
    harness: Harness,
) -> None:
    h = harness
    await build_week(h)
    h.clock.set(park_time(2026, 12, 8, 10))  # Tuesday
    assert "digest" in await scheduler(h).catch_up()
    assert "digest" not in await scheduler(h).catch_up()  # started again: nothing more
    assert len(digests(h)) == 1 and "2026-W49" in digests(h)[0]


async def test_the_digest_figures_of_a_week_built_through_the_handlers(harness: Harness) -> None:
    h = harness
    await build_week(h)
    h.clock.set(park_time(2026, 12, 7, 8, 30))
    async with h.app.db.reading() as session:
        f = await report_queries.week_figures(
            session, date(2026, 11, 30), date(2026, 12, 7), h.app.settings.park.tz
        )
    by_name = {e.name: e for e in f.enterprises}
    huayou, hongda = by_name["华油装备制造有限公司"], by_name["宏达机械有限公司"]
    assert (huayou.found, huayou.closed_immediate, huayou.closed_deadline, huayou.open) == (3, 1, 1, 1)
    assert [(o.code, o.days) for o in huayou.overdue] == [("YH-2026-0001", 4)]
    assert (hongda.found, hongda.closed, hongda.open, hongda.overdue) == (1, 0, 1, [])
    assert [m.code for m in f.majors] == ["YH-2026-0004"]
    assert f.trend[-1] == (date(2026, 11, 30), 4, 2) and [t[1] for t in f.trend[:-1]] == [0] * 7
    assert await scheduler(h).run("digest")
    text = digests(h)[0]
    assert "本周新发现隐患 4 项；销号 2 项（立即整改 1、限期整改 1）；周末未销号 2 项；逾期 1 项。" in text
    assert "· 华油装备制造有限公司：新增 3，销号 2，未销号 1，逾期 1（YH-2026-0001 逾期4天）" in text
    assert "· 宏达机械有限公司：新增 1，销号 0，未销号 1" in text
    assert "YH-2026-0004 宏达机械有限公司（整改中）" in text
    assert "会议和通知：召开会议 1 次（例会 1 次），发布通知 0 份，回执率 50%。" in text
    assert "专项行动：\n· ZX-2026-01 冬季消防专项行动：已完成 1/2" in text


async def test_quiet_enterprises_are_summarised_in_one_line(seeded: Harness) -> None:
    h = seeded
    from domain.park import operations as park_ops

    async with h.app.db.unit_of_work() as s:
        for i in range(5):
            await park_ops.add_enterprise(
                s, name=f"安静企业{i}", aliases=[], industry=None, actor=None, at=h.clock.now()
            )
    await say(h, ZHANG, "/hazard 配电箱未接地 限期 12月10日", 1)
    out = await h.say(LI, "/week 本周")
    text = h.texts(out)
    assert "安静企业" not in text and "其余 6 家企业本周无新增、销号或逾期隐患。" in text
    assert out[0].reply.photos


async def test_two_bot_processes_on_one_postgresql_database_send_the_digest_once(
    pg_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with (
        Harness.running(pg_url, tmp_path, clock) as first,
        Harness.running(pg_url, tmp_path, clock) as second,
    ):
        await seed(first)
        await say(first, ZHANG, "/hazard 二车间配电箱门未关闭 限期 12月3日", 1)
        clock.set(park_time(2026, 12, 7, 8, 30))
        ran = await asyncio.gather(scheduler(first).run("digest"), scheduler(second).run("digest"))
        assert sorted(ran) == [False, True]
        assert len(digests(first)) + len(digests(second)) == 1
        ran = await asyncio.gather(scheduler(first).catch_up(), scheduler(second).catch_up())
        assert len(digests(first)) + len(digests(second)) == 1


async def test_apscheduler_fires_the_jobs_at_their_cron_times(harness: Harness) -> None:
    s = scheduler(harness)
    now = harness.clock.now()
    times = {
        name: s.trigger(name).get_next_fire_time(None, now) for name in s.jobs
    }  # what `start` hands APScheduler
    assert set(times) == {"digest", "overdue", "reminders", "alerts"}
    alerts = times["alerts"]  # a roll call's silent members: every minute, quiet hours aside
    assert alerts is not None and alerts - now <= timedelta(minutes=1)
    digest = times["digest"]
    assert (
        digest is not None
        and digest.astimezone(harness.app.settings.park.tz).strftime("%a %H:%M") == "Mon 08:30"
    )


# --- overdue escalation ---------------------------------------------------------------------------


def private_texts(h: Harness, user: str, marker: str) -> list[str]:
    return [
        s.reply.text or ""
        for s in h.adapter.sent
        if s.chat.chat_id == f"p-{user}" and marker in (s.reply.text or "")
    ]


async def test_overdue_card_reminder_and_escalation(seeded: Harness) -> None:
    h = seeded
    card = card_of(await say(h, ZHANG, "/hazard 二车间配电箱门未关闭 限期 12月3日", 1))  # 0001 general
    await say(h, LIU, "/hazard 储罐区报警器失灵 限期 12月3日", 2)  # 0002, made major
    await say(h, LI, "/level YH-2026-0002 重大")
    h.clock.set(park_time(2026, 12, 4, 6, 0))  # overdue since midnight, but in quiet hours
    s = scheduler(h)
    assert await s.run("reminders")
    assert private_texts(h, "zhang", "YH-2026-0001") == []
    h.clock.set(park_time(2026, 12, 4, 9, 0))
    assert await s.run("overdue")
    assert card.card is not None and "已逾期 1 天" in card.card.status.text  # type: ignore[union-attr]
    assert card.edits >= 1
    reminded = private_texts(h, "zhang", "YH-2026-0001")
    assert len(reminded) == 1 and "已逾期 1 天" in reminded[0]
    assert (
        len(private_texts(h, "li", "逾期升级")) == 1
        and "YH-2026-0002" in private_texts(h, "li", "逾期升级")[0]
    )
    h.clock.set(park_time(2026, 12, 4, 9, 10))
    assert await s.run("reminders")
    assert not await s.run("overdue")  # today's run was made
    assert len(private_texts(h, "zhang", "YH-2026-0001")) == 1  # once a day
    h.clock.set(park_time(2026, 12, 5, 9, 0))
    assert await s.run("overdue")
    assert len(private_texts(h, "zhang", "YH-2026-0001")) == 2  # the next day, again
    assert [
        t for t in private_texts(h, "li", "逾期升级") if "YH-2026-0001" in t
    ] == []  # general: day 2 is not yet
    h.clock.set(park_time(2026, 12, 6, 9, 0))
    assert await s.run("overdue")
    escalated = private_texts(h, "li", "逾期升级")
    assert len(escalated) == 2 and "YH-2026-0001" in escalated[1] and "已逾期 3 天" in escalated[1]
    assert len(private_texts(h, "ma", "逾期升级")) == 2 and len(private_texts(h, "admin", "逾期升级")) == 2


def covered(font: Path, labels: Sequence[str]) -> set[str]:
    """Return the characters of the labels that the font has no glyph for (whitespace aside)."""
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(str(font)).get_charmap()
    return {ch for label in labels for ch in label if not ch.isspace() and ord(ch) not in charmap}


def test_chart_is_a_png_whose_font_covers_every_label(tmp_path: Path) -> None:
    import warnings

    from domain.reports.queries import EnterpriseWeek, OverdueItem, WeekFigures
    from handlers.reports.charts import digest_chart, font_path

    ents = [
        EnterpriseWeek(i, f"企业{i}号装备制造有限公司", found=i, closed_immediate=1, open=2)
        for i in range(1, 16)
    ]
    ents[0].overdue.append(OverdueItem("YH-2026-0001", 1, 3, "general"))  # type: ignore[arg-type]
    ents.append(EnterpriseWeek(99, "华油装备制造有限公司"))
    trend = [(date(2026, 10, 12) + timedelta(weeks=i), i, i // 2) for i in range(8)]
    figures = WeekFigures(date(2026, 11, 30), date(2026, 12, 7), ents, [], trend, None)
    path = tmp_path / "chart.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        labels = digest_chart(figures, path)
    assert not [w for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(path) as img:
        img.verify()
    assert "其他企业" in labels and "近 8 周隐患趋势" in labels and "11月30日" in labels
    assert covered(font_path(), labels) == set()
    assert covered(font_path(), ["\U0001f600"]) == {"\U0001f600"}  # the check itself can fail


async def test_a_lead_without_a_private_chat_is_named_once_in_the_group(harness: Harness) -> None:
    h = harness
    await seed(h, private=("admin", "li", "ma", "liu"))  # 张伟 never wrote to the bot privately
    await say(h, ZHANG, "/hazard 二车间配电箱门未关闭 限期 12月3日", 1)
    s = scheduler(h)

    def mentions() -> list[str]:
        return [
            t.reply.text or ""
            for t in h.adapter.sent
            if t.chat == GROUP and "整改期限已过" in (t.reply.text or "")
        ]

    h.clock.set(park_time(2026, 12, 4, 9, 0))
    assert await s.run("overdue")
    said = mentions()
    assert (
        len(said) == 1
        and said[0].startswith("@zhang，隐患 YH-2026-0001 整改期限已过")
        and "/start" in said[0]
    )
    assert "华油" not in said[0]  # the group hears the person and the code, never a list of enterprises
    h.clock.set(park_time(2026, 12, 5, 9, 0))
    assert await s.run("overdue")
    assert len(mentions()) == 1  # once for the hazard, not every day
