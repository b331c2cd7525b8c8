"""Officers per enterprise (包片包户, issue 19 item 3): the rules as tables, /officer through the core, the
officer told first of an overdue hazard (manual clock), 我包联的企业 in /todo, /summary, the CSV import."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import jobs
from bot.cli import main
from bot.clock import ManualClock
from bot.enterprise_csv import officer_problem, read_enterprises
from bot.scheduler import Scheduler
from domain.hazards.rules import lateness
from domain.outcome import Refused
from domain.park import operations as park_ops
from domain.park import queries as park_queries
from domain.park.rules import (
    OfficerRefusal,
    Perm,
    acting_officer,
    may_assign_officer,
    may_be_officer,
    officer_refusal,
    role_allows,
)
from handlers import texts as T
from storage.enums import HazardStatus, Level, Mode, Role
from storage.models import AuditEntry, Enterprise
from tests.harness import ADMIN, LI, LIU, MA, ZHANG, ZHAO, Harness, jpeg, seed

# --- the rules, as tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Someone:
    id: int
    role: Role | None
    enterprise_id: int | None = None


@dataclass(frozen=True)
class AnEnterprise:
    id: int = 1
    active: bool = True
    officer_id: int | None = None


PEOPLE = {
    "admin": Someone(1, Role.ADMIN),
    "manager": Someone(2, Role.MANAGER),
    "inspector": Someone(3, Role.INSPECTOR),
    "lead": Someone(4, Role.LEAD, 1),
    "member": Someone(5, Role.MEMBER, 1),
    "stranger": Someone(7, None),
}

# who may assign (the role table and the row's rule agree), who may be an officer, who may list
ASSIGN = {"admin"}
OFFICER = {"admin", "manager"}
LIST = {"admin", "manager"}


@pytest.mark.parametrize("role", list(PEOPLE))
def test_who_assigns_who_lists_and_who_may_be_an_officer(role: str) -> None:
    p = PEOPLE[role]
    assert may_assign_officer(p) == (role in ASSIGN) == role_allows(p.role, Perm.OFFICER_SET)  # type: ignore[arg-type]
    assert role_allows(p.role, Perm.OFFICER_VIEW) == (role in LIST)
    assert may_be_officer(p) == (role in OFFICER)  # type: ignore[arg-type]
    assert (acting_officer(p) is p) == (role in OFFICER)  # type: ignore[arg-type]


REFUSALS = [
    ("admin", "manager", AnEnterprise(), None),
    ("admin", "admin", AnEnterprise(), None),
    ("admin", None, AnEnterprise(), None),  # removing the officer
    ("admin", "lead", AnEnterprise(), OfficerRefusal.NOT_MANAGER),
    ("admin", "inspector", AnEnterprise(), OfficerRefusal.NOT_MANAGER),
    ("admin", "manager", AnEnterprise(active=False), OfficerRefusal.ENTERPRISE_INACTIVE),
    ("manager", "manager", AnEnterprise(), OfficerRefusal.NOT_ALLOWED),
    ("manager", None, AnEnterprise(), OfficerRefusal.NOT_ALLOWED),
    ("lead", "manager", AnEnterprise(), OfficerRefusal.NOT_ALLOWED),
    ("inspector", "manager", AnEnterprise(), OfficerRefusal.NOT_ALLOWED),
]


@pytest.mark.parametrize(("actor", "officer", "enterprise", "refusal"), REFUSALS)
def test_officer_refusals(
    actor: str, officer: str | None, enterprise: AnEnterprise, refusal: OfficerRefusal | None
) -> None:
    who = PEOPLE[officer] if officer else None
    assert officer_refusal(PEOPLE[actor], who, enterprise) == refusal  # type: ignore[arg-type]


@dataclass(frozen=True)
class AHazard:
    level: Level = Level.GENERAL
    status: HazardStatus = HazardStatus.RECTIFYING
    mode: Mode = Mode.DEADLINE
    due_date: date = date(2026, 12, 3)
    found_at: datetime = datetime(2026, 11, 30, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("level", "today", "officer", "others"),
    [
        (Level.GENERAL, date(2026, 12, 3), None, None),  # not late yet
        (Level.GENERAL, date(2026, 12, 4), True, False),  # first late day: the officer only
        (Level.GENERAL, date(2026, 12, 5), True, False),
        (Level.GENERAL, date(2026, 12, 6), True, True),  # the escalation delay (3 days): the others too
        (Level.MAJOR, date(2026, 12, 4), True, True),  # a major hazard: everyone on its first late day
    ],
)
def test_the_officer_hears_first_the_others_after_the_escalation_delay(
    level: Level, today: date, officer: bool | None, others: bool | None
) -> None:
    late = lateness(AHazard(level=level), today, UTC, 1, 3)  # type: ignore[arg-type]
    if officer is None:
        assert late is None
    else:
        assert late is not None and (late.officer, late.escalate) == (officer, others)


# --- /officer through the core ----------------------------------------------------------------------


def private(h: Harness, user: str, marker: str) -> list[str]:
    """Return what one person received privately that contains the marker."""
    return [
        s.reply.text or ""
        for s in h.adapter.sent
        if s.chat.chat_id == f"p-{user}" and marker in (s.reply.text or "")
    ]


async def officer_ids(h: Harness) -> dict[str, int | None]:
    async with h.app.db.reading() as s:
        rows = (await s.execute(select(Enterprise.name, Enterprise.officer_id))).all()
    return {name: officer_id for name, officer_id in rows}


async def person_id(h: Harness, user: str) -> int:
    async with h.app.db.reading() as s:
        found = await park_queries.find_person(s, "test", user)
        assert found is not None
        return found.id


async def test_an_admin_assigns_lists_and_removes_officers(seeded: Harness) -> None:
    h = seeded
    listed = h.texts(await h.say(LI, "/officer"))
    assert "包片干部 0 人，包联企业 0/2 家" in listed and "尚未指定包片干部的企业（2 家）" in listed
    out = h.texts(await h.say(ADMIN, "/officer 华油 宏达 李干部"))
    assert "已指定 李干部 为包片干部，包联：华油装备制造有限公司、宏达机械有限公司。" in out
    li = await person_id(h, "li")
    assert set((await officer_ids(h)).values()) == {li}
    notice = private(h, "li", "指定您为以下企业的包片干部")
    assert len(notice) == 1 and "华油装备制造有限公司、宏达机械有限公司" in notice[0]
    listed = h.texts(await h.say(MA, "/officer"))
    assert (
        "· 李干部：华油装备制造有限公司、宏达机械有限公司" in listed and "每家企业都已指定包片干部" in listed
    )
    # The Chinese name, one enterprise moved to another officer: the one who had it is told.
    out = h.texts(await h.say(ADMIN, "/包联 宏达 马科长"))
    assert "已指定 马科长 为包片干部，包联：宏达机械有限公司。（宏达机械有限公司原由 李干部 包联）" in out
    assert private(h, "li", "已取消您对以下企业的包联：宏达机械有限公司")
    assert "李干部 已经是华油装备制造有限公司的包片干部" in h.texts(
        await h.say(ADMIN, "/officer 华油 李干部")
    )
    out = h.texts(await h.say(ADMIN, "/officer 华油 无"))
    assert "已取消华油装备制造有限公司的包片干部（原为 李干部）。" in out
    assert (await officer_ids(h))["华油装备制造有限公司"] is None
    async with h.app.db.reading() as s:
        audited = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "enterprise.officer"))).all()
    assert len(audited) == 4  # 华油 and 宏达 to 李干部, 宏达 to 马科长, 华油 removed


async def test_only_an_admin_assigns_and_only_a_manager_is_an_officer(seeded: Harness) -> None:
    h = seeded
    assert T.OFFICER_ONLY_ADMIN in h.texts(await h.say(LI, "/officer 华油 李干部"))  # a manager lists only
    refused = h.texts(await h.say(ZHANG, "/officer"))  # a lead: not even the list
    assert "包片包户名单" not in refused and "需要" in refused
    assert "包片包户名单" not in h.texts(await h.say(ZHAO, "/officer 华油 李干部"))
    out = h.texts(await h.say(ADMIN, "/officer 华油 张伟"))
    assert "张伟 的身份是安全负责人，不能担任包片干部" in out and "/role 张伟 manager" in out
    assert T.OFFICER_USAGE in h.texts(await h.say(ADMIN, "/officer 华油"))
    assert "没有找到人员“无名氏”" in h.texts(await h.say(ADMIN, "/officer 华油 无名氏"))
    assert "没有找到企业“东方红”" in h.texts(await h.say(ADMIN, "/officer 东方红 李干部"))
    assert set((await officer_ids(h)).values()) == {None}


async def test_a_near_name_is_picked_with_a_button_and_the_press_is_checked(seeded: Harness) -> None:
    h = seeded
    out = await h.say(ADMIN, "/officer 华油装备 李干部")
    picker = next(s for s in out if s.reply.buttons)
    assert "请点选" in (picker.reply.text or "")
    refused = await h.press(LI, picker, "华油装备制造有限公司")  # a manager's press is refused
    assert (await officer_ids(h))["华油装备制造有限公司"] is None, refused
    await h.press(ADMIN, picker, "华油装备制造有限公司")
    assert (await officer_ids(h))["华油装备制造有限公司"] == await person_id(h, "li")


async def test_someone_no_longer_a_manager_is_no_longer_an_officer(seeded: Harness) -> None:
    h = seeded
    await h.say(ADMIN, "/officer 华油 马科长")
    assert (await officer_ids(h))["华油装备制造有限公司"] == await person_id(h, "ma")
    await h.say(ADMIN, "/role 马科长 inspector")
    assert (await officer_ids(h))["华油装备制造有限公司"] is None
    assert "尚未指定包片干部的企业（2 家）" in h.texts(await h.say(LI, "/officer"))


# --- escalation: the officer first, the other managers after the escalation delay --------------------

PARK = timedelta(hours=8)  # Asia/Shanghai


def park_time(y: int, m: int, d: int, hh: int) -> datetime:
    return datetime(y, m, d, hh, tzinfo=UTC) - PARK


async def run(h: Harness, job: str, at: datetime) -> None:
    h.clock.set(at)
    scheduler = Scheduler(
        settings=h.app.settings,
        clock=h.app.clock,
        db=h.app.db,
        dispatcher=h.app.dispatcher,
        jobs=jobs(h.app.settings),
    )
    assert await scheduler.run(job, at)
    await h.app.sender.settle()


async def test_an_overdue_hazard_reaches_its_officer_first_then_the_other_managers(seeded: Harness) -> None:
    h = seeded
    await h.say(ADMIN, "/officer 华油 马科长")
    await h.say(ZHANG, "/hazard 二车间配电箱门未关闭 限期 12月3日", files=(h.add_file(jpeg(1)),))  # 华油
    await h.say(LIU, "/hazard 仓库通道堵塞 限期 12月3日", files=(h.add_file(jpeg(2)),))  # 宏达: no officer
    await run(h, "overdue", park_time(2026, 12, 4, 9))  # first late day
    told = private(h, "ma", "包联企业隐患逾期")
    assert (
        len(told) == 1
        and "YH-2026-0001" in told[0]
        and "逾期满 3 天仍未整改的，将同时告知其他管理人员" in told[0]
    )
    assert private(h, "li", "逾期升级") == [] and private(h, "admin", "逾期升级") == []
    await run(h, "reminders", park_time(2026, 12, 4, 9) + timedelta(minutes=10))
    await run(h, "overdue", park_time(2026, 12, 5, 9))
    assert len(private(h, "ma", "包联企业隐患逾期")) == 1  # once per due date
    await run(h, "overdue", park_time(2026, 12, 6, 9))  # the escalation delay: the other managers
    for user in ("li", "admin"):
        escalated = private(h, user, "逾期升级")
        assert sorted("YH-2026-0001" in t for t in escalated) == [False, True], user
    officer_escalations = private(h, "ma", "逾期升级")
    assert [t for t in officer_escalations if "YH-2026-0001" in t] == []  # the officer is not told twice
    assert any("YH-2026-0002" in t for t in officer_escalations)  # 宏达 has no officer: every manager


async def test_a_major_hazard_reaches_its_officer_and_the_managers_at_once(seeded: Harness) -> None:
    h = seeded
    await h.say(ADMIN, "/officer 华油 马科长")
    await h.say(ZHANG, "/hazard 储罐区可燃气体报警器失灵 限期 12月3日", files=(h.add_file(jpeg(3)),))
    await h.say(LI, "/level YH-2026-0001 重大")
    await run(h, "overdue", park_time(2026, 12, 4, 9))
    told = private(h, "ma", "包联企业隐患逾期")
    assert len(told) == 1 and "将同时告知" not in told[0]
    assert len(private(h, "li", "逾期升级")) == 1 and private(h, "ma", "逾期升级") == []


# --- 我包联的企业 and the summary --------------------------------------------------------------------


async def test_an_officers_todo_shows_their_enterprises_first_and_the_summary_counts_them(
    seeded: Harness,
) -> None:
    h = seeded
    await h.say(ADMIN, "/officer 华油 李干部")
    await h.say(ZHANG, "/hazard 二车间配电箱门未关闭 限期 12月3日", files=(h.add_file(jpeg(1)),))
    await h.say(ZHANG, "/hazard 通道堆放杂物 限期 12月20日", files=(h.add_file(jpeg(2)),))
    await h.say(ZHANG, "/fix YH-2026-0002 已清理", files=(h.add_file(jpeg(3)),))
    h.clock.set(park_time(2026, 12, 4, 10))
    todo = h.texts(await h.say(LI, "/todo", Harness.private(LI)))
    lines = todo.splitlines()
    assert lines[1] == "我包联的企业（1 家）："
    assert lines[2] == "· 华油装备制造有限公司：待整改 1 项（逾期 1 项），待验收 1 项"
    assert "我包联的企业" not in h.texts(await h.say(MA, "/todo", Harness.private(MA)))
    summary = h.texts(await h.say(LI, "/summary 2026"))
    assert "包片干部 1 人，包联企业 1 家" in summary and "包片干部（人）/包联企业（家）：1/1" in summary


# --- the enterprise CSV import --------------------------------------------------------------------


def csv_file(tmp_path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "park.csv"
    path.write_bytes(text.encode(encoding))
    return path


async def test_the_csv_import_sets_officers(seeded: Harness, tmp_path: Path) -> None:
    h = seeded
    path = csv_file(
        tmp_path,
        "名称,别名,包片干部\n华油装备制造有限公司,华油,李干部\n宏达机械有限公司,宏达,\n胜利机械有限公司,胜利,马科长\n",
        "gbk",
    )
    rows = read_enterprises(path)
    assert (rows[0]["name"], rows[0]["officer"], rows[0]["line"]) == ("华油装备制造有限公司", "李干部", 2)
    async with h.app.db.unit_of_work() as s:
        assert await park_ops.import_enterprises(s, rows, h.clock.now()) == (1, 2)
    ids = await officer_ids(h)
    li, ma = await person_id(h, "li"), await person_id(h, "ma")
    assert ids == {"华油装备制造有限公司": li, "宏达机械有限公司": None, "胜利机械有限公司": ma}
    # Without the column, officers stay as they are.
    rows = read_enterprises(csv_file(tmp_path, "name,aliases\n华油装备制造有限公司,华油\n"))
    assert "officer" not in rows[0]
    async with h.app.db.unit_of_work() as s:
        await park_ops.import_enterprises(s, rows, h.clock.now())
    assert (await officer_ids(h))["华油装备制造有限公司"] == li


@pytest.mark.parametrize(
    ("officer", "reason", "said"),
    [
        ("张伟", OfficerRefusal.NOT_MANAGER, "is not a manager"),
        ("无名氏", OfficerRefusal.OFFICER_UNKNOWN, "nobody the bot knows"),
    ],
)
async def test_the_csv_import_refuses_an_officer_it_cannot_use(
    seeded: Harness, tmp_path: Path, officer: str, reason: OfficerRefusal, said: str
) -> None:
    h = seeded
    path = csv_file(tmp_path, f"name,officer\n新建企业有限公司,李干部\n宏达机械有限公司,{officer}\n")
    with pytest.raises(Refused) as caught:
        async with h.app.db.unit_of_work() as s:
            await park_ops.import_enterprises(s, read_enterprises(path), h.clock.now())
    assert caught.value.reason == reason
    message = officer_problem(path, caught.value)
    assert "line 3: officer:" in message and said in message and "nothing was imported" in message
    async with h.app.db.reading() as s:  # one transaction: the first line was not kept either
        assert await s.scalar(select(Enterprise).where(Enterprise.name == "新建企业有限公司")) is None


async def test_the_csv_import_names_several_people_of_one_name(harness: Harness, tmp_path: Path) -> None:
    h = harness
    await seed(h)
    async with h.app.db.unit_of_work() as s:
        for user in ("li2", "li3"):
            p = await park_ops.upsert_person(
                s, platform="dingtalk", external_id=user, display_name="李四", username=None, at=h.clock.now()
            )
            p.role = Role.MANAGER
    path = csv_file(tmp_path, "name,officer\n华油装备制造有限公司,李四\n")
    with pytest.raises(Refused) as caught:
        async with h.app.db.unit_of_work() as s:
            await park_ops.import_enterprises(s, read_enterprises(path), h.clock.now())
    assert caught.value.reason == OfficerRefusal.OFFICER_AMBIGUOUS
    path = csv_file(tmp_path, "name,officer\n华油装备制造有限公司,dingtalk:li3\n")
    async with h.app.db.unit_of_work() as s:
        await park_ops.import_enterprises(s, read_enterprises(path), h.clock.now())
    async with h.app.db.reading() as s:
        found = await park_queries.find_person(s, "dingtalk", "li3")
    assert found is not None and (await officer_ids(h))["华油装备制造有限公司"] == found.id


def test_safetybot_enterprises_import_with_an_officer_column(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def build() -> None:
        async with Harness.running(sqlite_url, tmp_path, ManualClock(park_time(2026, 11, 30, 9))) as h:
            await seed(h)

    async def officers() -> dict[str, int | None]:
        async with Harness.running(sqlite_url, tmp_path, ManualClock(park_time(2026, 11, 30, 9))) as h:
            return await officer_ids(h)

    asyncio.run(build())
    monkeypatch.setenv("SAFETYBOT_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("SAFETYBOT_STORAGE__PHOTO_DIR", str(tmp_path / "photos"))
    bad = csv_file(tmp_path, "名称,包片干部\n华油装备制造有限公司,李干部\n宏达机械有限公司,刘芳\n")
    assert main(["enterprises", "import", str(bad)]) == 2
    said = capsys.readouterr().err
    assert "line 3: officer: '刘芳' is not a manager" in said and "nothing was imported" in said
    assert set(asyncio.run(officers()).values()) == {None}
    good = csv_file(tmp_path, "名称,包片干部\n华油装备制造有限公司,李干部\n宏达机械有限公司,马科长\n")
    assert main(["enterprises", "import", str(good)]) == 0
    assert "0 created, 2 updated" in capsys.readouterr().out
    assert None not in asyncio.run(officers()).values()
