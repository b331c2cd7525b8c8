"""Where every update enters the core: one unit of work, identity, routing, permission, delivery.

An adapter calls `Dispatcher.handle` with a neutral `Incoming` or `ButtonPress`. Inside one
transaction the dispatcher drops repeats (processed-update key), records who and where, picks the
route, checks the permission, and runs the handler. Only after the commit are replies delivered
through the adapters; card posts are then recorded so later edits find them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.messages import Attachment, ButtonPress, Card, ChatRef, FileRef, Incoming, Reply
from bot.routing import Route, Router
from handlers import texts as T
from handlers.permissions import needed_roles, role_allows
from storage import queries as q
from storage.db import Database
from storage.models import Person
from storage.photos import NotAnImage, PhotoStore

logger = logging.getLogger(__name__)

Event = Incoming | ButtonPress


class Adapter(Protocol):
    """What the core needs from a platform: send, edit a card in place, fetch an attachment."""

    platform: str

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Send a reply; return the platform's message id of the sent message (or card)."""
        ...

    async def edit_card(self, chat_id: str, message_id: str, card: Card) -> None:
        """Re-render a card in an already-sent message."""
        ...

    async def fetch_file(self, ref: FileRef) -> bytes:
        """Download an attachment's bytes."""
        ...


@dataclass
class Outcome:
    """What happened to one update: the toast for a button press, and what was delivered."""

    duplicate: bool = False
    toast: str | None = None
    sent: list[tuple[ChatRef, Reply]] = field(default_factory=list)


class Dispatcher:
    """Routes neutral updates to handlers inside one unit of work and delivers their replies."""

    def __init__(
        self, *, settings: Settings, clock: Clock, db: Database, photos: PhotoStore, routers: Sequence[Router]
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.db = db
        self.photos = photos
        self.adapters: dict[str, Adapter] = {}
        self.commands: dict[str, Route] = {}
        self.buttons: dict[str, Route] = {}
        self.card_replies: dict[str, Route] = {}
        self.conversations: dict[str, Route] = {}
        for router in routers:
            for table, own in (
                (self.commands, router.commands),
                (self.buttons, router.buttons),
                (self.card_replies, router.card_replies),
                (self.conversations, router.conversations),
            ):
                clash = table.keys() & own.keys()
                if clash:
                    raise ValueError(f"router {router.name} redefines {sorted(clash)}")
                table.update(own)

    def attach(self, adapter: Adapter) -> None:
        """Register a platform adapter for delivery and file downloads."""
        self.adapters[adapter.platform] = adapter

    async def handle(self, event: Event) -> Outcome:
        """Process one update exactly once and deliver its replies after the commit."""
        # Photos are written to disk before the transaction opens (content-addressed, so a repeat
        # costs nothing) and before the bot answers: nothing that arrives is lost.
        attachments: list[Attachment] = []
        if isinstance(event, Incoming) and event.files and await self._may_want_files(event):
            attachments = await self._store_files(event)
        try:
            async with self.db.unit_of_work() as session:
                now = self.clock.now()
                if not await q.claim_update(session, event.update_key, now):
                    logger.info("update %s already processed; skipped", event.update_key)
                    return Outcome(duplicate=True)
                actor = await self._identify(session, event)
                replies = await self._dispatch(session, event, actor, attachments)
        except Exception:
            logger.exception("handler failed for update %s", event.update_key)
            replies = [Reply(text=T.SORRY, toast=isinstance(event, ButtonPress))]
        return await self.deliver(replies, event)

    async def _identify(self, session: AsyncSession, event: Event) -> Person:
        now = self.clock.now()
        s = event.sender
        actor = await q.upsert_person(
            session,
            platform=s.platform,
            external_id=s.user_id,
            display_name=s.display_name,
            username=s.username,
            at=now,
        )
        chat = await q.upsert_chat(
            session,
            platform=event.chat.platform,
            chat_id=event.chat.chat_id,
            title=event.chat.title,
            is_group=event.chat.is_group,
            at=now,
        )
        if chat.is_group and event.chat.key in self.settings.park.chats and not chat.is_park_group:
            chat.is_park_group = True
        # Only a message the person wrote proves a private chat is theirs; a button press carries the
        # chat of the card, which a forged press could name.
        if (
            isinstance(event, Incoming)
            and not event.chat.is_group
            and actor.private_chat_id != event.chat.chat_id
        ):
            actor.private_chat_id = event.chat.chat_id
        if s.key in self.settings.access.admins and actor.role != "admin":
            await q.set_role(session, actor, "admin", None, actor=None, at=now)
        return actor

    def _deps(
        self, session: AsyncSession, actor: Person, attachments: list[Attachment], **extra: Any
    ) -> dict[str, Any]:
        return {
            "session": session,
            "actor": actor,
            "settings": self.settings,
            "clock": self.clock,
            "now": self.clock.now(),
            "photos": self.photos,
            "attachments": attachments,
            "commands": self.commands,
            "card_key": None,
            "conversation": None,
            **extra,
        }

    async def _may_want_files(self, event: Incoming) -> bool:
        """Tell cheaply whether a handler could use the attachments, before downloading anything.

        A command, a private message, a reply, or an open question may; a photo posted into the
        group with none of these (a bot that is a group admin sees them all) is not downloaded.
        """
        if event.command is not None or not event.chat.is_group or event.reply_to_message_id is not None:
            return True
        async with self.db.sessions() as session:
            person = await q.find_person(session, event.sender.platform, event.sender.user_id)
            if person is None:
                return False
            conv = await q.get_conversation(session, event.chat.platform, event.chat.chat_id, person)
            if conv is None:
                return False
            # An album step only wants the rest of its own album.
            return conv.kind != "hazard_album" or conv.data.get("media_group_id") == event.media_group_id

    async def migrate_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """Move a chat's records to its new id (a Telegram group upgraded to a supergroup)."""
        async with self.db.unit_of_work() as session:
            await q.migrate_chat(session, platform, old_chat_id, new_chat_id, self.clock.now())

    async def _store_files(self, event: Incoming) -> list[Attachment]:
        adapter = self.adapters.get(event.sender.platform)
        limit = self.settings.storage.max_photo_bytes
        out: list[Attachment] = []
        for ref in event.files:
            if ref.size is not None and ref.size > limit:
                out.append(Attachment(ref, None, "too_large"))
                continue
            if ref.kind == "document" and ref.mime_type and not ref.mime_type.startswith("image/"):
                out.append(Attachment(ref, None, "not_image"))
                continue
            try:
                assert adapter is not None
                data = await adapter.fetch_file(ref)
            except Exception as exc:
                too_large = "too" in type(exc).__name__.lower() or "too big" in str(exc).lower()
                logger.warning("could not fetch %s from %s: %s", ref.file_id, event.sender.platform, exc)
                out.append(Attachment(ref, None, "too_large" if too_large else "failed"))
                continue
            if len(data) > limit:
                out.append(Attachment(ref, None, "too_large"))
                continue
            try:
                stored = await asyncio.to_thread(self.photos.save, data)
            except NotAnImage:
                out.append(Attachment(ref, None, "not_image"))
                continue
            out.append(Attachment(ref, stored))
        return out

    async def _dispatch(
        self, session: AsyncSession, event: Event, actor: Person, attachments: list[Attachment]
    ) -> list[Reply]:
        if isinstance(event, ButtonPress):
            prefix = event.data.split(":", 1)[0]
            route = self.buttons.get(prefix)
            if route is None:
                logger.warning("unknown button %r from %s", event.data[:64], event.sender.key)
                await q.audit(
                    session, self.clock.now(), actor, "button.refused", "button", None, data=event.data[:64]
                )
                return [Reply(text=T.BUTTON_STALE, toast=True)]
            return await self._run(route, session, event, actor, attachments) or []

        command = event.command
        conv = await q.get_conversation(session, event.chat.platform, event.chat.chat_id, actor)
        card_key = await self._replied_card(session, event)
        if command is not None:
            route = self.commands.get(command)
            if route is None:
                if "@" in event.text.split(maxsplit=1)[0] and event.chat.is_group:
                    return []  # addressed to another bot in the group
                return [Reply(text=T.UNKNOWN_COMMAND.format(command=command[:32]))]
            if conv is not None:  # a new command drops the open question; the handler still sees it
                await q.end_conversation(session, event.chat.platform, event.chat.chat_id, actor)
            replies = await self._run(
                route, session, event, actor, attachments, conversation=conv, card_key=card_key
            )
            return replies or []

        if conv is not None and not role_allows(actor.role, self.conversations[conv.kind].perm):
            # The person lost the role the question needs: drop it quietly, route the message as usual.
            await q.end_conversation(session, event.chat.platform, event.chat.chat_id, actor)
        elif conv is not None and conv.kind in self.conversations:
            # The step sees which card (if any) the message replies to, and declines (NOT_MINE) what
            # is not its answer; the question then stays open and routing goes on.
            replies = await self._run(
                self.conversations[conv.kind],
                session,
                event,
                actor,
                attachments,
                conversation=conv,
                card_key=card_key,
            )
            if replies is not None:
                return replies

        if card_key is not None:
            route = self.card_replies.get(card_key.split(":", 1)[0])
            if route is not None:
                return await self._run(route, session, event, actor, attachments, card_key=card_key) or []
            return [Reply(text=T.CARD_REPLY_HINT)]

        if event.chat.is_group:
            return []  # ordinary group chatter is not for the bot
        return [Reply(text=T.PLAIN_TEXT_HINT)]

    async def _replied_card(self, session: AsyncSession, event: Incoming) -> str | None:
        """Return the key of our card the message replies to, if it replies to one."""
        if event.reply_to_message_id is None:
            return None
        return await q.card_at(session, event.chat.platform, event.chat.chat_id, event.reply_to_message_id)

    async def _run(
        self,
        route: Route,
        session: AsyncSession,
        event: Event,
        actor: Person,
        attachments: list[Attachment],
        **extra: Any,
    ) -> list[Reply] | None:
        if not role_allows(actor.role, route.perm):
            if isinstance(event, ButtonPress):
                logger.warning(
                    "refused button %r from %s (role %s)", event.data[:64], event.sender.key, actor.role
                )
                await q.audit(
                    session, self.clock.now(), actor, "button.refused", "button", None, data=event.data[:64]
                )
            return [
                Reply(
                    text=T.need_role(needed_roles(route.perm), actor.role),
                    toast=isinstance(event, ButtonPress),
                )
            ]
        return await route.call(event, self._deps(session, actor, attachments, **extra))

    async def deliver(self, replies: Sequence[Reply], event: Event | None = None) -> Outcome:
        """Send replies through the adapters and record where cards landed."""
        outcome = Outcome()
        posts: list[tuple[str, ChatRef, str]] = []
        for reply in replies:
            if reply.toast and isinstance(event, ButtonPress):
                outcome.toast = reply.text
                continue
            if reply.edit and reply.card is not None:
                await self._edit_everywhere(reply.card)
                continue
            for chat in await self._targets(reply, event):
                adapter = self.adapters.get(chat.platform)
                if adapter is None:
                    logger.warning("no adapter for %s; reply dropped", chat.key)
                    continue
                try:
                    message_id = await adapter.send(chat, reply)
                except Exception:
                    logger.exception("sending to %s failed", chat.key)
                    continue
                outcome.sent.append((chat, reply))
                if reply.card is not None and message_id is not None:
                    posts.append((reply.card.key, chat, message_id))
        if posts:
            try:
                async with self.db.unit_of_work() as session:
                    for key, chat, message_id in posts:
                        await q.record_card_post(
                            session,
                            card_key=key,
                            platform=chat.platform,
                            chat_id=chat.chat_id,
                            message_id=message_id,
                            at=self.clock.now(),
                        )
            except Exception:  # the messages are out; losing the record only means no later edit
                logger.exception("recording card posts %s failed", [p[0] for p in posts])
        return outcome

    async def _targets(self, reply: Reply, event: Event | None) -> list[ChatRef]:
        if reply.chat is not None:
            return [reply.chat]
        if reply.to_groups:
            async with self.db.unit_of_work() as session:
                chats = []
                for platform in self.adapters:
                    for c in await q.park_group_chats(session, platform):
                        chats.append(ChatRef(c.platform, c.chat_id, True, c.title))
            return chats
        return [event.chat] if event is not None else []

    async def _edit_everywhere(self, card: Card) -> None:
        async with self.db.unit_of_work() as session:
            found = {p: await q.card_posts(session, card.key, p) for p in self.adapters}
        for platform, posts in found.items():
            for post in posts:
                try:
                    await self.adapters[platform].edit_card(post.chat_id, post.message_id, card)
                except Exception:
                    logger.exception("editing card %s in %s:%s failed", card.key, platform, post.chat_id)
