"""The console adapter: the join scenario as a person would type it, and the CLI around it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.adapters.console import ConsoleAdapter, ConsolePerson, ConsoleSession
from bot.app import App, build_app
from bot.cli import main
from bot.clock import ManualClock
from bot.messages import Incoming
from storage.models import Enterprise, Person
from tests.harness import jpeg, make_settings

# Marked per test: `e2e` where a real process runs or real HTTP goes to a fake platform server, so the
# tests through the neutral core stay in `-m "not e2e"`.

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def console(
    sqlite_url: str, tmp_path: Path, clock: ManualClock, numbers: Path | None = None
) -> AsyncIterator[tuple[App, ConsoleAdapter, ConsoleSession, Callable[..., Awaitable[str]]]]:
    """Run a console session for 王主任 (an admin) and 小周 on a prepared app; yield the app, the adapter,
    the session and `typed`, which types lines and returns what the console printed meanwhile."""
    settings = make_settings(sqlite_url, tmp_path)
    settings.access.admins.append("console:wang")
    app = build_app(settings, clock)
    await app.prepare()
    out: list[str] = []
    adapter = ConsoleAdapter(out.append, numbers=numbers)
    app.dispatcher.attach(adapter)
    repl = ConsoleSession(
        app.dispatcher, adapter, [ConsolePerson("wang", "王主任"), ConsolePerson("xiao", "小周")]
    )

    async def typed(*lines: str) -> str:
        start = len(out)
        for line in lines:
            assert await repl.line(line)
        return "\n".join(out[start:])

    try:
        yield app, adapter, repl, typed
    finally:
        await app.close()


async def test_join_scenario_through_the_console(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> None:
    async with console(sqlite_url, tmp_path, clock) as (app, _, repl, typed):
        text = await typed(":private", "/start", ":group", "/enterprise_add 鲁味食品有限公司 鲁味")
        assert "已添加企业：鲁味食品有限公司" in text
        text = await typed(":as 小周", "/join 鲁味 负责人")
        assert "已提交申请" in text
        assert "[私聊→王主任] 机器人：" in text and "[1] 批准  [2] 拒绝" in text

        text = await typed(":press 1")  # the card is in the admin's private chat: 小周 cannot see it
        assert "看不到" in text
        text = await typed(":forge join:1:approve")  # a tampered client sends the data anyway: refused
        assert "需要以下身份之一：管理员" in text
        async with app.db.unit_of_work() as s:
            xiao = await s.scalar(select(Person).where(Person.external_id == "xiao"))
            assert xiao is not None and xiao.role is None

        text = await typed(":as 王主任", ":press 1")
        assert "卡片已更新" in text and "状态：已批准（王主任）" in text
        assert "[群聊·园区安全生产群] 机器人：\n小周 加入鲁味食品有限公司的申请已获批准" in text
        text = await typed(":as xiao", "/whoami")
        assert "身份：安全负责人" in text and "所属企业：鲁味食品有限公司" in text
        assert not await repl.line(":quit")


def test_enterprises_import_from_csv(tmp_path: Path, sqlite_template: Path) -> None:
    csv_file = tmp_path / "park.csv"
    csv_file.write_text(
        "名称,别名,行业,在册\n华油装备制造有限公司,华油、华油装备,石油装备,是\n宏达机械有限公司,宏达,机械加工,\n",
        encoding="utf-8-sig",
    )
    cfg = tmp_path / "config.toml"
    db_file = tmp_path / "park.db"
    shutil.copyfile(sqlite_template, db_file)
    cfg.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{db_file}"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "enterprises", "import", str(csv_file)]) == 0
    assert main(["enterprises", "import", str(csv_file), "--config", str(cfg)]) == 0  # idempotent update

    import asyncio

    from storage.db import Database

    async def names() -> list[tuple[str, list[str]]]:
        db = Database(f"sqlite+aiosqlite:///{db_file}")
        try:
            async with db.unit_of_work() as s:
                return [
                    (e.name, e.aliases) for e in await s.scalars(select(Enterprise).order_by(Enterprise.id))
                ]
        finally:
            await db.dispose()

    assert asyncio.run(names()) == [
        ("华油装备制造有限公司", ["华油", "华油装备"]),
        ("宏达机械有限公司", ["宏达"]),
    ]

    bad = tmp_path / "bad.csv"
    bad.write_text("名称,在册\n甲公司,也许\n", encoding="utf-8")
    assert main(["--config", str(cfg), "enterprises", "import", str(bad)]) == 2


def test_run_without_token_says_which_key(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "x.db"}"\n', encoding="utf-8")
    assert main(["run", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "telegram.token" in err and "safetybot console" in err and len(err.strip().splitlines()) == 1


def run_console(tmp_path: Path, typed: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `safetybot console` on a database in tmp_path (in cwd, default tmp_path), typing into its input."""
    env = {**os.environ, "SAFETYBOT_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"}
    env["SAFETYBOT_STORAGE__PHOTO_DIR"] = str(tmp_path / "photos")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console"],
        input=typed,
        capture_output=True,
        text=True,
        cwd=cwd or tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.e2e
def test_console_command_starts_with_demo_park(tmp_path: Path) -> None:
    """Run `safetybot console` as a user would on a first start: it creates and migrates the database."""
    result = run_console(tmp_path, ":as 张伟\n/whoami\n:quit\n")
    assert "已载入演示园区" in result.stdout
    assert "所属企业：华油装备制造有限公司" in result.stdout


@pytest.mark.e2e
def test_console_restarts_on_the_same_database(tmp_path: Path, sqlite_template: Path) -> None:
    """A second run goes on numbering after the first run's cards instead of colliding with them."""
    shutil.copyfile(sqlite_template, tmp_path / "demo.db")
    for who in ("小周", "xiao2"):
        result = run_console(tmp_path, f":as {who}\n/join 鲁味\n:quit\n")
        assert "已提交申请：加入鲁味食品有限公司" in result.stdout
        assert "Traceback" not in result.stderr


def test_run_refuses_pending_migrations_until_db_upgrade(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "x.db"}"\n'
        '[telegram]\ntoken = "123:never-used"\nbase_url = "http://127.0.0.1:9/bot"\n',
        encoding="utf-8",
    )
    assert main(["run", "--no-migrate", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "pending migration" in err and "safetybot db upgrade" in err and "never-used" not in err
    assert main(["db", "upgrade", "--config", str(cfg)]) == 0
    assert "up to date" in capsys.readouterr().out


def readme_console_lines() -> list[str]:
    """Return the console lines of the README's example, without their explanations."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("walks the whole loop", 1)[1]
    block = block.split("```", 2)[1]
    return [re.split(r"\s{2,}", line.strip())[0] for line in block.splitlines() if line.strip()]


@pytest.mark.e2e
def test_the_readme_console_example_runs_as_written(tmp_path: Path) -> None:
    lines = readme_console_lines()
    assert any("docs/samples/配电箱.jpg" in line for line in lines)
    for sample in ("配电箱.jpg", "整改后.jpg"):
        assert (ROOT / "docs" / "samples" / sample).stat().st_size < 30_000
    result = run_console(tmp_path, "\n".join([*lines, ":quit"]) + "\n", cwd=ROOT)
    out = result.stdout
    assert "找不到" not in out and "没有编号为" not in out and "看不到" not in out
    assert "状态：已批准（王主任）" in out
    assert "YH-2026-0001 已提交整改" in out
    assert "验收：李干部" in out and "整改后照片（1 张）" in out
    assert "INFO" not in out + result.stderr  # log lines go to the file, not into the chat
    assert "applying migrations" in (tmp_path / "console.log").read_text(encoding="utf-8")


def numbers(out: str) -> list[int]:
    """Return the message numbers the console printed for new bot messages."""
    return [int(n) for n in re.findall(r"^#(\d+) \[[^\]]+\] 机器人：", out, re.MULTILINE)]


@pytest.mark.e2e
def test_message_numbers_are_never_reused_after_a_restart(tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "demo.db")
    first = numbers(run_console(tmp_path, ":as 小周\n/help\n/whoami\n/start\n:quit\n").stdout)
    second = numbers(run_console(tmp_path, ":as 小周\n/whoami\n:quit\n").stdout)
    assert first == [1, 2, 3] and second == [4]  # text messages too, not only cards


async def test_console_controls_behave_as_on_telegram(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with console(sqlite_url, tmp_path, clock, numbers=tmp_path / "last") as (app, adapter, repl, typed):
        seen: list[Incoming] = []
        handle = app.dispatcher.handle

        async def spy(event):  # type: ignore[no-untyped-def]
            if isinstance(event, Incoming):
                seen.append(event)
            return await handle(event)

        app.dispatcher.handle = spy  # type: ignore[method-assign]
        # `:as` in a private chat moves to the new person's private chat.
        text = await typed(":private", ":as 小周", "/whoami")
        assert "现在以 小周 的身份发言（私聊→小周）" in text and "[私聊→小周] 机器人：" in text
        assert repl.chat.chat_id == "private-xiao"
        # A command for another bot is not delivered; one for this bot is.
        before = len(seen)
        text = await typed(":group", "/help@other_bot")
        assert len(seen) == before and "机器人：" not in text
        text = await typed("/whoami@safetybot")
        assert "姓名：小周" in text and seen[-1].text == "/whoami"
        assert (tmp_path / "last").read_text().strip() == str(max(map(int, adapter.shown)))
        # Several photos go as one album: one message each, the same media group, the caption first.
        a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
        a.write_bytes(jpeg(1))
        b.write_bytes(jpeg(2))
        before = len(seen)
        await typed(f":photo {a} {b} /hazard 配电箱门未关闭")
        album = seen[before:]
        assert len(album) == 2 and [len(m.files) for m in album] == [1, 1]
        assert album[0].media_group_id is not None and album[0].media_group_id == album[1].media_group_id
        assert album[0].text == "/hazard 配电箱门未关闭" and album[1].text == ""
