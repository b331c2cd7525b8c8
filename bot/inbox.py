"""The inbox: every update is stored before the platform is told it arrived, then processed from here.

An adapter hands raw updates to `Inbox.put` (one transaction) and only then confirms them to its
platform (the next getUpdates offset on Telegram; an answer to a webhook or a Stream frame later).
A worker processes stored updates in order within each chat and chats side by side, each through
`Dispatcher.handle`, which marks the row done in the update's own transaction. After a crash or a
restart, whatever was stored and not done is processed first; when the database cannot be used,
updates wait here (or, not yet confirmed, at the platform) and the worker retries with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.dispatcher import Dispatcher, Event
from bot.messages import ButtonPress, Outcome
from bot.recently import RecentlyDone
from bot.sender import Sender
from storage import audit, bookkeeping, files, outbox
from storage import inbox as rows
from storage.db import Database, is_unavailable

logger = logging.getLogger(__name__)

MAX_TRIES = 5  # tries of an update that fails for a reason other than an outage, before it is closed
SCAN_LIMIT = 500
FINISHED_KEPT = 2000
PRUNE_EVERY = 3600.0
KEEP_DONE = timedelta(days=7)  # processed updates and sent replies are kept this long, for inquiries
KEEP_KEYS = timedelta(days=30)  # processed-update keys: far longer than any platform repeats an update
MAX_CHATS_AT_ONCE = 8  # chats processed side by side; updates of one chat always one after another
IDLE_WAKE = 5.0  # seconds between looks at the table when nobody woke the worker
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
# A button press is answered once its own messages went out (the pressed card shows its new state when
# the client's spinner stops), but never later than this: a chat held by a 429 must not hold the answer.
PRESS_ANSWER_WAIT = 5.0


class Source(Protocol):
    """A platform's side of the inbox: turn a stored payload back into an update, and finish it."""

    platform: str

    async def decode(self, payload: dict[str, Any]) -> Event | None:
        """Return the neutral update of a stored payload (None: nothing for the core to do)."""
        ...

    async def finish(self, payload: dict[str, Any], outcome: Outcome) -> None:
        """Do what the platform needs once an update was handled (answer a button press)."""
        ...


Item = tuple[int, str, dict[str, Any]]  # row id, platform, payload


class Inbox:
    """Stores arriving updates durably and processes them, in order per chat.

    Rows just stored are handed to the worker in memory (no second read); the table is read again at
    start, after the database was unavailable, and every `IDLE_WAKE` seconds, which picks up anything
    left behind. Each chat has at most one task at a time, so its updates keep their order.
    """

    def __init__(self, db: Database, clock: Clock, dispatcher: Dispatcher, sender: Sender) -> None:
        self.db = db
        self.clock = clock
        self.dispatcher = dispatcher
        self.sender = sender
        self.sources: dict[str, Source] = {}
        self._queues: dict[str, list[Item]] = {}  # chat key -> rows waiting, oldest first
        self._known: set[int] = set()  # ids queued or being processed
        self._tasks: dict[str, asyncio.Task[None]] = {}  # chat key -> its one running task
        self._rescan = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._outages = 0
        self._blocked: set[str] = set()  # chats whose oldest row must wait; only a scan refills them
        self._retry_at: dict[str, float] = {}  # chat key -> loop time before which a scan skips it
        self._waits: dict[int, int] = {}  # row id -> times it waited out an outage (for the pause only)
        self._stopping = False
        self._next_prune = 0.0
        self._finished = RecentlyDone(FINISHED_KEPT)  # so a scan that read a row a moment earlier skips it

    def attach(self, source: Source) -> None:
        """Register the platform whose updates this inbox decodes."""
        self.sources[source.platform] = source

    async def put(self, platform: str, items: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        """Store updates as (update key, chat key, raw payload); raises when the database cannot be used."""
        # FULL sync: once confirmed, the platform never sends these again (storage/sqlite_inloop.py).
        ids = await self.db.run(bookkeeping.put_inbox, platform, items, self.clock.now(), durable=True)
        if self._worker is None:
            return  # not processing (yet): the first scan at start finds them
        for key, chat_key, payload in items:
            if key in ids:
                self._enqueue(chat_key, (ids[key], platform, payload))

    async def start(self) -> None:
        """Start the sender (it sends what a crash left in the outbox), then process stored updates."""
        if self._worker is not None:
            return
        await self.sender.start()
        self._worker = asyncio.create_task(self._scan_forever(), name="inbox")

    async def stop(self) -> None:
        """Stop taking new rows and let the updates being processed finish."""
        self._stopping = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
        await self.sender.stop()
        self._stopping = False

    async def idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until nothing is stored or being processed, and the answers went out (tests, benchmarks)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not self._tasks:
                async with self.db.reading() as session:
                    if await rows.count_pending(session) == 0:
                        await self.sender.settle(max(deadline - loop.time(), 0.1))
                        return
            await asyncio.sleep(0.02)
        raise TimeoutError("inbox still busy")

    def _enqueue(self, chat_key: str, item: Item, *, from_scan: bool = False) -> None:
        """Queue a row for its chat and make sure the chat has a task working on it.

        A chat whose oldest row failed is blocked: new rows wait in the table, and only a scan (which
        reads in id order, the failed row first) hands the chat's rows back, so order is kept.
        """
        if item[0] in self._known or item[0] in self._finished or self._stopping:
            return
        if chat_key in self._blocked:
            if not from_scan:
                return
            self._blocked.discard(chat_key)
        self._known.add(item[0])
        self._queues.setdefault(chat_key, []).append(item)
        self._start_waiting_chats()

    async def _scan_forever(self) -> None:
        """Read the table for rows not in hand: at start, after an outage, and now and then."""
        while True:
            self._rescan.clear()
            try:
                async with self.db.reading() as session:
                    found = [
                        (r.id, r.platform, r.chat_key, r.payload)
                        for r in await rows.pending(session, set(self._tasks), limit=SCAN_LIMIT)
                    ]
            except Exception as exc:
                if not is_unavailable(exc):
                    logger.exception("reading the inbox failed")
                await self._back_off(exc)
                continue
            self._outages = 0
            await self._prune()
            ready = asyncio.get_running_loop().time()
            for row_id, platform, chat_key, payload in found:
                if self._retry_at.get(chat_key, 0.0) <= ready:
                    self._enqueue(chat_key, (row_id, platform, payload), from_scan=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._rescan.wait(), IDLE_WAKE)

    async def _prune(self) -> None:
        """Once an hour, delete inbox and outbox rows long done, old processed-update keys and old report files."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_prune:
            return
        self._next_prune = loop.time() + PRUNE_EVERY
        now = self.clock.now()
        try:
            async with self.db.unit_of_work() as session:
                done = await rows.prune(session, now - KEEP_DONE)
                sent = await outbox.prune(session, now - KEEP_DONE)
                keys = await audit.prune_processed(session, now - KEEP_KEYS)
        except Exception as exc:
            if not is_unavailable(exc):
                logger.exception("pruning the inbox and outbox failed")
            return
        if done or sent or keys:
            logger.info("pruned %d inbox, %d outbox rows and %d update keys", done, sent, keys)
        reports_dir = self.dispatcher.settings.storage.reports_dir
        with contextlib.suppress(OSError):  # a folder that cannot be read is tried again in an hour
            if removed := await asyncio.to_thread(files.prune_generated, reports_dir, KEEP_DONE):
                logger.info("pruned %d generated report file(s)", removed)

    async def _run_chat(self, chat_key: str) -> None:
        """Process one chat's queued rows in order; when one must wait, block the chat until a scan."""
        queue = self._queues.setdefault(chat_key, [])
        try:
            while queue:
                row_id, platform, payload = queue[0]
                broken: BaseException | None = None
                try:
                    handled = await self._process(row_id, platform, payload)
                except Exception as exc:
                    handled, broken = False, None if is_unavailable(exc) else exc
                if not handled:
                    if broken is not None and await self._give_up(row_id, broken):
                        queue.pop(0)
                        self._known.discard(row_id)
                        continue
                    self._hand_back(chat_key, queue, row_id)
                    return
                self._waits.pop(row_id, None)
                queue.pop(0)
                self._known.discard(row_id)
                self._finished.add(row_id)
        finally:
            self._tasks.pop(chat_key, None)
            if not queue:
                self._queues.pop(chat_key, None)
            self._start_waiting_chats()

    def _hand_back(self, chat_key: str, queue: list[Item], row_id: int) -> None:
        """Leave a chat's rows in the table and retry them after a growing pause (capped)."""
        waits = self._waits[row_id] = self._waits.get(row_id, 0) + 1
        delay = BACKOFF[min(waits - 1, len(BACKOFF) - 1)]
        if waits == 1:
            logger.warning(
                "update row %s of %s waits (database or storage unavailable); retrying", row_id, chat_key
            )
        for item in queue:
            self._known.discard(item[0])
        queue.clear()
        self._blocked.add(chat_key)
        self._retry_at[chat_key] = asyncio.get_running_loop().time() + delay
        asyncio.get_running_loop().call_later(delay, self._rescan.set)

    async def _give_up(self, row_id: int, exc: BaseException) -> bool:
        """Count a failure for a reason other than an outage in the row itself (a restart keeps the count);
        close the row after `MAX_TRIES`. True if closed."""
        error = f"{type(exc).__name__}: {exc}"[:500]
        try:
            async with self.db.unit_of_work() as session:
                tries = await rows.count_failure(session, row_id, error)
                logger.error(
                    "update row %s failed (try %d): %s",
                    row_id,
                    tries,
                    exc,
                    exc_info=exc if tries == 1 else None,
                )
                if tries < MAX_TRIES:
                    return False
                await rows.mark_done(session, row_id, self.clock.now(), error=error)
        except Exception:  # cannot count or close it now: it is tried again later
            return False
        self._waits.pop(row_id, None)
        return True

    def _start_waiting_chats(self) -> None:
        """Give a task to chats with queued rows, up to the limit of chats at once."""
        for chat_key, queue in list(self._queues.items()):
            if len(self._tasks) >= MAX_CHATS_AT_ONCE or self._stopping:
                return
            if queue and chat_key not in self._tasks:
                self._tasks[chat_key] = asyncio.create_task(
                    self._run_chat(chat_key), name=f"inbox:{chat_key}"
                )

    async def _process(self, row_id: int, platform: str, payload: dict[str, Any]) -> bool:
        """Handle one stored update; False when it has to wait for the database."""
        source = self.sources.get(platform)
        event = await source.decode(payload) if source is not None else None
        if event is None:
            async with self.db.unit_of_work() as session:
                await rows.mark_done(session, row_id, self.clock.now())
            return True
        outcome = await self.dispatcher.handle(event, inbox_id=row_id)
        if outcome.unavailable:
            return False
        if source is not None:
            if isinstance(event, ButtonPress) and outcome.queued:
                await self.sender.delivered(outcome.queued, PRESS_ANSWER_WAIT)
            try:
                await source.finish(payload, outcome)
            except Exception as exc:  # a late answer to a button press is cosmetic
                logger.info("finishing update %s: %s", event.update_key, exc)
        return True

    async def _back_off(self, exc: BaseException | None) -> None:
        """Wait longer after each failed try, and say so in one line the first time."""
        delay = BACKOFF[min(self._outages, len(BACKOFF) - 1)]
        if self._outages == 0:
            logger.warning("database unavailable (%s); updates wait in the inbox, retrying", exc or "busy")
        self._outages += 1
        await asyncio.sleep(delay)
