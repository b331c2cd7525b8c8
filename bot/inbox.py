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
from typing import Any, Protocol

from bot.clock import Clock
from bot.dispatcher import Dispatcher, Event, Outcome
from storage import inbox as rows
from storage.db import Database, is_unavailable

logger = logging.getLogger(__name__)

MAX_CHATS_AT_ONCE = 8  # chats processed side by side; updates of one chat always one after another
IDLE_WAKE = 5.0  # seconds between looks at the table when nobody woke the worker
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)


class Source(Protocol):
    """A platform's side of the inbox: turn a stored payload back into an update, and finish it."""

    platform: str

    async def decode(self, payload: dict[str, Any]) -> Event | None:
        """Return the neutral update of a stored payload (None: nothing for the core to do)."""
        ...

    async def finish(self, payload: dict[str, Any], outcome: Outcome) -> None:
        """Do what the platform needs once an update was handled (answer a button press)."""
        ...


class Inbox:
    """Stores arriving updates durably and processes them, in order per chat."""

    def __init__(self, db: Database, clock: Clock, dispatcher: Dispatcher) -> None:
        self.db = db
        self.clock = clock
        self.dispatcher = dispatcher
        self.sources: dict[str, Source] = {}
        self._wake = asyncio.Event()
        self._busy: set[str] = set()
        self._chats: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._outages = 0

    def attach(self, source: Source) -> None:
        """Register the platform whose updates this inbox decodes."""
        self.sources[source.platform] = source

    async def put(self, platform: str, items: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        """Store updates as (update key, chat key, raw payload); raises when the database cannot be used."""
        async with self.db.unit_of_work() as session:
            await rows.put(session, platform, items, self.clock.now())
        self._wake.set()

    async def start(self) -> None:
        """Send what a crash left in the outbox, then start processing (stored updates first)."""
        if self._worker is not None:
            return
        try:
            await self.dispatcher.resend_pending()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            logger.warning("outbox not flushed at start, database unavailable: %s", exc)
        self._worker = asyncio.create_task(self._run(), name="inbox")

    async def stop(self) -> None:
        """Stop taking new rows and let the updates being processed finish."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._chats:
            await asyncio.gather(*self._chats, return_exceptions=True)

    async def idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until nothing is stored or being processed (for tests and benchmarks)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not self._busy:
                async with self.db.sessions() as session:
                    if await rows.count_pending(session) == 0:
                        return
            await asyncio.sleep(0.02)
        raise TimeoutError("inbox still busy")

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                async with self.db.sessions() as session:
                    pending = [(r.id, r.platform, r.chat_key, r.payload) for r in await rows.pending(session, self._busy)]
            except Exception as exc:
                if not is_unavailable(exc):
                    logger.exception("reading the inbox failed")
                await self._back_off(exc)
                continue
            self._outages = 0
            by_chat: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
            for row_id, platform, chat_key, payload in pending:
                by_chat.setdefault(chat_key, []).append((row_id, platform, payload))
            for chat_key, items in by_chat.items():
                if len(self._busy) >= MAX_CHATS_AT_ONCE:
                    break
                self._busy.add(chat_key)
                task = asyncio.create_task(self._run_chat(chat_key, items), name=f"inbox:{chat_key}")
                self._chats.add(task)
                task.add_done_callback(self._chats.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_WAKE)

    async def _run_chat(self, chat_key: str, items: list[tuple[int, str, dict[str, Any]]]) -> None:
        """Process one chat's updates in order; stop at the first that must wait for the database."""
        try:
            for row_id, platform, payload in items:
                if not await self._process(row_id, platform, payload):
                    await self._back_off(None)
                    return
        except Exception as exc:  # the rows stay; they are tried again in order
            if is_unavailable(exc):
                await self._back_off(exc)
            else:
                logger.exception("processing chat %s failed", chat_key)
        finally:
            self._busy.discard(chat_key)
            self._wake.set()

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
