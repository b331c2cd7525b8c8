"""Measure the bot's CPU cost per update against a bare python-telegram-bot echo bot, in one run.

Two fake Telegram Bot API servers (tests/fake_telegram.py) listen on 127.0.0.1. The real bot runs as
a child process (`safetybot run` with a temporary config: its database, a fresh SQLite file in a
temporary directory or a fresh PostgreSQL database with `--db postgresql`, migrated beforehand by
`safetybot db upgrade`, and photos in the temporary directory) and polls one of them; bench/echo_bot.py,
a bare python-telegram-bot Application that echoes texts and answers button presses, polls the other.
Both poll with poll_interval 0 and the same getUpdates timeout; Telegram's pacing is lifted.

Each bot first gets a few warm-up `/whoami` messages from one person in a private chat; then its idle
RSS is read. The scenarios (`--scenario`, all by default) then run one after the other, and within a
scenario the bot and the echo bot are measured one after the other, never at the same time:

- `whoami`: N `/whoami` (default 400) from one person in a private chat, one at a time (the next once
  the answer arrived; `--burst` queues all N at once, and the presses and answers of a round below).
- `presses`: 收到 pressed on a notice card by 17 leads (each the safety lead of their own enterprise),
  20 rounds. Beforehand, not measured, the park is seeded through the bot's own commands in the park
  group: an admin `/setgroup`, `/enterprise_add` ×17, each lead `/start` privately, the admin
  `/role lead01 负责人 <企业>` ×17, then `/notice` ×20 (and `/meeting` ×20 for `replies`). A second 收到
  from the same enterprise changes nothing (no write, no edit), so each round presses a card of its own
  (notice r in round r): every press is a write (the receipt and its event) and an edit of the card,
  which the outbox coalesces while an edit of the same card is still unsent (one at a time, each edit
  is usually sent before the next press; `--burst` lets them coalesce). A press counts as done
  when its callback query is answered; a round when the card shows 已回执 17/17. The echo bot answers
  the same 340 callback queries on a message of its own.
- `replies`: text replies to an open question: in round r each lead sends `/leave HY-…` (meeting r)
  privately and the bot asks for the reason (not measured), then each lead answers it with a text
  (measured: the 请假 is recorded, the lead is told, the card is edited); 20 rounds. The echo bot gets
  the same messages and echoes them.

CPU time is read from /proc/<pid>/task/*/schedstat (nanoseconds, all live threads; the main thread,
where the event loop runs, apart) around each measured stretch and summed; divided by the number of
measured updates it is the CPU cost per update. The bot runs under bench/counting.py, which counts in
the bot process, over the same stretches, the SQL statements (SQLAlchemy's before_cursor_execute), the
transactions (commit and rollback events), pool checkouts, and thread hops: executor submissions
(`run_in_executor`, which `asyncio.to_thread` uses) and `call_soon_threadsafe` (how any thread hands a
result back to the loop: executors, aiosqlite, anyio). It also lists the statements of the first
measured update of each scenario (with whatever the bot did within TRACE_SETTLE seconds after it).

RSS: idle (after the warm-up); then VmRSS is read the moment the 1,000th update (warm-up, seeding and
scenarios included: all of them take about 1,500) and, with `--long`, the 10,000th is queued: after the
scenarios both bots get more `/whoami` (queued 50 at a time) up to the last mark. Then RSS once idle, and
the peak (VmHWM). The last line printed is a JSON object with all the figures.

`--profile FILE` runs the bot under bench/sampler.py, a sampling profiler that records the stacks
of the measured updates (folded, for flame graphs) in FILE and prints where the CPU went;
`--cprofile FILE` runs it under cProfile instead (main thread only; it inflates call-heavy code and
blurs coroutines and greenlets). Either needs a single `--scenario`; the counters are then off and the
CPU figures include the profiler's overhead. The counters cost a little too (a few µs per statement):
`--no-counts` runs the bot without them.

Run (Linux only: it reads /proc):
  .venv/bin/python bench/hotpath.py                      # all scenarios, SQLite, RSS up to 1,000 updates
  .venv/bin/python bench/hotpath.py --db postgresql      # the same on a fresh PostgreSQL database
  .venv/bin/python bench/hotpath.py --long               # RSS up to 10,000 updates as well
  .venv/bin/python bench/hotpath.py 100 --scenario whoami --rounds 3   # a quick look
PostgreSQL: 127.0.0.1:5432, user postgres, trust auth (`--pg-url` to change); a database
`safetybot_bench_<pid>` is created for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pstats
import re
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import sampler
from tests.fake_telegram import TOKEN, Call, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent

SCENARIOS = ("whoami", "presses", "replies")
PERSON_ID = 424242  # the one who sends /whoami
ADMIN_ID = 1  # configured in access.admins: seeds the park and issues the notices
GROUP_ID = -1001234567
LEAD_BASE = 610_000  # the leads' Telegram ids: LEAD_BASE + 1 …
ENTERPRISES = (
    "华油", "天成", "金石", "海纳", "恒泰", "瑞丰", "宏达", "新材", "绿源", "鑫隆",
    "东方", "北辰", "南洋", "西岭", "中科", "长城", "光明", "永安", "富康", "盛华",
)  # fmt: skip
COMMAND = "/whoami"
LEAVE_REASON = "出差在外 代参会：王五"
START_TIMEOUT = 60.0  # seconds for a bot to start polling (the bot applies migrations first)
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
WAIT_TIMEOUT = 120.0  # seconds for any one awaited answer, card state or idle moment
SETTLE = 0.5  # seconds of idling before RSS is read
TRACE_SETTLE = 0.3  # seconds after the traced update's answer whose statements still count as its own
RSS_BATCH = 50  # /whoami queued at a time on the way to the RSS marks
RSS_MARKS = (1_000, 10_000)
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_CONF = Path("/etc/postgresql")  # Debian's clusters, started with pg_ctlcluster when the server is down
API_METHODS = ("sendMessage", "editMessageText", "answerCallbackQuery")  # Bot API calls counted per update
COUNTED = (
    "statements", "begins", "commits", "rollbacks", "checkouts", "pre_pings",
    "run_in_executor", "to_thread", "call_soon_threadsafe",
)  # fmt: skip

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


def cpu_ns(pid: int, tid: int | None = None) -> int:
    """Return the CPU nanoseconds a process (its live threads) or one of its threads has run so far."""
    tids = [tid] if tid is not None else os.listdir(f"/proc/{pid}/task")
    total = 0
    for t in tids:
        with (
            contextlib.suppress(FileNotFoundError, ProcessLookupError),
            open(f"/proc/{pid}/task/{t}/schedstat", encoding="ascii") as f,
        ):
            total += int(f.read().split()[0])
    return total


def memory_mb(pid: int, key: str) -> float:
    """Return a /proc/<pid>/status memory line (VmRSS, VmHWM) in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise BenchError(f"no {key} in /proc/{pid}/status")


class Tracker:
    """Counts the calls the fake server has completed, by method and by (method, chat id)."""

    def __init__(self, tg: FakeTelegram) -> None:
        """Start with the calls made so far."""
        self.tg = tg
        self.scanned = 0
        self.pending: list[Call] = []
        self.done: Counter[Any] = Counter()
        self.errors: list[Call] = []

    def _scan(self) -> None:
        calls = self.tg.calls
        self.pending += [c for c in calls[self.scanned :] if c.method.lower() != "getupdates"]
        self.scanned = len(calls)
        waiting = []
        for c in self.pending:
            if c.result is None and c.error is None:
                waiting.append(c)
                continue
            method = c.method.lower()
            self.done[method] += 1
            self.done[(method, c.params.get("chat_id"))] += 1
            if c.error is not None:
                self.errors.append(c)
        self.pending = waiting

    def count(self, method: str, chat: int | None = None) -> int:
        """Return how many calls of a method (to one chat) have been answered, successfully or not."""
        self._scan()
        return self.done[method.lower() if chat is None else (method.lower(), chat)]


@dataclass
class Sample:
    """What the measured updates of one scenario cost one process (summed over measured stretches)."""

    n: int = 0
    cpu_ns: int = 0
    main_ns: int = 0
    wall_s: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    api: Counter[str] = field(default_factory=Counter)  # Bot API calls answered during the stretches
    trace: list[str] = field(default_factory=list)

    def per_update_ms(self, ns: int) -> float:
        """Return nanoseconds per measured update, in ms."""
        return ns / 1e6 / self.n if self.n else 0.0


@dataclass
class Contender:
    """One bot process under test, the fake server it polls and (for the bot) its counters."""

    name: str
    tg: FakeTelegram
    proc: asyncio.subprocess.Process
    log: Path
    counts_file: Path | None
    is_bot: bool
    calls: Tracker = field(init=False)
    sent: int = 0  # updates queued for this process so far
    idle_rss_mb: float = 0.0
    rss_marks: dict[int, float] = field(default_factory=dict)  # VmRSS when the Nth update was queued
    end_rss_mb: float = 0.0  # VmRSS once idle after the last update
    peak_rss_mb: float = 0.0
    _snapshots: int = 0

    def __post_init__(self) -> None:
        """Count this contender's calls."""
        self.calls = Tracker(self.tg)

    def log_tail(self, lines: int = 15) -> str:
        """Return the end of the process's output, for error messages."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def wait_until(self, done: Callable[[], bool], what: str, timeout: float = WAIT_TIMEOUT) -> None:  # noqa: ASYNC109
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
                    f"{self.name}: no {what} within {timeout:.0f}s\n{self.tg.summary(8)}\n{self.log_tail()}"
                )
            with contextlib.suppress(AssertionError):  # wait_for's own timeout: check the process again
                await self.tg.wait_for(done, timeout=min(remaining, 0.5))

    async def answered(self, method: str, chat: int | None, target: int, what: str) -> None:
        """Wait until `target` calls of `method` (to `chat`) have been answered by the fake."""
        await self.wait_until(lambda: self.calls.count(method, chat) >= target, what)

    def _count(self) -> None:
        """Count one more update queued; read VmRSS when the count reaches a mark."""
        self.sent += 1
        if self.sent in RSS_MARKS:
            self.rss_marks[self.sent] = memory_mb(self.proc.pid, "VmRSS")

    def text(self, user: dict[str, Any], chat: dict[str, Any], text: str) -> None:
        """Queue a text message."""
        self.tg.send_text(user, chat, text)
        self._count()

    def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> None:
        """Queue a button press."""
        self.tg.press(user, message, data)
        self._count()

    async def say(self, user: dict[str, Any], chat: dict[str, Any], text: str) -> None:
        """Send a text and wait for the one message the bot answers with in that chat."""
        target = self.calls.count("sendMessage", chat["id"]) + 1
        self.text(user, chat, text)
        await self.answered("sendMessage", chat["id"], target, f"answer to {text!r}")

    async def idle(self) -> None:
        """Wait until every queued update is confirmed and the bot has made no call for a moment."""
        try:
            await self.tg.wait_idle(timeout=WAIT_TIMEOUT, quiet=SETTLE)
        except AssertionError as exc:
            raise BenchError(f"{self.name}: {exc}\n{self.log_tail()}") from None

    def polling(self) -> bool:
        """Tell whether the bot has started long polling."""
        return bool(self.tg.calls_of("getUpdates"))

    async def snapshot(self) -> dict[str, Any] | None:
        """Ask the bot for its counters (SIGUSR2, bench/counting.py) and return them; None without."""
        if self.counts_file is None:
            return None
        self._snapshots += 1
        wanted = self._snapshots
        self.proc.send_signal(signal.SIGUSR2)
        got: dict[str, Any] = {}

        def arrived() -> bool:
            nonlocal got
            try:
                got = json.loads(self.counts_file.read_text(encoding="utf-8"))  # type: ignore[union-attr]
            except (OSError, ValueError):
                return False
            return int(got.get("seq", 0)) >= wanted

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10.0
        while not arrived():
            if self.proc.returncode is not None or loop.time() > deadline:
                raise BenchError(f"{self.name}: no counters in {self.counts_file}\n{self.log_tail()}")
            await asyncio.sleep(0.002)
        return got

    def check(self) -> None:
        """Fail when a message or an answer to a press was refused, or the fake server itself failed."""
        self.calls.count("sendMessage")
        bad = [c for c in self.calls.errors if c.method.lower() in ("sendmessage", "answercallbackquery")]
        if bad or self.tg.server_errors:
            raise BenchError(
                f"{self.name}: {len(bad)} refused call(s), e.g. {bad[:1]}; "
                f"fake server errors: {self.tg.server_errors[:3]}"
            )

    def refused(self) -> dict[str, int]:
        """Return the calls the fake refused, by method (edits that changed nothing, for one)."""
        self.calls.count("sendMessage")
        return dict(Counter(f"{c.method}: {c.error}"[:120] for c in self.calls.errors))

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


class Meter:
    """Adds up the CPU, wall time and counters of measured stretches into a Sample."""

    def __init__(self, c: Contender, sample: Sample) -> None:
        """Measure `c` into `sample`."""
        self.c = c
        self.sample = sample
        self._start: tuple[float, int, int, dict[str, Any] | None] | None = None
        self._api: dict[str, int] = {}

    async def start(self) -> None:
        """Begin a stretch (the counters first, so their snapshot is not part of it)."""
        counts = await self.c.snapshot()
        self._api = {m: self.c.calls.count(m) for m in API_METHODS}
        pid = self.c.proc.pid
        self._start = (time.perf_counter(), cpu_ns(pid), cpu_ns(pid, pid), counts)

    async def stop(self, n: int, trace: bool = False, idle_s: float = 0.0) -> None:
        """End a stretch of `n` measured updates (`idle_s` of deliberate waiting is left out of wall)."""
        assert self._start is not None
        wall0, cpu0, main0, counts0 = self._start
        pid = self.c.proc.pid
        cpu1, main1, wall1 = cpu_ns(pid), cpu_ns(pid, pid), time.perf_counter()
        counts1 = await self.c.snapshot()
        s = self.sample
        for m in API_METHODS:
            s.api[m] += self.c.calls.count(m) - self._api[m]
        s.n += n
        s.cpu_ns += cpu1 - cpu0
        s.main_ns += main1 - main0
        s.wall_s += wall1 - wall0 - idle_s
        if counts0 is not None and counts1 is not None:
            before, after = counts0["counts"], counts1["counts"]
            for key in COUNTED:
                s.counts[key] += after.get(key, 0) - before.get(key, 0)
            if trace:
                first = before.get("kept", 0)
                s.trace = [sql for seq, sql in counts1["recent"] if seq > first]
        self._start = None


@dataclass
class Park:
    """The people and cards of the seeded park, on one fake server."""

    admin: dict[str, Any]
    group: dict[str, Any]
    leads: list[dict[str, Any]]
    notices: list[dict[str, Any]] = field(default_factory=list)  # the bot's notice cards (or echo message)
    meetings: list[dict[str, Any]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # the meetings' HY- codes


def people(tg: FakeTelegram, leads: int) -> Park:
    """Create the admin, the park group and the leads on a fake server."""
    admin = tg.user(ADMIN_ID, "王主任", "wangzhuren")
    group = tg.group(GROUP_ID, "园区安全生产群")
    users = [tg.user(LEAD_BASE + i, f"负责人{i:02d}", f"lead{i:02d}") for i in range(1, leads + 1)]
    for u in users:
        tg.private(u)
    return Park(admin, group, users)


CODE_RE = re.compile(r"\b((?:TZ|HY)-\d{4}-\d+)\b")


async def seed_bot(c: Contender, park: Park, rounds: int, meetings: bool) -> None:
    """Seed the bot's park through its own commands: group, enterprises, leads, notices, meetings."""
    tg, admin, group = c.tg, park.admin, park.group
    await c.say(admin, group, "/setgroup")
    for i, _ in enumerate(park.leads):
        await c.say(admin, group, f"/enterprise_add {ENTERPRISES[i]}化工有限公司 {ENTERPRISES[i]}")
    for lead in park.leads:
        await c.say(lead, tg.private(lead), "/start")
    for i, lead in enumerate(park.leads):
        c.text(admin, group, f"/role {lead['username']} 负责人 {ENTERPRISES[i]}化工有限公司")
    await c.idle()
    day = (datetime.now(UTC) + timedelta(days=20)).date()
    for r in range(rounds):
        c.text(admin, group, f"/notice 关于第{r + 1}轮安全检查的通知 请各企业于月底前完成自查。")
    if meetings:
        for r in range(rounds):
            c.text(admin, group, f"/meeting {day.isoformat()} 09:00 管委会三楼会议室 第{r + 1}次安全例会")
    wanted = rounds * (2 if meetings else 1)

    def cards() -> bool:
        park.notices, park.meetings, park.codes = [], [], []
        for message in tg.sent_messages(GROUP_ID):
            texts = [text for text, _ in tg.buttons(message)]
            found = CODE_RE.search(message.get("text", ""))
            if "收到" not in texts or found is None:
                continue
            code = found.group(1)
            if code.startswith("TZ"):
                park.notices.append(message)
            else:
                park.meetings.append(message)
                park.codes.append(code)
        return len(park.notices) + len(park.meetings) >= wanted

    await c.wait_until(cards, f"{wanted} notice and meeting cards in the group")
    await c.idle()
    roles = [m for m in tg.sent_messages() if "负责人" in m.get("text", "") and m["chat"]["id"] == GROUP_ID]
    if not roles:
        raise BenchError(f"no answer to /role in the group\n{tg.summary(10)}")


async def seed_echo(c: Contender, park: Park, rounds: int) -> None:
    """Give the echo bot a message of its own in the group to press on, and meeting codes to echo."""
    await c.say(park.admin, park.group, "卡片")
    card = c.tg.last_sent(GROUP_ID)
    park.notices = [card] * rounds
    park.meetings = [card] * rounds
    park.codes = [f"HY-2026-{r + 1:02d}" for r in range(rounds)]


def card_text(tg: FakeTelegram, message: dict[str, Any]) -> str:
    """Return the current text of a message the bot sent (as last edited)."""
    current = tg._messages.get((message["chat"]["id"], message["message_id"]), message)
    return str(current.get("text", current.get("caption", "")))


async def whoami(c: Contender, meter: Meter, n: int, burst: bool) -> None:
    """n × /whoami from one person privately; the first update is traced on its own."""
    user = c.tg.user(PERSON_ID, "王伟", "wangwei")
    chat = c.tg.private(user)
    await meter.start()
    await c.say(user, chat, COMMAND)
    await asyncio.sleep(TRACE_SETTLE)
    await meter.stop(1, trace=True, idle_s=TRACE_SETTLE)
    if n == 1:
        return
    await meter.start()
    target = c.calls.count("sendMessage", chat["id"])
    for _ in range(n - 1):
        c.text(user, chat, COMMAND)
        target += 1
        if not burst:
            await c.answered("sendMessage", chat["id"], target, "answer to /whoami")
    await c.answered("sendMessage", chat["id"], target, "answers to /whoami")
    await meter.stop(n - 1)


def receipt_data(tg: FakeTelegram, card: dict[str, Any], is_bot: bool) -> str:
    """Return the callback data of the card's 收到 button (any data for the echo bot's message)."""
    if not is_bot:
        return "ntc:0:ok"
    for text, data in tg.buttons(card):
        if text == "收到":
            return data
    raise BenchError(f"no 收到 button on {card_text(tg, card)[:80]!r}")


async def presses(c: Contender, meter: Meter, park: Park, rounds: int, burst: bool) -> None:
    """收到 by every lead on notice r's card in round r, one at a time (`burst`: the round's presses
    queued at once, so card edits can coalesce); the first press is traced on its own."""
    leads = len(park.leads)
    total = f"已回执 {leads}/{leads}"
    for r in range(rounds):
        card = park.notices[r]
        data = receipt_data(c.tg, card, c.is_bot)
        await meter.start()
        target = c.calls.count("answerCallbackQuery")
        for i, lead in enumerate(park.leads):
            c.press(lead, card, data)
            target += 1
            traced = r == 0 and i == 0
            if traced or not burst:
                await c.answered("answerCallbackQuery", None, target, "answer to a press")
            if traced:
                await asyncio.sleep(TRACE_SETTLE)
                await meter.stop(1, trace=True, idle_s=TRACE_SETTLE)
                await meter.start()
        await c.answered("answerCallbackQuery", None, target, "answers to the presses")
        if c.is_bot:
            await c.wait_until(lambda card=card: total in card_text(c.tg, card), f"{total} on the card")
        await meter.stop(leads - 1 if r == 0 else leads)


async def replies(c: Contender, meter: Meter, park: Park, rounds: int, burst: bool) -> None:
    """Per round: each lead `/leave HY-…` privately (not measured), then the reason (measured), one
    at a time (`burst`: the round's answers queued at once)."""
    leads = len(park.leads)
    done = f"{leads} 家"
    for r in range(rounds):
        for lead in park.leads:
            await c.say(lead, c.tg.private(lead), f"/leave {park.codes[r]}")
        await meter.start()
        targets: list[tuple[int, int]] = []
        for i, lead in enumerate(park.leads):
            chat = c.tg.private(lead)
            targets.append((chat["id"], c.calls.count("sendMessage", chat["id"]) + 1))
            c.text(lead, chat, LEAVE_REASON)
            traced = r == 0 and i == 0
            if traced or not burst:
                await c.answered("sendMessage", *targets[-1], "answer to a reason")
            if traced:
                await asyncio.sleep(TRACE_SETTLE)
                await meter.stop(1, trace=True, idle_s=TRACE_SETTLE)
                await meter.start()
        for chat_id, target in targets:
            await c.answered("sendMessage", chat_id, target, "answers to the reasons")
        if c.is_bot:
            card = park.meetings[r]
            await c.wait_until(lambda card=card: done in card_text(c.tg, card), f"请假 {done} on the card")
        await meter.stop(leads - 1 if r == 0 else leads)


async def rss_to(c: Contender, mark: int) -> None:
    """Send /whoami, RSS_BATCH at a time, until `mark` updates were sent in all (VmRSS is read when the
    mark-th is queued, whatever the scenario then running)."""
    user = c.tg.user(PERSON_ID, "王伟", "wangwei")
    chat = c.tg.private(user)
    while c.sent < mark:
        target = c.calls.count("sendMessage", chat["id"])
        for _ in range(min(RSS_BATCH, mark - c.sent)):
            c.text(user, chat, COMMAND)
            target += 1
        await c.answered("sendMessage", chat["id"], target, f"answers on the way to {mark} updates")
    await c.idle()


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


def write_config(tmp: Path, tg: FakeTelegram, poll_timeout: int, db_url: str) -> Path:
    """Write the bot's config.toml: the database, photos under tmp, Bot API at the fake server."""
    path = tmp / "config.toml"
    path.write_text(
        "[access]\n"
        f'admins = ["telegram:{ADMIN_ID}"]\n'
        "[database]\n"
        f"url = {json.dumps(db_url)}\n"
        "[storage]\n"
        f"photo_dir = {json.dumps(str(tmp / 'photos'))}\n"
        "[telegram]\n"
        f"base_url = {json.dumps(tg.base_url)}\n"
        f"base_file_url = {json.dumps(tg.base_file_url)}\n"
        f"poll_timeout = {poll_timeout}\n"
        # Periodic jobs (reminders every 10 minutes) would add work unrelated to the updates measured.
        "[schedule]\n"
        "enabled = false\n"
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


@contextlib.asynccontextmanager
async def database(kind: str, tmp: Path, pg_url: str) -> Any:
    """Yield the bot's database URL: a SQLite file in tmp, or a fresh PostgreSQL database dropped after."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp}/bench.db"
        return
    import asyncpg  # the bot's own PostgreSQL driver

    async def admin_connection() -> Any:
        try:
            return await asyncpg.connect(pg_url, timeout=10)
        except (OSError, asyncpg.PostgresError):
            if not PG_CONF.is_dir():  # noqa: ASYNC240 (once, before the run)
                raise
            versions = sorted(os.listdir(PG_CONF))
            start = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
            started = await asyncio.create_subprocess_exec(*start)
            await started.wait()
            return await asyncpg.connect(pg_url, timeout=30)

    name = f"safetybot_bench_{os.getpid()}"
    conn = await admin_connection()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        conn = await admin_connection()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def spawn(
    name: str,
    argv: list[str],
    tmp: Path,
    tg: FakeTelegram,
    env: dict[str, str],
    counts: Path | None,
    is_bot: bool,
) -> Contender:
    """Start a bot process with its output in tmp/<first word of name>.log."""
    log = tmp / f"{name.split()[0].lower()}.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out, cwd=tmp, env=env
        )
    return Contender(name, tg, proc, log, counts, is_bot)


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


@dataclass
class Options:
    """What to run."""

    n: int
    scenarios: tuple[str, ...]
    rounds: int
    leads: int
    warmup: int
    poll_timeout: int
    burst: bool
    db: str
    pg_url: str
    long: bool
    profile: Path | None
    cprofile: bool
    counts: bool = True


async def run(o: Options) -> dict[str, Any]:
    """Start both bots against their fake servers, measure them one after the other, stop them."""
    safetybot = Path(sys.executable).with_name("safetybot")
    if not safetybot.exists():
        raise BenchError(f"{safetybot} not found; run `make .venv/bin/safetybot` first to create .venv")
    env = child_env()
    samples: dict[str, dict[str, Sample]] = {s: {"bot": Sample(), "echo": Sample()} for s in o.scenarios}
    with tempfile.TemporaryDirectory(prefix="safetybot-hotpath-") as tmp_name:
        tmp = Path(tmp_name)
        async with (
            database(o.db, tmp, o.pg_url) as db_url,
            FakeTelegram() as bot_tg,
            FakeTelegram() as echo_tg,
        ):
            for tg in (bot_tg, echo_tg):
                tg.poll_cap = float(o.poll_timeout)  # long polls last as long as the bots ask for
            config = str(write_config(tmp, bot_tg, o.poll_timeout, db_url))
            # Migrate first, as an installed bot's database is: a restart of a running park finds it at
            # head, and the bot then never loads Alembic.
            upgrade = await asyncio.create_subprocess_exec(
                str(safetybot),
                "--config",
                config,
                "db",
                "upgrade",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
            )
            if await asyncio.wait_for(upgrade.wait(), START_TIMEOUT) != 0:
                raise BenchError("safetybot db upgrade failed")
            counts: Path | None = tmp / "counts.json"
            bot_argv = [
                sys.executable,
                str(ROOT / "bench" / "counting.py"),
                str(counts),
                "run",
                "--config",
                config,
            ]
            if not o.counts:
                counts = None
                bot_argv = [str(safetybot), "run", "--config", config]
            if o.profile is not None:
                counts = None
                wrapper = ["-c", PROFILE_BOOTSTRAP] if o.cprofile else [str(ROOT / "bench" / "sampler.py")]
                bot_argv = [sys.executable, *wrapper, str(o.profile), "run", "--config", config]
            echo_argv = [
                sys.executable, str(ROOT / "bench" / "echo_bot.py"), "--base-url", echo_tg.base_url,
                "--base-file-url", echo_tg.base_file_url, "--poll-timeout", str(o.poll_timeout),
            ]  # fmt: skip
            contenders: list[Contender] = []
            try:
                contenders.append(await spawn("safetybot", bot_argv, tmp, bot_tg, env, counts, True))
                contenders.append(await spawn("echo bot (PTB)", echo_argv, tmp, echo_tg, env, None, False))
                bot, echo = contenders
                for c in contenders:
                    await c.wait_until(c.polling, "polling", START_TIMEOUT)
                user = {c.name: c.tg.user(PERSON_ID, "王伟", "wangwei") for c in contenders}
                for c in contenders:
                    for _ in range(o.warmup):
                        await c.say(user[c.name], c.tg.private(user[c.name]), COMMAND)
                    await c.idle()
                    c.idle_rss_mb = memory_mb(c.proc.pid, "VmRSS")
                parks = {c.name: people(c.tg, o.leads) for c in contenders}
                if "presses" in o.scenarios or "replies" in o.scenarios:
                    await seed_bot(bot, parks[bot.name], o.rounds, "replies" in o.scenarios)
                    await seed_echo(echo, parks[echo.name], o.rounds)
                for scenario in o.scenarios:
                    for c in contenders:
                        profiling = c.is_bot and o.profile is not None
                        if profiling:
                            c.proc.send_signal(signal.SIGUSR1)
                            await asyncio.sleep(0.2)
                        meter = Meter(c, samples[scenario]["bot" if c.is_bot else "echo"])
                        if scenario == "whoami":
                            await whoami(c, meter, o.n, o.burst)
                        elif scenario == "presses":
                            await presses(c, meter, parks[c.name], o.rounds, o.burst)
                        else:
                            await replies(c, meter, parks[c.name], o.rounds, o.burst)
                        if profiling:
                            assert o.profile is not None
                            c.proc.send_signal(signal.SIGUSR2)
                            await c.wait_until(o.profile.exists, "profile file", 10.0)
                            await asyncio.sleep(0.2)  # let the profile be written
                        await c.idle()
                for mark in RSS_MARKS if o.long else RSS_MARKS[:1]:
                    for c in contenders:
                        await rss_to(c, mark)
                for c in contenders:
                    await asyncio.sleep(SETTLE)
                    c.end_rss_mb = memory_mb(c.proc.pid, "VmRSS")
                    c.peak_rss_mb = memory_mb(c.proc.pid, "VmHWM")
                    c.check()
                refused = bot.refused()
            finally:
                for c in contenders:
                    await c.stop()
    return report(o, bot, echo, samples, refused)


def _per(s: Sample, key: str) -> float:
    return s.counts[key] / s.n if s.n else 0.0


SCENARIO_TITLES = {
    "whoami": "/whoami from one person, privately",
    "presses": "收到 on a notice card (a write and a card edit per press)",
    "replies": "text answer to an open question (请假 reason)",
}


def report(
    o: Options,
    bot: Contender,
    echo: Contender,
    samples: dict[str, dict[str, Sample]],
    refused: dict[str, int],
) -> dict[str, Any]:
    """Print the tables and return the figures."""
    counted = bot.counts_file is not None
    print(
        f"database {o.db}; {o.n} × /whoami ({'burst' if o.burst else 'serial'}); presses and replies: "
        f"{o.leads} leads × {o.rounds} rounds; getUpdates timeout {o.poll_timeout}s"
    )
    print(
        f"{'scenario':9s} {'n':>5s} {'bot ms/upd':>10s} {'echo ms/upd':>11s} {'ratio':>6s} "
        f"{'bot main':>8s} {'echo main':>9s} {'bot wall':>8s} {'echo wall':>9s}"
        + (
            f" {'stmts':>6s} {'txns':>5s} {'chk':>5s} {'ping':>5s} {'exec':>5s} {'thr→loop':>8s}"
            if counted
            else ""
        )
    )
    figures: dict[str, Any] = {"db": o.db, "mode": "burst" if o.burst else "serial", "scenarios": {}}
    for name, pair in samples.items():
        b, e = pair["bot"], pair["echo"]
        ratio = b.cpu_ns / b.n / (e.cpu_ns / e.n) if e.cpu_ns > 0 and b.n and e.n else float("inf")
        row: dict[str, Any] = {
            "n": b.n,
            "bot_cpu_ms": round(b.per_update_ms(b.cpu_ns), 3),
            "echo_cpu_ms": round(e.per_update_ms(e.cpu_ns), 3),
            "ratio": round(ratio, 2),
            "bot_main_thread_cpu_ms": round(b.per_update_ms(b.main_ns), 3),
            "echo_main_thread_cpu_ms": round(e.per_update_ms(e.main_ns), 3),
            "bot_wall_ms": round(b.wall_s * 1000 / b.n, 3) if b.n else 0.0,
            "echo_wall_ms": round(e.wall_s * 1000 / e.n, 3) if e.n else 0.0,
            "bot_api_calls_per_update": {m: round(b.api[m] / b.n, 2) for m in API_METHODS if b.n},
        }
        line = (
            f"{name:9s} {b.n:5d} {row['bot_cpu_ms']:10.3f} {row['echo_cpu_ms']:11.3f} {ratio:6.2f} "
            f"{row['bot_main_thread_cpu_ms']:8.3f} {row['echo_main_thread_cpu_ms']:9.3f} "
            f"{row['bot_wall_ms']:8.3f} {row['echo_wall_ms']:9.3f}"
        )
        if counted:
            per = {key: round(_per(b, key), 2) for key in COUNTED}
            per["transactions"] = round(_per(b, "commits") + _per(b, "rollbacks"), 2)
            per["thread_hops"] = round(_per(b, "run_in_executor"), 2)
            row["per_update"] = per
            row["trace"] = b.trace
            line += (
                f" {per['statements']:6.2f} {per['transactions']:5.2f} {per['checkouts']:5.2f} {per['pre_pings']:5.2f} "
                f"{per['run_in_executor']:5.2f} {per['call_soon_threadsafe']:8.2f}"
            )
        print(line)
        figures["scenarios"][name] = row
    print("ms/upd: CPU ms per measured update, all threads (schedstat); main: the event loop's thread only;")
    print("wall: ms per update (deliberate waits left out).")
    calls = "; ".join(
        f"{name} " + ", ".join(f"{m} {pair['bot'].api[m] / pair['bot'].n:.2f}" for m in API_METHODS)
        for name, pair in samples.items()
        if pair["bot"].n
    )
    print(f"the bot's Bot API calls per update: {calls}")
    if counted:
        print(
            "stmts: SQL statements; txns: commits + rollbacks; chk: pool checkouts; ping: of them with a pre-ping"
        )
        print(
            "(asyncpg: BEGIN, ;, ROLLBACK); exec: executor submissions (run_in_executor, asyncio.to_thread);"
        )
        print("thr→loop: call_soon_threadsafe (how any thread hands a result back to the loop).")
    marks = sorted(bot.rss_marks)
    print(
        f"{'RSS MiB':14s} {'idle':>7s}"
        + "".join(f" {f'at {m:,}':>9s}" for m in marks)
        + f" {'end':>7s} {'peak':>7s}"
    )
    for c in (bot, echo):
        print(
            f"{c.name:14s} {c.idle_rss_mb:7.1f}"
            + "".join(f" {c.rss_marks[m]:9.1f}" for m in marks)
            + f" {c.end_rss_mb:7.1f} {c.peak_rss_mb:7.1f}  ({c.sent:,} updates in all)"
        )
    print(
        "(idle: after the warm-up; at N: when the Nth update (warm-up, seeding, scenarios, then /whoami queued"
    )
    print(f"{RSS_BATCH} at a time) was queued; end: idle after the last; peak: VmHWM)")
    if refused:
        print("calls the fake refused (the bot's):")
        for what, count in sorted(refused.items(), key=lambda item: -item[1]):
            print(f"  {count:5d}  {what}")
    if counted:
        for name, pair in samples.items():
            trace = pair["bot"].trace
            count = sum(not line.startswith("-- ") for line in trace)
            print(
                f"statements of the first measured {name} update ({count}, and what the bot did in the "
                f"{TRACE_SETTLE}s after its answer; -- marks a transaction's begin and end):"
            )
            for sql in trace:
                print(f"  {sql[:160]}")
    for c, key in ((bot, "bot"), (echo, "echo")):
        figures[f"{key}_idle_rss_mb"] = round(c.idle_rss_mb, 1)
        for m in marks:
            figures[f"{key}_rss_after_{m}_mb"] = round(c.rss_marks[m], 1)
        figures[f"{key}_rss_end_mb"] = round(c.end_rss_mb, 1)
        figures[f"{key}_updates"] = c.sent
        figures[f"{key}_peak_rss_mb"] = round(c.peak_rss_mb, 1)
    figures["bot_refused_calls"] = refused
    return figures


def main() -> int:
    """Parse the arguments, run the benchmark and print the JSON line last."""
    p = argparse.ArgumentParser(
        description="CPU per update, statements, thread hops and RSS: safetybot vs a bare PTB echo bot"
    )
    p.add_argument("n", nargs="?", type=int, default=400, help="measured /whoami per bot (default 400)")
    p.add_argument(
        "--scenario",
        default="all",
        help=f"comma-separated, of {', '.join(SCENARIOS)}, or all (default)",
    )
    p.add_argument("--rounds", type=int, default=20, help="rounds of presses and of replies (default 20)")
    p.add_argument(
        "--leads",
        type=int,
        default=17,
        help=f"leads pressing and replying (default 17, ≤ {len(ENTERPRISES)})",
    )
    p.add_argument("--warmup", type=int, default=20, help="warm-up /whoami per bot (default 20)")
    p.add_argument("--poll-timeout", type=int, default=10, help="getUpdates timeout for both bots (s)")
    p.add_argument(
        "--burst",
        action="store_true",
        help="queue all N /whoami, and each round's presses and answers, at once instead of one by one",
    )
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite", help="the bot's database")
    p.add_argument(
        "--pg-url", default=PG_DEFAULT, help=f"PostgreSQL server to create the database on ({PG_DEFAULT})"
    )
    p.add_argument("--long", action="store_true", help="also read RSS after 10,000 updates (takes a while)")
    p.add_argument(
        "--no-counts",
        action="store_true",
        help="run the bot without bench/counting.py (CPU without its overhead)",
    )
    how = p.add_mutually_exclusive_group()
    how.add_argument("--profile", type=Path, help="sample the bot's stacks and save them (folded) here")
    how.add_argument("--cprofile", type=Path, help="run the bot under cProfile and save the stats here")
    args = p.parse_args()
    scenarios = SCENARIOS if args.scenario == "all" else tuple(s.strip() for s in args.scenario.split(","))
    if unknown := [s for s in scenarios if s not in SCENARIOS]:
        p.error(f"unknown scenario(s): {', '.join(unknown)}")
    if args.n < 1 or args.warmup < 1 or args.rounds < 1 or not 1 <= args.leads <= len(ENTERPRISES):
        p.error(f"N, --warmup and --rounds must be at least 1, --leads 1 to {len(ENTERPRISES)}")
    profile: Path | None = args.profile or args.cprofile
    if profile is not None:
        if len(scenarios) != 1:
            p.error("--profile and --cprofile need a single --scenario")
        profile = profile.resolve()
        profile.unlink(missing_ok=True)
    o = Options(
        args.n, scenarios, args.rounds, args.leads, args.warmup, args.poll_timeout, args.burst, args.db,
        args.pg_url, args.long, profile, args.cprofile is not None, not args.no_counts,
    )  # fmt: skip
    try:
        figures = asyncio.run(run(o))
    except BenchError as exc:
        print(f"hotpath: {exc}", file=sys.stderr)
        return 1
    measured = figures["scenarios"][scenarios[0]]["n"]
    if args.cprofile is not None:
        cprofile_report(args.cprofile.resolve(), measured)
    elif profile is not None:
        sampler.report(profile, measured, figures["scenarios"][scenarios[0]]["bot_cpu_ms"])
    print(json.dumps(figures, separators=(",", ":"), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
