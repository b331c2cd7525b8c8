"""The sender: delivers outbox rows after their commit, paced to each platform's limits.

Rows of one chat (a lane) go out in id order; chats are served side by side. The sender is handed
rows right after the commit that wrote them (`queued`: no visible delay for an answer) and also reads
the table at start and every `SCAN_EVERY` seconds, which picks up what a crash or a restart left.

Pacing uses `aiolimiter` buckets: one per platform (overall) and one per chat (a group's per-minute
limit, a private chat's per-second one). A platform's "wait" (Telegram's 429 `retry_after`, raised by
the adapter as `RetryLater`) holds only that chat; other chats keep going. Errors that may pass (5xx,
timeouts, network) are retried with backoff and jitter a capped number of times, then the row is
marked failed and counted in one line a day to the managers. A target that is gone for the bot (removed
from a group, blocked by a person, chat not found: `Unreachable`) is marked, its rows are finished
without sending, and managers are told once.

Neighbours: the buckets are `bot/pacing.py`; what came of each try is written (and kept while the
database cannot take it) by `bot/outcomes.py`; `bot/recently.py` keeps a scan from taking a row again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Coroutine, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.clock import Clock
from bot.config import Settings
from bot.dispatcher import Adapter, Dispatcher, PrivateBatchAdapter
from bot.fit import fit, fit_card
from bot.messages import (
    Capabilities,
    ChatRef,
    Recipient,
    Reply,
    RetryLater,
    Undeliverable,
    Unreachable,
    reply_from_dict,
)
from bot.outbox import Queued
from bot.outcomes import Outcomes, one_line
from bot.pacing import Pacing
from bot.recently import PostsSeen, RecentlyDone
from domain.park import queries as park_queries
from handlers import texts as T
from storage import audit, cards
from storage import outbox as rows
from storage.db import Database, is_database_outage, is_unavailable
from storage.enums import MANAGER_ROLES, OutboxState
from storage.models import CardPost, Person

logger = logging.getLogger(__name__)

SCAN_EVERY = 5.0  # seconds between looks at the table when nobody woke the sender
SCAN_LIMIT = 2000
POSTS_KEPT = 4096  # cards whose messages the sender remembers (an edit then needs no read)
REPORT_EVERY = 60.0  # seconds between looks for failed rows to report (at most one line a park day)
FINISHED_KEPT = 5000
MAX_RETRY_LATER = 20  # a chat answered "wait" this many times in a row for one message: counted as failed
MAX_WAIT = 600.0  # the longest "wait" honoured at once (a flood wait of hours is retried in pieces)
STOP_GRACE = 10.0  # seconds stop() lets messages already on the wire finish
BATCH = 20  # people per private batch (DingTalk's limit)


def _retrieve(task: asyncio.Future[None]) -> None:
    """Read a finished send's exception so none is left "never retrieved" (its lane handles or logs it)."""
    if not task.cancelled():
        task.exception()


class Sender:
    """Sends outbox rows through the dispatcher's adapters, in order per chat and paced per platform."""

    def __init__(self, *, settings: Settings, clock: Clock, db: Database, dispatcher: Dispatcher) -> None:
        self.settings = settings
        self.sending = settings.sending
        self.clock = clock
        self.db = db
        self.dispatcher = dispatcher
        self._queues: dict[str, list[Queued]] = {}  # lane -> rows in hand, oldest first
        self._known: set[int] = set()
        self._finished = RecentlyDone(FINISHED_KEPT)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._waiting: deque[str] = deque()  # lanes with rows but no task yet (too many chats at once)
        self._wire: set[asyncio.Future[None]] = set()  # sends under way, finished even when stopping
        self._pacing = Pacing(self.sending, self._queues)
        self._rescan = asyncio.Event()
        self._scanner: asyncio.Task[None] | None = None
        self._stopping = False
        self._next_report = 0.0
        self._more = False  # the last scan hit its limit: read again once rows in hand drop
        self._left_in_table = False  # rows were left in the table since the last scan began
        self._changed = asyncio.Event()  # set (and replaced) whenever a row in hand is done with
        # While an outcome the database could not take is kept, nothing new is sent, so an outage repeats
        # at most what was on the wire.
        self._outcomes = Outcomes(db=db, clock=clock)
        self._posts = PostsSeen(POSTS_KEPT)  # (card key, platform, chat id) -> messages showing the card

    # --- what others call -----------------------------------------------------------------------

    def platforms(self) -> dict[str, Capabilities]:
        """Return the platforms that can be written to now, with what each can do (for `outbox.enqueue`)."""
        return {p: a.capabilities for p, a in self.dispatcher.adapters.items()}

    def queued(self, items: Sequence[Queued]) -> None:
        """Take rows just committed and send them; an unsent edit of the same card in the same chat is dropped.

        With `SCAN_LIMIT` rows in hand (a backlog: platform limits, an outage), new rows are left in the
        table, and every new row after them until a scan has read the table again in id order: memory
        stays flat under any backlog and each chat keeps its order."""
        for item in items:
            if self._more or len(self._known) >= SCAN_LIMIT:
                self._more = self._left_in_table = True
                break
            self._take(item)
        self._start_lanes()

    async def direct(self, chat: ChatRef, reply: Reply) -> None:
        """Send one reply without a row, for when the database cannot be used; a failure is logged."""
        adapter = self.dispatcher.adapters.get(chat.platform)
        if adapter is None:
            return
        try:
            await adapter.send(chat, fit(reply, adapter.capabilities))
        except Exception as exc:
            logger.warning("could not send a direct reply to %s: %s", chat.key, one_line(exc))

    async def start(self) -> None:
        """Read what is waiting in the outbox and keep sending until stopped."""
        if self._scanner is None:
            self._stopping = False
            self._scanner = asyncio.create_task(self._scan_forever(), name="sender")

    async def stop(self) -> None:
        """Stop taking rows; let messages on the wire finish (the rest stays in the table for the next start)."""
        self._stopping = True
        if self._scanner is not None:
            self._scanner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scanner
            self._scanner = None
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self._wire:
            _, late = await asyncio.wait(list(self._wire), timeout=STOP_GRACE)
            for wire in late:  # a send hanging past the grace: cut off (it may be repeated at the next start)
                wire.cancel()
            await asyncio.gather(*late, return_exceptions=True)  # retrieved: no "exception never retrieved"
        await self._outcomes.close()
        self._tasks.clear()
        self._queues.clear()
        self._waiting.clear()
        self._known.clear()
        self._pacing.close()

    async def settle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every row in hand went out (tests and the console: answers before the next line)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks or self._waiting:
            if loop.time() > deadline:
                raise TimeoutError(f"sender still busy with {sorted(self._queues)[:5]}")
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
            if not self._tasks and self._waiting:
                self._start_lanes()
        await self._outcomes.flushed()  # what went out is recorded too

    async def delivered(self, row_ids: Sequence[int], timeout: float) -> bool:  # noqa: ASYNC109
        """Wait (at most `timeout` seconds) until these rows are done with; return whether they are."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(i in self._known for i in row_ids):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    async def report_failures(self) -> bool:
        """Tell managers, in one line, how many messages could not be sent; at most once a park day.

        The day's claim is a row (`processed_updates`), so two processes or a restart never say it twice.
        Returns whether a line was written.
        """
        now = self.clock.now()
        day = self.settings.park.day(now)
        async with self.db.reading() as session:
            if not await rows.any_failed_unreported(session):
                return False
        async with self.db.unit_of_work() as session:
            failed = await rows.failed_unreported(session)
            if not failed or not await audit.claim_update(session, f"outbox-failed:{day.isoformat()}", now):
                return False
            await rows.mark_reported(session, [r.id for r in failed], now)
            targets = {r.lane for r in failed}
            text = T.OUTBOX_FAILED_DAILY.format(count=len(failed), chats=len(targets))
            items = await self._to_managers(session, text, now)
        logger.warning("%d outgoing message(s) failed; managers told (%d)", len(failed), len(items))
        self.queued(items)
        return True

    # --- lanes ----------------------------------------------------------------------------------

    def _take(self, item: Queued) -> None:
        if item.id in self._known or item.id in self._finished or self._stopping:
            return
        queue = self._queues.setdefault(item.lane, [])
        if item.edit:  # latest state wins: an unsent edit of the card in this chat is dropped
            superseded = [q for q in queue[1:] if q.edit and q.card_key == item.card_key and q.id < item.id]
            for q in superseded:
                queue.remove(q)
                self._known.discard(q.id)
                self._finished.add(q.id)
        self._known.add(item.id)
        if not queue or queue[-1].id < item.id:
            queue.append(item)
        else:  # found by a scan after later rows were handed over: keep id order
            queue.append(item)
            queue.sort(key=lambda q: q.id)
        if item.lane not in self._tasks and item.lane not in self._waiting:
            self._waiting.append(item.lane)

    def _start_lanes(self) -> None:
        while self._waiting and len(self._tasks) < self.sending.chats_at_once and not self._stopping:
            lane = self._waiting.popleft()
            if lane in self._tasks or not self._queues.get(lane):
                continue
            self._tasks[lane] = asyncio.create_task(self._run_lane(lane), name=f"send:{lane}")

    async def _run_lane(self, lane: str) -> None:
        queue = self._queues[lane]
        try:
            while queue and not self._stopping:
                item = queue[0]
                if item.edit and any(q.edit and q.card_key == item.card_key for q in queue[1:]):
                    await self._drop_superseded([item])
                    queue.pop(0)
                    continue
                if item.user_id is not None:
                    batch = [q for q in queue[:BATCH] if q.batch == item.batch and q.user_id is not None]
                    batch = batch[: next((i for i, q in enumerate(batch) if q is not queue[i]), len(batch))]
                    await self._send_batch(batch)
                    del queue[: len(batch)]
                    for q in batch:
                        self._forget(q.id)
                    continue
                gone = await self._send_one(item, queue)
                queue.pop(0)
                self._forget(item.id)
                if gone:  # the chat is gone: its other rows were finished without sending
                    for q in queue:
                        self._forget(q.id)
                    queue.clear()
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("sending to %s failed; its rows wait for the next scan", lane)
            for q in queue:
                self._known.discard(q.id)
            queue.clear()
        finally:
            self._tasks.pop(lane, None)
            if not queue:
                self._queues.pop(lane, None)
            elif not self._stopping and lane not in self._waiting:
                self._waiting.append(lane)
            self._start_lanes()
            if self._more and len(self._known) < SCAN_LIMIT // 2:
                self._rescan.set()  # `_more` stays until the scan has read the table

    async def _on_wire(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run one send and its record so that stopping never cuts them off midway (a cut send may repeat)."""
        task = asyncio.ensure_future(coro)
        self._wire.add(task)
        task.add_done_callback(self._wire.discard)
        task.add_done_callback(_retrieve)  # a lane cancelled at stop no longer awaits it: read its outcome
        return await asyncio.shield(task)

    def _forget(self, row_id: int) -> None:
        self._known.discard(row_id)
        self._finished.add(row_id)
        self._changed.set()
        self._changed = asyncio.Event()

    # --- one message ----------------------------------------------------------------------------

    async def _send_one(self, item: Queued, queue: list[Queued]) -> bool:
        """Send one row with its retries; finish it with its state. True when the chat turned out gone."""
        adapter = self.dispatcher.adapters.get(item.platform)
        if adapter is None:
            self._known.discard(item.id)  # a later scan finds it once the platform is back
            self._finished.discard(item.id)
            return False
        tries = waits = outages = 0
        while True:
            if item.edit and any(q.edit and q.card_key == item.card_key for q in queue[1:]):
                await self._drop_superseded([item])  # a newer state came in while this one waited
                return False
            try:
                await self._cleared(item, adapter)
                await self._on_wire(self._attempt(item, adapter, tries + waits + 1))
            except RetryLater as exc:
                waits += 1
                if waits > MAX_RETRY_LATER:
                    await self._outcomes.finish([item], OutboxState.FAILED, tries + waits, one_line(exc))
                    return False
                logger.info("%s asked to wait %.1fs", item.lane, exc.after)
                await asyncio.sleep(min(max(exc.after, 0.0), MAX_WAIT))
                continue
            except Unreachable as exc:
                await self._unreachable(item, one_line(exc))
                return True
            except Undeliverable as exc:
                logger.warning("%s refused a message: %s", item.lane, exc)
                await self._outcomes.finish([item], OutboxState.REFUSED, tries + 1, one_line(exc))
                return False
            except Exception as exc:
                if is_database_outage(exc):  # an edit's lookup, not the platform: no try spent
                    outages = min(outages + 1, 5)
                    logger.info("%s waits for the database: %s", item.lane, one_line(exc))
                    await asyncio.sleep(min(2.0**outages, 30.0))
                    continue
                tries += 1
                if tries > self.sending.retries:
                    logger.error(
                        "sending to %s failed %d times; given up: %s", item.lane, tries, one_line(exc)
                    )
                    await self._outcomes.finish([item], OutboxState.FAILED, tries, one_line(exc))
                    return False
                delay = min(self.sending.retry_base * 2.0 ** (tries - 1), self.sending.retry_max)
                delay *= random.uniform(0.5, 1.0)
                logger.info(
                    "sending to %s failed (%s); try %d in %.1fs", item.lane, one_line(exc), tries + 1, delay
                )
                await asyncio.sleep(delay)
                continue
            return False

    async def _cleared(self, item: Queued, adapter: Adapter) -> None:
        """Wait until outcomes the database could not take are recorded, and for the row's turn; an outage
        that began while the row waited its turn holds it too."""
        await self._outcomes.recorded.wait()
        await self._pacing.pace(item, adapter)
        while not self._outcomes.recorded.is_set():
            await self._outcomes.recorded.wait()

    async def _attempt(self, item: Queued, adapter: Adapter, attempts: int) -> None:
        """Make one try at a row; when it went out, record it as sent with where its card landed."""
        await self._outcomes.finish(
            [item], OutboxState.SENT, attempts, None, await self._deliver(item, adapter)
        )

    async def _deliver(self, item: Queued, adapter: Adapter) -> list[tuple[str, ChatRef, str]]:
        """Send (or edit) once; return the card posts to record."""
        caps = adapter.capabilities
        reply = item.reply
        if item.edit and item.chat_id is None:  # every private copy of the card (a batching platform)
            assert reply.card is not None
            await self._outcomes.flushed()  # where the card landed may be in the marks due
            async with self.db.reading() as session:
                posts = await cards.private_card_posts(session, reply.card.key, item.platform)
            shown = fit_card(reply.card, caps)
            for copy, chat_ids in _by_message(posts).items():
                if caps.edits:
                    await adapter.edit_card(chat_ids[0], copy, shown)
                else:
                    for chat_id in chat_ids:
                        await adapter.send(
                            ChatRef(item.platform, chat_id, is_group=False), fit(Reply(card=reply.card), caps)
                        )
            return []
        if item.edit:
            assert reply.card is not None and item.chat_id is not None
            if not caps.edits:  # post the new state anew where a platform cannot edit
                if not await self._posted_in(reply.card.key, item.platform, item.chat_id):
                    raise Undeliverable(f"card {reply.card.key} was never posted in {item.lane}")
                message_id = await adapter.send(item.chat, fit(Reply(card=reply.card), caps))
                return [(reply.card.key, item.chat, message_id)] if message_id is not None else []
            message_ids = await self._posted_in(reply.card.key, item.platform, item.chat_id)
            if not message_ids:
                raise Undeliverable(f"card {reply.card.key} was never posted in {item.lane}")
            card = fit_card(reply.card, caps)
            for message_id in message_ids:
                await adapter.edit_card(item.chat_id, message_id, card)
            return []
        message_id = await adapter.send(item.chat, fit(reply, caps))
        if message_id is not None and item.card_key is not None:
            self._posts.remember((item.card_key, item.platform, item.chat_id or ""), message_id)
            return [(item.card_key, item.chat, message_id)]
        return []

    async def _posted_in(self, card_key: str, platform: str, chat_id: str) -> list[str]:
        """The messages showing a card in one chat: those this process posted, else as recorded."""
        known = self._posts.get((card_key, platform, chat_id))
        if known:
            return known
        await self._outcomes.flushed()  # where the card landed may be in the marks due
        async with self.db.reading() as session:
            posts = await cards.card_posts(session, card_key, platform, chat_id)
        for post in posts:
            self._posts.remember((card_key, platform, chat_id), post.message_id)
        return [post.message_id for post in posts]

    async def _send_batch(self, batch: list[Queued]) -> bool:
        """Send one reply privately to up to `BATCH` people in one call (DingTalk), with the same retries."""
        first = batch[0]
        adapter = self.dispatcher.adapters.get(first.platform)
        if not isinstance(adapter, PrivateBatchAdapter):
            await self._outcomes.finish(
                batch, OutboxState.REFUSED, 1, "platform cannot write to people without a chat"
            )
            return False
        tries = waits = 0
        ids = [q.user_id for q in batch if q.user_id is not None]
        while True:
            try:
                await self._cleared(first, adapter)
                await self._on_wire(self._attempt_batch(batch, adapter, ids, tries + waits + 1))
            except RetryLater as exc:
                waits += 1
                if waits <= MAX_RETRY_LATER:
                    await asyncio.sleep(min(max(exc.after, 0.0), MAX_WAIT))
                    continue
                await self._outcomes.finish(batch, OutboxState.FAILED, tries + waits, one_line(exc))
            except Undeliverable as exc:  # Unreachable too: the platform names nobody, so nobody is marked
                await self._outcomes.finish(batch, OutboxState.REFUSED, tries + 1, one_line(exc))
            except Exception as exc:
                tries += 1
                if tries <= self.sending.retries:
                    delay = min(self.sending.retry_base * 2.0 ** (tries - 1), self.sending.retry_max)
                    await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                    continue
                await self._outcomes.finish(batch, OutboxState.FAILED, tries, one_line(exc))
            return False

    async def _attempt_batch(
        self, batch: list[Queued], adapter: PrivateBatchAdapter, ids: list[str], attempts: int
    ) -> None:
        reply = batch[0].reply
        landed = await adapter.send_private(ids, fit(reply, adapter.capabilities))
        # Where a card landed in people's private chats, so later changes edit those copies too.
        key = batch[0].card_key
        posts = [(key, chat, message_id) for chat, message_id in landed or ()] if key is not None else []
        await self._outcomes.finish(batch, OutboxState.SENT, attempts, None, posts)

    async def _drop_superseded(self, items: Sequence[Queued]) -> None:
        try:
            async with self.db.unit_of_work() as session:
                await rows.delete_rows(session, [q.id for q in items])
        except Exception as exc:
            logger.warning("could not drop superseded edits: %s", one_line(exc))

    async def _unreachable(self, item: Queued, reason: str) -> None:
        """Mark the chat (and a private chat's person) unreachable, finish its rows, and tell managers once."""
        logger.warning("%s is unreachable (%s); no more messages go there", item.lane, reason)
        items: list[Queued] = []
        try:
            async with self.db.unit_of_work() as session:
                now = self.clock.now()
                assert item.chat_id is not None
                chat, gone = await rows.mark_chat_unreachable(
                    session, item.platform, item.chat_id, item.is_group, now
                )
                await rows.finish_lane(session, item.lane, OutboxState.UNREACHABLE, now, reason)
                if chat is not None and item.is_group:
                    name = chat.title or chat.chat_id
                    items = await self._to_managers(
                        session, T.OUTBOX_GROUP_UNREACHABLE.format(group=name), now
                    )
                elif gone:
                    names = "、".join(p.display_name for p in gone)
                    items = await self._to_managers(
                        session,
                        T.OUTBOX_PERSON_UNREACHABLE.format(name=names),
                        now,
                        skip={p.id for p in gone},
                    )
        except Exception as exc:
            logger.warning("could not mark %s unreachable: %s", item.lane, one_line(exc))
            return
        self.queued(items)

    async def _to_managers(
        self, session: AsyncSession, text: str, now: datetime, skip: set[int] | None = None
    ) -> list[Queued]:
        """Write a line to every manager and admin the bot can reach privately."""
        caps = self.platforms()
        managers: list[Person] = [
            p
            for p in await park_queries.people_with_role(session, None, MANAGER_ROLES)
            if p.id not in (skip or set()) and self.dispatcher.reach(p)
        ]
        told = tuple(
            Recipient(p.platform, p.external_id, p.private_chat_id) for p in managers if p.platform in caps
        )
        if not told:
            logger.warning("no manager can be told privately: %s", text)
            return []
        return await outbox.enqueue(session, [Reply(text=text, people=told)], platforms=caps, now=now)

    # --- the table ------------------------------------------------------------------------------

    async def _scan_forever(self) -> None:
        """Read unsent rows not in hand: at start, when woken, and every `SCAN_EVERY` seconds."""
        failures = 0
        while True:
            self._rescan.clear()
            try:
                await self._scan()
                failures = 0
                await self._maybe_report()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_unavailable(exc):
                    logger.exception("reading the outbox failed")
                elif failures == 0:
                    logger.warning("outbox not read, database unavailable: %s", one_line(exc))
                failures += 1
                await asyncio.sleep(min(2.0**failures, 30.0))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._rescan.wait(), SCAN_EVERY)

    async def _scan(self) -> None:
        platforms = self.platforms()
        if not platforms:
            return
        self._left_in_table = False
        await self._outcomes.flushed()  # rows just sent are marked first, or they would fill the read
        async with self.db.reading() as session:
            found = await rows.pending(session, list(platforms), limit=SCAN_LIMIT)
            fresh = [
                (
                    r.id,
                    r.lane,
                    r.platform,
                    r.chat_id,
                    r.is_group,
                    r.user_id,
                    r.batch,
                    r.card_key,
                    r.edit,
                    r.payload,
                )
                for r in found
                if r.id not in self._known and r.id not in self._finished
            ]
        self._more = len(found) >= SCAN_LIMIT
        if self._left_in_table and not self._more:  # rows committed while the table was being read
            self._rescan.set()
        for row_id, lane, platform, chat_id, is_group, user_id, batch, card_key, edit, payload in fresh:
            if lane is None or platform is None:
                await self._split_old_row(row_id, payload)
                continue
            reply = reply_from_dict(payload[0])
            self._take(
                Queued(row_id, lane, platform, chat_id, is_group, user_id, batch, card_key, edit, reply)
            )
        self._start_lanes()

    async def _split_old_row(self, row_id: int, payload: list[dict[str, object]]) -> None:
        """Turn a row written before migration 0008 (every reply of an update) into rows per target."""
        replies = [reply_from_dict(d) for d in payload]  # type: ignore[arg-type]
        async with self.db.unit_of_work() as session:
            items = await outbox.enqueue(session, replies, platforms=self.platforms(), now=self.clock.now())
            await rows.delete_rows(session, [row_id])
        self.queued(items)

    async def _maybe_report(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_report:
            return
        self._next_report = loop.time() + REPORT_EVERY
        await self.report_failures()


def _by_message(posts: Sequence[CardPost]) -> dict[str, list[str]]:
    """Group card posts by message: one card instance may be delivered to several private chats."""
    chats_of: dict[str, list[str]] = {}
    for post in posts:
        chats_of.setdefault(post.message_id, []).append(post.chat_id)
    return chats_of
