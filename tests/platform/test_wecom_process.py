"""`safetybot run` on WeCom as a real process: it answers, survives kill -9 keeping its state, refuses a bad
secret in one line, and never prints the secret."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fake_wecom import BOT_ID, SECRET, FakeWeCom
from tests.wecom_live import WC_ADMIN_ID

pytestmark = pytest.mark.e2e


def _config(tmp_path: Path, db_url: str, wc: FakeWeCom) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[database]\nurl = "{db_url}"\n'
        f'[storage]\nphoto_dir = "{tmp_path / "photos"}"\n'
        f'[access]\nadmins = ["wecom:{WC_ADMIN_ID}"]\n'
        f'[wecom]\nbot_id = "{BOT_ID}"\nws_url = "{wc.ws_url}"\n',
        encoding="utf-8",
    )
    return cfg


async def _start(cfg: Path, secret: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "SAFETYBOT_WECOM__SECRET": secret, "NO_PROXY": "127.0.0.1,localhost"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(cfg),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.slow
async def test_kill_9_and_restart_keep_state(sqlite_url: str, tmp_path: Path) -> None:
    async with FakeWeCom() as wc:
        cfg = _config(tmp_path, sqlite_url, wc)
        admin = wc.user(WC_ADMIN_ID, "王主任")
        group = wc.group()
        output = b""
        proc = await _start(cfg, SECRET)
        try:
            wc.send_text(admin, group, "/setgroup")
            wc.send_text(admin, group, "/enterprise_add 华油装备制造有限公司 华油")
            await wc.wait_for(lambda: any("已添加企业" in t for t in wc.texts(group)), 60)
        finally:
            proc.kill()  # SIGKILL: no cleanup, as a power cut would
            out, err = await proc.communicate()
            output += out + err
        # Sent while the bot is down: pushed when it is back, and answered.
        wc.send_text(admin, group, "/enterprise_add 宏达机械有限公司 宏达")
        proc = await _start(cfg, SECRET)
        try:
            await wc.wait_for(lambda: any("宏达机械有限公司" in t for t in wc.texts(group)), 60)
            wc.send_text(admin, group, "/enterprises")
            await wc.wait_for(lambda: any("华油装备制造有限公司" in t and "宏达" in t for t in wc.texts(group)), 60)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
            output += out + err
        assert proc.returncode == 0, err.decode()
        # Handled once (no "没有重复添加" answer); its answer may go out once more only when the kill
        # hit between sending it and recording it (the outbox's bound: one message per lane in flight).
        assert sum("已添加企业：华油装备制造有限公司" in t for t in wc.texts(group)) in (1, 2)
        assert not any("没有重复添加" in t for t in wc.texts(group)), wc.texts(group)
        assert sum("已添加企业：宏达机械有限公司" in t for t in wc.texts(group)) == 1
        assert SECRET.encode() not in output


async def test_bad_secret_refused_in_one_line(sqlite_url: str, tmp_path: Path) -> None:
    async with FakeWeCom() as wc:
        proc = await _start(_config(tmp_path, sqlite_url, wc), "not-the-secret")
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 2, err.decode()
        assert "wecom.bot_id / wecom.secret" in err.decode()
        assert b"not-the-secret" not in out + err
