"""The running bot at rest has not loaded what it only needs now and then, nor what it never uses.

`safetybot run` starts on a fresh database (its migrations applied by a child process) against the fake
Bot API, answers one update, and is asked for its `sys.modules` while idle. Memory figures belong to
`bench/hotpath.py`; this checks the behaviour behind them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fake_telegram import TOKEN, FakeTelegram

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

# Runs `safetybot run`; SIGUSR1 writes the names of the modules loaded at that moment to the first argument.
DUMPING = """
import json, signal, sys
from pathlib import Path
from bot.cli import main
out = Path(sys.argv.pop(1))
def dump(*_):
    out.write_text(json.dumps(sorted(name for name, module in sys.modules.items() if module is not None)))
signal.signal(signal.SIGUSR1, dump)
sys.exit(main(sys.argv[1:]))
"""

NOT_AT_REST = (
    "alembic",  # migrations run in a child process
    "mako",
    "openpyxl",  # exports and imports load their libraries when a file is made or read
    "PIL",
    "pillow_heif",
    "docx",
    "matplotlib",
    "jinja2",  # the web desk loads only when `[web] listen` is set
    "aiohttp",
    "dingtalk_stream",  # other platforms load only when configured
    "websockets",
    "cryptography",  # python-telegram-bot's Telegram Passport, hidden while it is imported
    "trio",  # httpcore's other backend, hidden while the HTTP clients are made
    "pydantic",  # settings are msgspec Structs
)


async def test_the_running_bot_at_rest_has_not_loaded_what_it_uses_now_and_then(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        config = tmp_path / "config.toml"
        db_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        config.write_text(
            "[database]\n"
            f"url = {json.dumps(db_url)}\n"
            "[storage]\n"
            f"photo_dir = {json.dumps(str(tmp_path / 'photos'))}\n"
            "[telegram]\n"
            f"base_url = {json.dumps(tg.base_url)}\n"
            f"base_file_url = {json.dumps(tg.base_file_url)}\n"
            "poll_timeout = 1\n",
            encoding="utf-8",
        )
        out = tmp_path / "modules.json"
        env = {**os.environ, "SAFETYBOT_TELEGRAM__TOKEN": TOKEN, "NO_PROXY": "127.0.0.1,localhost"}
        with (tmp_path / "bot.log").open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", DUMPING, str(out), "run", "--config", str(config),
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, cwd=ROOT, env=env,
            )  # fmt: skip
        try:
            user = tg.user(5151, "王伟", "wangwei")
            tg.send_text(user, tg.private(user), "/whoami")
            await tg.wait_for(lambda: bool(tg.sent_messages()), 60)
            proc.send_signal(signal.SIGUSR1)
            for _ in range(200):
                if out.exists() and out.stat().st_size:
                    break
                await asyncio.sleep(0.05)
            loaded = {name.partition(".")[0] for name in json.loads(out.read_text(encoding="utf-8"))}
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 15)
    log_text = (tmp_path / "bot.log").read_text(encoding="utf-8", errors="replace")
    assert "applying migrations in a child process" in log_text, log_text[-2000:]
    assert {"bot", "handlers", "telegram", "sqlalchemy"} <= loaded
    assert sorted(loaded.intersection(NOT_AT_REST)) == []
