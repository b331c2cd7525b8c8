"""Pacing: the sender's `aiolimiter` buckets, one per platform (overall) and one per chat.

`bot/sender.py` waits here before every try; the limits are the `sending.limits` settings
(`bot/config.py`), a reply's cost in messages is its adapter's answer (`cost`, when it has one).
Recording what came of a send is `bot/outcomes.py`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Container

from aiolimiter import AsyncLimiter

from bot.config import PlatformLimits, SendingSettings
from bot.dispatcher import Adapter
from bot.outbox import Queued

CHAT_BUCKETS_KEPT = 10_000  # beyond this many chats' buckets, the idle ones are forgotten


class OldestFirst:
    """A platform's `aiolimiter` bucket handed out oldest row first.

    Chats wait for the bucket side by side; without an order, a chat coming back from a 429 would queue
    behind every chat that started waiting meanwhile. Rows are numbered in the order they were written,
    so the lowest id (a retry, an earlier broadcast) goes next.
    """

    def __init__(self, limiter: AsyncLimiter) -> None:
        self.limiter = limiter
        self._waiting: list[tuple[int, int, float, asyncio.Future[None]]] = []
        self._count = itertools.count()
        self._pump: asyncio.Task[None] | None = None

    async def acquire(self, key: int, amount: float) -> None:
        """Wait for `amount` of the bucket, after every waiter with a lower key."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (key, next(self._count), amount, future))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._hand_out(), name="sender-pacing")
        await future

    async def _hand_out(self) -> None:
        while self._waiting:
            _, _, amount, future = heapq.heappop(self._waiting)
            if future.done():  # the waiter was cancelled (the sender stopped)
                continue
            await self.limiter.acquire(amount)
            if not future.done():
                future.set_result(None)

    def close(self) -> None:
        """Stop handing out (the sender stops)."""
        if self._pump is not None:
            self._pump.cancel()
        for *_, future in self._waiting:
            future.cancel()
        self._waiting.clear()


class Pacing:
    """The buckets a row waits for: its chat's, then its platform's (oldest row first)."""

    def __init__(self, sending: SendingSettings, in_hand: Container[str]) -> None:
        self.sending = sending
        self._in_hand = in_hand  # lanes with rows in hand: their chats' buckets are kept when pruning
        self._overall: dict[str, OldestFirst] = {}
        self._per_chat: dict[str, AsyncLimiter] = {}

    async def pace(self, item: Queued, adapter: Adapter) -> None:
        """Wait for the chat's bucket, then the platform's, for as many messages as the reply makes."""
        limits = self.sending.limits.get(item.platform)
        if limits is None:
            return
        cost_of = getattr(adapter, "cost", None)
        cost = max(1, int(cost_of(item.reply))) if cost_of is not None and not item.edit else 1
        chat = self._chat_limiter(item, limits)
        if chat is not None:
            await chat.acquire(min(cost, chat.max_rate))
        overall = self._overall.get(item.platform)
        if overall is None:
            overall = self._overall[item.platform] = OldestFirst(AsyncLimiter(limits.overall_per_second, 1.0))
        await overall.acquire(item.id, min(cost, overall.limiter.max_rate))

    def close(self) -> None:
        """Stop every platform's bucket (the sender stops); a later start makes new ones."""
        for pacer in self._overall.values():
            pacer.close()
        self._overall.clear()

    def _chat_limiter(self, item: Queued, limits: PlatformLimits) -> AsyncLimiter | None:
        if item.chat_id is None:
            return None
        limiter = self._per_chat.get(item.lane)
        if limiter is None:
            if len(self._per_chat) > CHAT_BUCKETS_KEPT:  # forget idle chats' buckets now and then
                self._per_chat = {k: v for k, v in self._per_chat.items() if k in self._in_hand}
            if item.is_group:
                limiter = AsyncLimiter(limits.per_group_per_minute, 60.0)
            else:
                limiter = AsyncLimiter(limits.private_burst, limits.private_burst / limits.private_per_second)
            self._per_chat[item.lane] = limiter
        return limiter
