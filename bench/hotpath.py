"""Measure the bot's CPU cost per update against a bare python-telegram-bot echo bot, in one run.

Two fake Telegram Bot API servers (tests/fake_telegram.py) listen on 127.0.0.1. The real bot runs as
a child process (`safetybot run` with a temporary config: SQLite database and photo directory in a
temporary directory, migrated beforehand by `safetybot db upgrade`) and polls one of them; bench/echo_bot.py, a bare
python-telegram-bot Application with one MessageHandler, polls the other. Both poll with
poll_interval 0 and the same getUpdates timeout.

Each bot first gets a few warm-up `/whoami` messages from one person in a private chat (so the
person's row exists and imports and statement caches are warm); then idle RSS is read, and N more
`/whoami` (default 300) are sent, one at a time (the next once the answer arrived; `--burst` queues
all N at once instead). The bots are measured one after the other, never at the same time. For each
process the CPU time (utime + stime of all its threads, from /proc/<pid>/stat) between just before the
first measured update and its last answer, divided by N, is the CPU cost per update; the main
thread's share (where the event loop runs; the rest is mostly the aiosqlite worker thread) is shown
apart. Peak RSS is VmHWM at the end. The last line printed is a JSON object with the figures.

`--profile FILE` runs the bot under bench/sampler.py, a sampling profiler that records the stacks
of the measured updates (folded, for flame graphs) in FILE and prints where the CPU went;
`--cprofile FILE` runs it under cProfile instead (main thread only; it inflates call-heavy code and
blurs coroutines and greenlets). Either way the CPU figures then include the profiler's overhead.

Run: `.venv/bin/python bench/hotpath.py [N]` (Linux only: it reads /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pstats
import signal
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import sampler
from tests.fake_telegram import TOKEN, Call, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent

CLK_TCK = os.sysconf("SC_CLK_TCK")
PERSON_ID = 424242
COMMAND = "/whoami"
START_TIMEOUT = 60.0  # seconds for a bot to start polling (the bot applies migrations first)
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
SETTLE = 0.5  # seconds of idling before idle RSS is read

# Runs `safetybot` (bot.cli.main) with a cProfile profiler that SIGUSR1 enables and SIGUSR2 disables
# and saves to the file named by the first argument. It times with the wall clock (a CPU clock costs a
# system call per event and distorts far more); the report leaves out the time spent waiting in epoll.
PROFILE_BOOTSTRAP = """
import cProfile, signal, sys
from bot.cli import main
path = sys.argv.pop(1)
prof = cProfile.Profile()
def _start(*_):
    prof.enable()
def _stop(*_):
    prof.disable()
    prof.dump_stats(path)
signal.signal(signal.SIGUSR1, _start)
signal.signal(signal.SIGUSR2, _stop)
sys.exit(main(sys.argv[1:]))
"""


class BenchError(Exception):
    """A bot did not start, answer or stop as expected."""


def _stat_ticks(path: str) -> int:
    """Return utime + stime, in clock ticks, from a /proc stat file."""
    with open(path, encoding="ascii") as f:
        fields = f.read().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted after the comm field


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """Return the CPU seconds a process (all threads) or one of its threads has used so far."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    return _stat_ticks(path) / CLK_TCK


def memory_mb(pid: int, key: str) -> float:
    """Return a /proc/<pid>/status memory line (VmRSS, VmHWM) in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise BenchError(f"no {key} in /proc/{pid}/status")


class Answers:
    """Counts the sendMessage calls the fake server has completed, scanning only new calls."""

    def __init__(self, tg: FakeTelegram) -> None:
        """Start counting from the calls made so far."""
        self.tg = tg
        self.scanned = 0
        self.pending: list[Call] = []
        self.done: list[Call] = []

    def count(self) -> int:
        """Return how many sendMessage calls have been answered (successfully or not)."""
        calls = self.tg.calls
        self.pending += [c for c in calls[self.scanned :] if c.method.lower() == "sendmessage"]
        self.scanned = len(calls)
        finished = [c for c in self.pending if c.message is not None or c.error is not None]
        if finished:
            self.done += finished
            self.pending = [c for c in self.pending if c.message is None and c.error is None]
        return len(self.done)


@dataclass
class Sample:
    """What one measured run of N updates cost one process."""

    cpu_s: float
    main_cpu_s: float
    wall_s: float


@dataclass
class Contender:
    """One bot process under test, the fake server it polls and what its answers must contain."""

    name: str
    tg: FakeTelegram
    proc: asyncio.subprocess.Process
    log: Path
    expect: str
    answers: Answers = field(init=False)
    idle_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0

    def __post_init__(self) -> None:
        """Count this contender's answers."""
        self.answers = Answers(self.tg)

    def log_tail(self, lines: int = 15) -> str:
        """Return the end of the process's output, for error messages."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def wait_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
        """Wait (bounded) until done() is true, failing early if the process exits."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done():
            if self.proc.returncode is not None:
                raise BenchError(
                    f"{self.name} exited with {self.proc.returncode} while waiting for {what}\n"
                    f"{self.log_tail()}"
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise BenchError(
                    f"{self.name}: no {what} within {timeout:.0f}s\n{self.tg.summary(5)}\n{self.log_tail()}"
                )
            with contextlib.suppress(AssertionError):  # wait_for's own timeout: check the process again
                await self.tg.wait_for(done, timeout=min(remaining, 0.5))

    async def send(self, count: int, burst: bool, timeout: float) -> None:  # noqa: ASYNC109
        """Send `count` /whoami as the person and wait until all are answered."""
        user = self.tg.user(PERSON_ID, "王伟", "wangwei")
        chat = self.tg.private(user)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        target = self.answers.count()

        def answered() -> bool:
            return self.answers.count() >= target

        for _ in range(count):
            self.tg.send_text(user, chat, COMMAND)
            target += 1
            if not burst:
                await self.wait_until(answered, deadline - loop.time(), "answer")
        await self.wait_until(answered, deadline - loop.time(), "answers")

    def polling(self) -> bool:
        """Tell whether the bot has started long polling."""
        return bool(self.tg.calls_of("getUpdates"))

    def check_answers(self) -> None:
        """Fail when an answer was refused by the server or is not what this bot should say."""
        bad = [c for c in self.answers.done if c.error is not None or self.expect not in str(c.params)]
        if bad or self.tg.server_errors:
            first = bad[0] if bad else None
            raise BenchError(
                f"{self.name}: {len(bad)} unexpected answer(s), e.g. {first}; "
                f"fake server errors: {self.tg.server_errors[:3]}"
            )

    async def measure(self, n: int, burst: bool, timeout: float) -> Sample:  # noqa: ASYNC109
        """Send n updates and return the CPU and wall time they cost."""
        pid = self.proc.pid
        start_wall = time.perf_counter()
        start_cpu, start_main = cpu_seconds(pid), cpu_seconds(pid, pid)
        await self.send(n, burst, timeout)
        end_cpu, end_main = cpu_seconds(pid), cpu_seconds(pid, pid)
        wall = time.perf_counter() - start_wall
        self.peak_rss_mb = memory_mb(pid, "VmHWM")
        return Sample(end_cpu - start_cpu, end_main - start_main, wall)

    async def stop(self) -> None:
        """Stop the process: SIGTERM, then SIGKILL after STOP_TIMEOUT."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT)
            except TimeoutError:
                print(f"{self.name} ignored SIGTERM for {STOP_TIMEOUT:.0f}s; killing it", file=sys.stderr)
                self.proc.kill()
                await self.proc.wait()
        if self.proc.returncode != 0:
            print(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}", file=sys.stderr)


def child_env() -> dict[str, str]:
    """Return the children's environment: no stray SAFETYBOT_ settings, loopback never proxied."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYBOT_")}
    env.update(
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        SAFETYBOT_TELEGRAM__TOKEN=TOKEN,
        ECHO_BOT_TOKEN=TOKEN,
    )
    return env


def write_config(tmp: Path, tg: FakeTelegram, poll_timeout: int) -> Path:
    """Write the bot's config.toml: SQLite and photos under tmp, Bot API at the fake server."""
    path = tmp / "config.toml"
    path.write_text(
        "[database]\n"
        f"url = {json.dumps(f'sqlite+aiosqlite:///{tmp}/bench.db')}\n"
        "[storage]\n"
        f"photo_dir = {json.dumps(str(tmp / 'photos'))}\n"
        "[telegram]\n"
        f"base_url = {json.dumps(tg.base_url)}\n"
        f"base_file_url = {json.dumps(tg.base_file_url)}\n"
        f"poll_timeout = {poll_timeout}\n"
        # The figure is CPU per update: Telegram's pacing (1 message a second in a private chat) would
        # only stretch the run, so it is lifted here.
        "[sending.limits.telegram]\n"
        "overall_per_second = 100000\n"
        "per_group_per_minute = 100000\n"
        "private_per_second = 100000\n"
        "private_burst = 1000\n",
        encoding="utf-8",
    )
    return path


async def spawn(
    name: str, argv: list[str], tmp: Path, tg: FakeTelegram, expect: str, env: dict[str, str]
) -> Contender:
    """Start a bot process with its output in tmp/<first word of name>.log."""
    log = tmp / f"{name.split()[0].lower()}.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out, cwd=tmp, env=env
        )
    return Contender(name, tg, proc, log, expect)


def _package(filename: str) -> str:
    """Name the package a profiled function belongs to, from its file name."""
    if filename == "~":
        return "C builtins"
    if filename.startswith("<frozen importlib"):
        return "importlib"
    path = filename.replace("\\", "/")
    for own in ("bot", "handlers", "storage", "schedules"):
        if path.startswith(f"{ROOT}/{own}/"):
            return "safetybot"
    if "site-packages/" in path:
        top = path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
        return {"telegram": "telegram (PTB)", "httpcore": "httpx+httpcore", "httpx": "httpx+httpcore"}.get(
            top, top
        )
    if "/asyncio/" in path or path.endswith("/selectors.py"):
        return "asyncio"
    if "/logging/" in path:
        return "logging"
    return "stdlib (other)"


def cprofile_report(path: Path, n: int, top: int = 25) -> None:
    """Print where the profiled main-thread time went: by package (own time) and top cumulative."""
    stats = pstats.Stats(str(path))
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    idle = sum(tt for (_, _, func), (_, _, tt, _, _) in raw.items() if "of 'select.epoll' objects" in func)
    total = sum(tt for _, _, tt, _, _ in raw.values()) - idle or 1e-9
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tt, _, _) in raw.items():
        by_package[_package(filename)] += tt
    by_package["C builtins"] -= idle
    print(
        f"\ncProfile of the bot's main thread over {n} updates (wall-clock timer, profiler overhead included):"
    )
    print(
        f"  busy {total * 1000 / n:.2f} ms/update; waiting in epoll {idle * 1000 / n:.2f} ms/update (left out)"
    )
    print("own time by package:")
    for package, tt in sorted(by_package.items(), key=lambda item: -item[1]):
        if tt / total >= 0.005:
            print(f"  {package:24s} {tt / total:6.1%}  {tt * 1000 / n:6.3f} ms/update")
    own = sorted(raw.items(), key=lambda item: -item[1][2])
    print("top 15 own time:")
    for (filename, line, func), (_, calls, tt, _, _) in [
        row for row in own if "select.epoll" not in row[0][2]
    ][:15]:
        short = filename.replace(f"{ROOT}/", "").split("site-packages/")[-1].split("/lib/python3")[-1]
        print(f"  {tt / total:6.1%} {calls / n:7.1f} calls/update  {func} ({short}:{line})")
    wanted = ("safetybot", "sqlalchemy", "telegram (PTB)", "httpx+httpcore", "logging", "aiosqlite")
    rows = sorted(
        ((key, value) for key, value in raw.items() if _package(key[0]) in wanted),
        key=lambda item: -item[1][3],
    )[:top]
    print(f"top {top} cumulative (own code and libraries; % of profiled time). A coroutine counts a call per")
    print("resumption, and greenlet switches blur cumulative times (they can exceed 100%): trust own time.")
    print(f"  {'cum%':>6s} {'own%':>6s} {'calls/upd':>9s}  function")
    for (filename, line, func), (_, calls, tt, ct, _) in rows:
        short = filename.replace(f"{ROOT}/", "").split("site-packages/")[-1]
        print(f"  {ct / total:6.1%} {tt / total:6.1%} {calls / n:9.1f}  {func} ({short}:{line})")


async def run(
    n: int, warmup: int, poll_timeout: int, burst: bool, profile: Path | None, cprofile: bool
) -> dict[str, Any]:
    """Start both bots against their fake servers, measure them one after the other, stop them."""
    safetybot = Path(sys.executable).with_name("safetybot")
    if not safetybot.exists():
        raise BenchError(f"{safetybot} not found; run `make lint` first to create .venv")
    env = child_env()
    timeout = max(60.0, n * 0.5)
    with tempfile.TemporaryDirectory(prefix="safetybot-hotpath-") as tmp_name:
        tmp = Path(tmp_name)
        async with FakeTelegram() as bot_tg, FakeTelegram() as echo_tg:
            for tg in (bot_tg, echo_tg):
                tg.poll_cap = float(poll_timeout)  # long polls last as long as the bots ask for
            config = str(write_config(tmp, bot_tg, poll_timeout))
            # Migrate first, as an installed bot's database is: a restart of a running park finds it at
            # head, and the bot then never loads Alembic.
            upgrade = await asyncio.create_subprocess_exec(
                str(safetybot), "--config", config, "db", "upgrade", env=env, stdout=asyncio.subprocess.DEVNULL
            )
            if await asyncio.wait_for(upgrade.wait(), START_TIMEOUT) != 0:
                raise BenchError("safetybot db upgrade failed")
            bot_argv = [str(safetybot), "run", "--config", config]
            if profile is not None:
                wrapper = ["-c", PROFILE_BOOTSTRAP] if cprofile else [str(ROOT / "bench" / "sampler.py")]
                bot_argv = [sys.executable, *wrapper, str(profile), *bot_argv[1:]]
            echo_argv = [
                sys.executable, str(ROOT / "bench" / "echo_bot.py"), "--base-url", echo_tg.base_url,
                "--base-file-url", echo_tg.base_file_url, "--poll-timeout", str(poll_timeout),
            ]  # fmt: skip
            contenders: list[Contender] = []
            try:
                contenders.append(
                    await spawn("safetybot", bot_argv, tmp, bot_tg, f"telegram:{PERSON_ID}", env)
                )
                contenders.append(await spawn("echo bot (PTB)", echo_argv, tmp, echo_tg, COMMAND, env))
                bot, echo = contenders
                for c in contenders:
                    await c.wait_until(c.polling, START_TIMEOUT, "polling")
                for c in contenders:
                    await c.send(warmup, burst=False, timeout=timeout)
                await asyncio.sleep(SETTLE)
                for c in contenders:
                    c.idle_rss_mb = memory_mb(c.proc.pid, "VmRSS")
                if profile is not None:
                    bot.proc.send_signal(signal.SIGUSR1)
                    await asyncio.sleep(0.2)
                samples = {"bot": await bot.measure(n, burst, timeout)}
                if profile is not None:
                    bot.proc.send_signal(signal.SIGUSR2)
                    await bot.wait_until(profile.exists, 10.0, "profile file")
                    await asyncio.sleep(0.2)  # let dump_stats finish writing
                samples["echo"] = await echo.measure(n, burst, timeout)
                for c in contenders:
                    c.check_answers()
            finally:
                for c in contenders:
                    await c.stop()
    return report(n, burst, poll_timeout, bot, echo, samples["bot"], samples["echo"])


def report(
    n: int, burst: bool, poll_timeout: int, bot: Contender, echo: Contender, bs: Sample, es: Sample
) -> dict[str, Any]:
    """Print the table and return the figures."""
    mode = "burst (all queued at once)" if burst else "serial (next sent after each answer)"
    print(f"{n} x {COMMAND} from one person in a private chat, {mode}, getUpdates timeout {poll_timeout}s")
    print(
        f"{'':14s} {'CPU ms/update':>13s} {'main thread':>11s} {'wall ms/update':>14s} "
        f"{'idle RSS MiB':>12s} {'peak RSS MiB':>12s}"
    )
    for c, s in ((bot, bs), (echo, es)):
        print(
            f"{c.name:14s} {s.cpu_s * 1000 / n:13.3f} {s.main_cpu_s * 1000 / n:11.3f} "
            f"{s.wall_s * 1000 / n:14.3f} {c.idle_rss_mb:12.1f} {c.peak_rss_mb:12.1f}"
        )
    ratio = bs.cpu_s / es.cpu_s if es.cpu_s > 0 else float("inf")
    print(f"ratio safetybot / echo bot, CPU per update: {ratio:.2f}")
    tick = 1000 / CLK_TCK
    print(f"(CPU time is counted in {tick:.0f} ms clock ticks: {tick / n:.3f} ms/update resolution at N={n})")
    return {
        "n": n,
        "mode": "burst" if burst else "serial",
        "bot_cpu_ms": round(bs.cpu_s * 1000 / n, 3),
        "echo_cpu_ms": round(es.cpu_s * 1000 / n, 3),
        "ratio": round(ratio, 2),
        "bot_main_thread_cpu_ms": round(bs.main_cpu_s * 1000 / n, 3),
        "echo_main_thread_cpu_ms": round(es.main_cpu_s * 1000 / n, 3),
        "bot_wall_ms": round(bs.wall_s * 1000 / n, 3),
        "echo_wall_ms": round(es.wall_s * 1000 / n, 3),
        "bot_idle_rss_mb": round(bot.idle_rss_mb, 1),
        "echo_idle_rss_mb": round(echo.idle_rss_mb, 1),
        "bot_peak_rss_mb": round(bot.peak_rss_mb, 1),
        "echo_peak_rss_mb": round(echo.peak_rss_mb, 1),
    }


def main() -> int:
    """Parse the arguments, run the benchmark and print the JSON line last."""
    p = argparse.ArgumentParser(
        description="CPU per update: safetybot vs a bare python-telegram-bot echo bot"
    )
    p.add_argument("n", nargs="?", type=int, default=300, help="measured updates per bot (default 300)")
    p.add_argument("--warmup", type=int, default=20, help="warm-up updates per bot (default 20)")
    p.add_argument("--poll-timeout", type=int, default=10, help="getUpdates timeout for both bots (s)")
    p.add_argument("--burst", action="store_true", help="queue all N updates at once instead of one by one")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--profile", type=Path, help="sample the bot's stacks and save them (folded) here")
    how.add_argument("--cprofile", type=Path, help="run the bot under cProfile and save the stats here")
    args = p.parse_args()
    if args.n < 1 or args.warmup < 1:
        p.error("N and --warmup must be at least 1")
    profile: Path | None = args.profile or args.cprofile
    if profile is not None:
        profile = profile.resolve()
        profile.unlink(missing_ok=True)
    try:
        figures = asyncio.run(
            run(args.n, args.warmup, args.poll_timeout, args.burst, profile, args.cprofile is not None)
        )
    except BenchError as exc:
        print(f"hotpath: {exc}", file=sys.stderr)
        return 1
    if args.cprofile is not None:
        cprofile_report(args.cprofile.resolve(), args.n)
    elif profile is not None:
        sampler.report(profile, args.n, figures["bot_cpu_ms"])
    print(json.dumps(figures, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
