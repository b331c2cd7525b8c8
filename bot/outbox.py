"""Writing to the outbox: neutral replies become one row per target, inside the caller's transaction.

The dispatcher calls `enqueue` in an update's unit of work; a proactive send (a broadcast, a reminder,
a digest from a schedule) calls it in its own, then hands the returned items to the sender after the
commit (`Sender.queued`), which wakes it. Targets are fixed here: park groups and private chats are
resolved, a card edit becomes one row per chat that shows the card (or will: its post is still
queued), and a pending edit of the same card in the same chat is replaced (latest state wins).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Capabilities, Card, ChatRef, Reply, reply_to_dict
from storage import bookkeeping
from storage import outbox as rows
from storage.lane import Lane, lane_of

logger = logging.getLogger(__name__)

ABOUT = "about:"  # card-post key of a message that is about a card (a prompt, a notice) without being it


@dataclass(frozen=True)
class Queued:
    """One outbox row as the sender handles it: its target, its lane (chat) and the reply."""

    id: int
    lane: str
    platform: str
    chat_id: str | None
    is_group: bool
    user_id: str | None  # a person written to without a chat (batched where the platform can)
    batch: str | None
    card_key: str | None  # the card (or `about:` key) a sent message is recorded under; an edit's card
    edit: bool
    reply: Reply

    @property
    def chat(self) -> ChatRef:
        """Return the target chat (only for rows with a chat)."""
        assert self.chat_id is not None
        return self.reply.chat or ChatRef(self.platform, self.chat_id, self.is_group)


class Delivery(Protocol):
    """The sender as the dispatcher sees it: told of rows after their commit, or asked to send directly."""

    def queued(self, items: Sequence[Queued]) -> None:
        """Take rows just committed and send them (in order per chat)."""
        ...

    async def direct(self, chat: ChatRef, reply: Reply) -> None:
        """Send a reply without a row (the database cannot be used to write one)."""
        ...

    async def settle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every row in hand went out (the console prints answers before its next prompt)."""
        ...


def post_key(reply: Reply) -> str | None:
    """Return the key a sent message is recorded under: its card's, or `about:<card>` for a message about one.

    Card edits look up exact card keys, so an `about:` message is found by replies, never edited.
    """
    if reply.card is not None:
        return reply.card.key
    return f"{ABOUT}{reply.about}" if reply.about else None


def shown_card(card: Card, platform: str, chat_id: str | None, is_group: bool, user_id: str | None) -> Card:
    """Return a card as its one target shows it: every button in a group, a person's own buttons in
    their private chat. A row for every private copy at once (a batching platform's edit) keeps the
    audience: the adapter narrows each copy by its chat."""
    if is_group:
        return card.in_group()
    if chat_id is None and user_id is None:
        return card
    return card.seen_by(platform, chat_id, user_id)


def chat_lane(platform: str, chat_id: str) -> str:
    """Return the lane (ordering key) of a chat."""
    return f"{platform}:{chat_id}"


def batch_lane(platform: str) -> str:
    """Return the lane of private messages a platform takes in batches (people without a chat)."""
    return f"{platform}:people"


class Planned:
    """Outbox rows being planned: their column values and the replies they carry, one per target."""

    def __init__(self, now: datetime, update_key: str | None) -> None:
        self.now = now
        self.update_key = update_key
        self.values: list[dict[str, Any]] = []
        self.parsed: list[Reply] = []

    def add(
        self,
        reply: Reply,
        platform: str,
        chat_id: str | None,
        is_group: bool,
        title: str | None = None,
        **extra: Any,
    ) -> None:
        """Plan one row: the reply to one target."""
        lane = chat_lane(platform, chat_id) if chat_id is not None else batch_lane(platform)
        # The row names its one target; the reply's own routing (groups, people) is done with.
        target = ChatRef(platform, chat_id, is_group, title) if chat_id is not None else None
        reply = replace(reply, chat=target, to_groups=False, people=())
        if reply.card is not None and reply.card.audience:
            reply = replace(reply, card=shown_card(reply.card, platform, chat_id, is_group, extra.get("user_id")))
        self.values.append(
            {
                "update_key": self.update_key,
                "payload": [reply_to_dict(reply)],
                "created_at": self.now,
                "lane": lane,
                "platform": platform,
                "chat_id": chat_id,
                "is_group": is_group,
                "card_key": post_key(reply),
                **extra,
            }
        )
        self.parsed.append(reply)

    def queued(self, ids: Sequence[int]) -> list[Queued]:
        """Return the stored rows (their ids in order) as the sender takes them."""
        return [
            Queued(
                id=row_id,
                lane=v["lane"],
                platform=v["platform"],
                chat_id=v["chat_id"],
                is_group=v["is_group"],
                user_id=v.get("user_id"),
                batch=v.get("batch"),
                card_key=v["card_key"],
                edit=bool(v.get("edit")),
                reply=reply,
            )
            for row_id, v, reply in zip(ids, self.values, self.parsed, strict=True)
        ]


def plan_direct(
    replies: Sequence[Reply],
    *,
    platforms: Mapping[str, Capabilities],
    now: datetime,
    origin: ChatRef,
    update_key: str | None,
) -> Planned | None:
    """Plan replies that go to one known chat each (the update's, or one they name) without reading
    anything; None when one needs the database to find its targets (a card edit, park groups, people)."""
    planned = Planned(now, update_key)
    for reply in replies:
        if reply.toast:
            continue
        if (reply.edit and reply.card is not None) or reply.people or reply.to_groups:
            return None
        chat = reply.chat or origin
        if chat.platform not in platforms:
            return None  # `enqueue` logs it
        planned.add(reply, chat.platform, chat.chat_id, chat.is_group, chat.title)
    return planned


async def enqueue(
    session: AsyncSession,
    replies: Sequence[Reply],
    *,
    platforms: Mapping[str, Capabilities],
    now: datetime,
    origin: ChatRef | None = None,
    update_key: str | None = None,
) -> list[Queued]:
    """Write replies as outbox rows in the session's transaction (`enqueue_on`, in one hop on its
    connection, after what the session holds is flushed); return them for the sender."""
    if not any(not r.toast for r in replies):
        return []
    await session.flush()  # the targets are read with plain statements: no autoflush there
    conn = await session.connection()
    return await conn.run_sync(
        enqueue_on, replies, platforms=platforms, now=now, origin=origin, update_key=update_key
    )


def enqueue_on(
    conn: Lane | Connection,
    replies: Sequence[Reply],
    *,
    platforms: Mapping[str, Capabilities],
    now: datetime,
    origin: ChatRef | None = None,
    update_key: str | None = None,
) -> list[Queued]:
    """Write replies as outbox rows, one per target, in the caller's transaction; return them for the sender.

    A reply without a target goes to `origin` (the chat of the update). `platforms` are the platforms
    that can be written to now, with what each can do. Toasts are not stored (the button is answered
    directly). Runs on the bookkeeping lane (a 收到 press) or on an update's session's connection.
    """
    lane = lane_of(conn)
    planned = Planned(now, update_key)
    values, parsed, add = planned.values, planned.parsed, planned.add
    groups: dict[str, list[tuple[str, str | None]]] | None = None
    batching = [p for p, caps in platforms.items() if caps.private_to_anyone]
    for reply in replies:
        if reply.toast:
            continue
        if reply.edit and reply.card is not None:
            key = reply.card.key
            shown = rows.card_chats(lane, key, platforms)
            # Posts of the card written a moment ago in this same call are on their way too.
            shown += [
                (v["platform"], v["chat_id"], v["is_group"])
                for v in values
                if v["card_key"] == key and not v.get("edit") and v["chat_id"] is not None
            ]
            # A platform that writes to people in batches (DingTalk) delivers a card's private copies in
            # its batch lane; one edit row there, sent after any batch still on its way, finds every
            # private copy when it is sent.
            targets: list[tuple[str, str | None, bool]] = [
                (p, c, g) for p, c, g in dict.fromkeys(shown) if g or p not in batching
            ]
            targets += [(p, None, False) for p in batching]
            lanes = [chat_lane(p, c) if c is not None else batch_lane(p) for p, c, _ in targets]
            rows.drop_pending_edits(lane, key, lanes)
            for (platform, chat_id, is_group), chat in zip(targets, lanes, strict=True):
                same = [
                    i
                    for i, v in enumerate(values)
                    if v.get("edit") and v["card_key"] == key and v["lane"] == chat
                ]
                for i in reversed(same):  # an edit of this same call: replaced as well
                    del values[i], parsed[i]
                add(reply, platform, chat_id, is_group, edit=True)
        elif reply.people:
            batch = uuid.uuid4().hex
            # A card whose buttons differ per person goes to each on their own (a batch shares one copy).
            own = reply.card is not None and bool(reply.card.audience)
            for r in reply.people:
                caps = platforms.get(r.platform)
                if caps is None:
                    logger.warning("no adapter for %s; private reply to %s dropped", r.platform, r.user_id)
                elif caps.private_to_anyone:  # one call for many people (DingTalk: 20 a call)
                    add(reply, r.platform, None, False, user_id=r.user_id, batch=uuid.uuid4().hex if own else batch)
                elif r.chat_id is not None:
                    add(reply, r.platform, r.chat_id, False)
                else:
                    logger.info("%s:%s has no private chat with the bot; not told", r.platform, r.user_id)
        elif reply.chat is not None:
            if reply.chat.platform in platforms:
                add(reply, reply.chat.platform, reply.chat.chat_id, reply.chat.is_group, reply.chat.title)
            else:
                logger.warning("no adapter for %s; reply dropped", reply.chat.key)
        elif reply.to_groups:
            if groups is None:
                groups = {p: rows.park_groups(lane, p) for p in platforms}
            for platform, found in groups.items():
                for chat_id, title in found:
                    add(reply, platform, chat_id, True, title)
        elif origin is not None and origin.platform in platforms:
            add(reply, origin.platform, origin.chat_id, origin.is_group, origin.title)
    if not values:
        return []
    return planned.queued(bookkeeping.add_outbox(lane, values))
