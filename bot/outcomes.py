"""Outcomes: what became of each outbox row the sender tried, written to its row (and where its card
landed), kept and retried in order while the database cannot take them.

`bot/sender.py` sends and hands every outcome here; while any is kept, `recorded` is clear and the
sender sends nothing new, so an outage repeats at most what was on the wire. The rows themselves are
`storage/outbox.py`; card posts are `storage/cards.py`. `bot/pacing.py` is the sender's other helper.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.messages import ChatRef
from bot.outbox import Queued
from storage import bookkeeping
from storage.db import Database, is_unavailable
from storage.enums import OutboxState

logger = logging.getLogger(__name__)

MARK_BATCH_WINDOW = 0.005  # seconds of sent marks written in one transaction
MARK_RETRY_FIRST = 0.5  # seconds before a kept outcome is written again; doubles up to MARK_RETRY_MAX
MARK_RETRY_MAX = 10.0


@dataclass(frozen=True)
class _Mark:
    """An outcome to record: rows, their state, attempts, the error, and where their cards landed."""

    ids: tuple[int, ...]
    state: OutboxState
    attempts: int
    error: str | None
    posts: tuple[tuple[str, ChatRef, str], ...]


def one_line(exc: BaseException) -> str:
    """Return an error as one short line for the log."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


class Outcomes:
    """Records the sender's outcomes in the outbox rows, a few milliseconds' worth in one transaction;
    keeps and retries those the database refused."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._due: list[_Mark] = []  # waiting for the next batch (at most MARK_BATCH_WINDOW old)
        self._writer: asyncio.Task[None] | None = None
        # Outcomes sent but not yet recorded (the database was unavailable): kept and retried in order.
        self._unrecorded: deque[_Mark] = deque()
        self.recorded = asyncio.Event()  # clear while any outcome is kept: nothing new is sent meanwhile
        self.recorded.set()
        self._marker: asyncio.Task[None] | None = None

    async def finish(
        self,
        batch: Sequence[Queued],
        state: OutboxState,
        attempts: int,
        error: str | None,
        posts: Sequence[tuple[str, ChatRef, str]] = (),
    ) -> None:
        """Record rows' state (and where their card landed) with the next batch; if the database cannot
        take it, keep the record and retry it until it can, sending nothing new meanwhile (a dropped mark
        means a resend)."""
        mark = _Mark(tuple(q.id for q in batch), state, attempts, error and error[:500], tuple(posts))
        if self._unrecorded:  # an outage: after the kept ones, in order
            self._unrecorded.append(mark)
            return
        self._due.append(mark)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_soon(), name="sender-marks-batch")

    async def flushed(self) -> None:
        """Wait until the marks due were written (or kept, in an outage)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def close(self) -> None:
        """Write what is due; stop retrying in the background; make one last try at what is kept, then
        let it go (logged)."""
        await self.flushed()
        if self._marker is not None:
            self._marker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._marker
            self._marker = None
        if self._unrecorded and await self._record(list(self._unrecorded)):
            self._unrecorded.clear()  # nothing is added meanwhile: the sender has stopped
        if self._unrecorded:
            kept = sum(len(m.ids) for m in self._unrecorded)
            logger.warning(
                "%d sent messages could not be recorded; they will be sent again at the next start", kept
            )
            self._unrecorded.clear()
        self.recorded.set()

    async def _write_soon(self) -> None:
        """Write the marks of the next few milliseconds in one transaction; keep them in an outage."""
        await asyncio.sleep(MARK_BATCH_WINDOW)
        while self._due:
            marks, self._due = self._due, []
            if not await self._record(marks):
                self._unrecorded.extend(marks)
                self._unrecorded.extend(self._due)
                self._due = []
                self.recorded.clear()
                if self._marker is None or self._marker.done():
                    self._marker = asyncio.create_task(self._record_later(), name="sender-marks")
                return

    async def _record(self, marks: Sequence[_Mark]) -> bool:
        """Write outcomes in one transaction; False when the database did not take them."""
        try:
            await self.db.run(
                bookkeeping.record_marks,
                [(m.ids, m.state, m.attempts, m.error) for m in marks],
                [
                    (key, chat.platform, chat.chat_id, message_id)
                    for m in marks
                    for key, chat, message_id in m.posts
                ],
                self.clock.now(),
            )
        except Exception as exc:
            ids = [i for m in marks for i in m.ids]
            if not is_unavailable(exc):  # not an outage: retrying would stall every lane; log it and go on
                logger.exception("could not record outbox rows %s; dropped", ids)
                return True
            if not self._unrecorded:  # once per outage, not once per row
                logger.warning(
                    "could not record outbox rows %s (kept, retried; nothing new is sent until then): %s",
                    ids[:20],
                    one_line(exc),
                )
            return False
        return True

    async def _record_later(self) -> None:
        """Retry the kept outcomes, oldest first, with growing pauses, until every one is recorded."""
        pause = MARK_RETRY_FIRST
        while self._unrecorded:
            await asyncio.sleep(pause)
            kept = list(self._unrecorded)  # marks kept meanwhile wait for the next round
            if await self._record(kept):
                for _ in kept:
                    self._unrecorded.popleft()
            pause = min(pause * 2, MARK_RETRY_MAX)
        logger.info("outbox outcomes recorded again; sending goes on")
        self.recorded.set()
