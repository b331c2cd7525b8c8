"""Where every update enters the core: one unit of work, identity, routing, permission, outbox.

An adapter calls `Dispatcher.handle` with a neutral `Incoming` or `ButtonPress`. Inside one
transaction the dispatcher drops repeats (processed-update key), records who and where, picks the
route, checks the permission, runs the handler, and writes its replies to the outbox, one row per
target. After the commit the sender (`bot/sender.py`) is handed the rows and delivers them.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from bot import questions
from bot.arrivals import may_want_files, store_files
from bot.clock import Clock
from bot.config import Settings
from bot.messages import (
    Attachment,
    ButtonPress,
    Capabilities,
    Card,
    ChatRef,
    FileRef,
    Incoming,
    Outcome,
    Reply,
    clean_text,
)
from bot.outbox import ABOUT, Delivery, Queued, enqueue, enqueue_on, plan_direct
from bot.routing import Later, LaterWork, Route, Router
from domain.park import operations as park_ops
from domain.park.rules import needed_roles, role_allows
from handlers import texts as T
from storage import audit, bookkeeping, cards, identity, inbox
from storage.db import Database, is_unavailable
from storage.enums import Role
from storage.lane import Lane
from storage.models import Conversation, Person
from storage.photos import (
    PhotoStore,
)

logger = logging.getLogger(__name__)
# The `Later` of the update being handled in this task (handlers declare `later` to hand work off).
_LATER: ContextVar[Later | None] = ContextVar("later", default=None)


class _FullPath(Exception):
    """Raised inside a unit on the bookkeeping lane to roll it back: the update takes the full path."""


Event = Incoming | ButtonPress


class Adapter(Protocol):
    """What the core needs from a platform: send, edit a card in place, fetch an attachment.

    `capabilities` declares what the platform can do; the core picks its fallbacks from it.
    """

    platform: str
    capabilities: Capabilities

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Send a reply; return the platform's message id of the sent message (or card)."""
        ...

    async def edit_card(self, chat_id: str, message_id: str, card: Card) -> None:
        """Re-render a card in an already-sent message."""
        ...

    async def fetch_file(self, ref: FileRef) -> bytes:
        """Download an attachment's bytes."""
        ...


@runtime_checkable
class PrivateBatchAdapter(Adapter, Protocol):
    """A platform that writes privately to many people in one call (DingTalk: 20 at a time)."""

    async def send_private(self, user_ids: Sequence[str], reply: Reply) -> Sequence[tuple[ChatRef, str]] | None:
        """Send one reply privately to each of these people; return where a card landed (chat, message id)."""
        ...


@runtime_checkable
class KnownPrivateChats(Protocol):
    """A platform where a person's private chat with the bot follows from their id (DingTalk's robot)."""

    def private_chat(self, user_id: str) -> ChatRef:
        """Return the person's private chat with the bot, whether or not they ever wrote in it."""
        ...


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
        self.routes = Router("all")  # every handler module's routes, in one table per kind
        for router in routers:
            self.routes.include(router)
        self.kinds = {kind: route.question for kind, route in self.routes.questions.items() if route.question}
        self._admins = frozenset(settings.access.admins)
        self._park_chats = frozenset(settings.park.chats)
        self._later: set[asyncio.Task[None]] = set()  # handed-off work under way (`Later`)
        self._told_not_saved: set[str] = set()  # updates whose sender heard their photo waits for storage
        self.delivery: Delivery | None = None  # the sender, handed the outbox rows of each update
    def attach(self, adapter: Adapter) -> None:
        """Register a platform adapter for delivery and file downloads."""
        self.adapters[adapter.platform] = adapter

    def capabilities(self, platform: str) -> Capabilities:
        """Return what a platform can do (everything, for a platform with no adapter attached)."""
        adapter = self.adapters.get(platform)
        return adapter.capabilities if adapter is not None else Capabilities()

    def reach(self, person: Person) -> bool:
        """Tell whether the bot can write to this person privately."""
        if person.unreachable_at is not None:  # blocked the bot: handlers fall back where they may
            return False
        return bool(person.private_chat_id) or self.capabilities(person.platform).private_to_anyone

    async def handle(self, event: Event, inbox_id: int | None = None) -> Outcome:
        """Process one update exactly once; its replies are written to the outbox in its transaction.

        The replies become outbox rows per target in the update's own transaction (and the inbox row, if
        the update came through the inbox, is marked done there too); the sender is handed them after
        the commit. When the database cannot be used, nothing is said and the outcome says so: an update
        from the inbox then waits there for the next try.
        """
        # Photos are written to disk before the transaction opens (content-addressed, so a repeat
        # costs nothing) and before the bot answers: nothing that arrives is lost.
        attachments: list[Attachment] = []
        wanted = isinstance(event, Incoming) and event.files and await may_want_files(self.db, self.kinds, self.clock, event)
        if isinstance(event, Incoming) and wanted:
            adapter = self.adapters.get(event.sender.platform)
            attachments = await store_files(adapter, self.photos, self.settings.storage, event)
            if inbox_id is not None and any(a.problem == "not_saved" for a in attachments):
                # The photo directory cannot be written: keep the update in the inbox and try it again
                # later; the person hears it once, not on every try.
                if event.update_key not in self._told_not_saved:
                    self._told_not_saved.add(event.update_key)
                    await self._say_apart([Reply(text=T.PHOTO_NOT_SAVED_RETRY)], event)
                return Outcome(unavailable=True)
        outcome = Outcome()
        later = Later()
        try:
            light = await self._light(event, inbox_id, outcome) if not attachments else None
            if light is None and isinstance(event, ButtonPress):
                light = await self._press_on_lane(event, inbox_id, outcome)
            if light is not None:
                queued = light
            else:
                async with self.db.unit_of_work() as session:
                    now = self.clock.now()
                    conn = await session.connection()
                    if not await conn.run_sync(bookkeeping.begin_update, inbox_id, event.update_key, now):
                        logger.info("update %s already processed; skipped", event.update_key)
                        return outcome
                    self._told_not_saved.discard(event.update_key)
                    actor, row = await self._identify(session, event, now)
                    _LATER.set(later)
                    replies = await self._dispatch(session, event, actor, attachments, row)
                    queued = await self._enqueue(session, self._toasted(replies, event, outcome), event, now)
        except Exception as exc:
            if is_unavailable(exc):
                logger.warning("database unavailable for update %s: %s", event.update_key, _one_line(exc))
                if inbox_id is not None:
                    return Outcome(unavailable=True)
                replies = [Reply(text=T.DB_UNAVAILABLE, toast=isinstance(event, ButtonPress))]
            else:
                logger.exception("handler failed for update %s", event.update_key)
                replies = [Reply(text=T.SORRY, toast=isinstance(event, ButtonPress))]
                if inbox_id is not None:
                    await self._mark_failed(inbox_id, exc)
            outcome = Outcome()
            await self._say_apart(self._toasted(replies, event, outcome), event)
            return outcome
        if queued and self.delivery is not None:
            self.delivery.queued(queued)
        outcome.queued = [q.id for q in queued]
        for name, work in later.jobs:
            self._run_later(name, work, event)
        return outcome

    async def _light(self, event: Event, inbox_id: int | None, outcome: Outcome) -> list[Queued] | None:
        """Handle a command that only shows something (`Route.light`) for a known person in a known chat
        on the bookkeeping lane alone: one read (`identity.glance`), the handler, then one transaction
        that marks the update done, claims its key and writes its replies (`bookkeeping.finish_update`).
        No ORM session is opened. None: the update needs the full unit of work (a first contact, a
        changed name, an open question, a reply that needs its targets looked up, …)."""
        if not isinstance(event, Incoming) or event.command is None or event.reply_to_message_id is not None:
            return None
        route = self.routes.commands.get(event.command)
        if route is None or not route.light:
            return None
        s, c = event.sender, event.chat
        seen = await self.db.peek(identity.glance, s.platform, s.user_id, c.chat_id)
        actor, place = seen.actor, seen.place
        if actor is None or place is None or seen.asking or not role_allows(actor.role, route.perm):
            return None
        if self._changes_identity(event, actor, place):
            return None
        now = self.clock.now()
        replies = self._toasted(await route.call(event, self._deps(None, actor, [])) or [], event, outcome)
        platforms = {p: a.capabilities for p, a in self.adapters.items()}
        planned = plan_direct(replies, platforms=platforms, now=now, origin=c, update_key=event.update_key)
        if planned is None:
            return None  # the handler only read: running it again in the unit of work changes nothing
        ids = await self.db.run(bookkeeping.finish_update, inbox_id, event.update_key, now, planned.values)
        if ids is None:
            logger.info("update %s already processed; skipped", event.update_key)
            return []
        return planned.queued(ids)

    async def _press_on_lane(self, press: ButtonPress, inbox_id: int | None, outcome: Outcome) -> list[Queued] | None:
        """Handle a press whose route runs on the bookkeeping lane (`Route.on_lane`: 收到 on a notice card)
        as one unit there, with no ORM session: who pressed, the update's key and inbox row, the route's
        reads and writes, the outbox rows. None: the full unit of work takes it (an unknown presser, a
        name to refresh, a role that does not allow it, or the route says so); nothing was written."""
        route = self.routes.buttons.get(press.data.split(":", 1)[0])
        if route is None or route.on_lane is None or route.button is None:
            return None
        button = route.button.unpack(press.data)
        if button is None:
            return None
        platforms = {p: a.capabilities for p, a in self.adapters.items()}
        try:
            queued = await self.db.run(self._press_unit, route, press, button, inbox_id, platforms, outcome)
        except _FullPath:
            return None
        if queued is None:
            logger.info("update %s already processed; skipped", press.update_key)
        return queued or []

    def _press_unit(
        self, lane: Lane, route: Route, press: ButtonPress, button: Any, inbox_id: int | None,
        platforms: dict[str, Capabilities], outcome: Outcome,
    ) -> list[Queued] | None:  # fmt: skip
        s, c = press.sender, press.chat
        seen = identity.glance(lane, s.platform, s.user_id, c.chat_id)
        actor, place = seen.actor, seen.place
        if actor is None or place is None or not role_allows(actor.role, route.perm):
            raise _FullPath
        if self._changes_identity(press, actor, place):
            raise _FullPath
        now = self.clock.now()
        if not bookkeeping.begin_update(lane, inbox_id, press.update_key, now):
            return None
        assert route.on_lane is not None
        replies = route.on_lane(lane, press, actor=actor, button=button, settings=self.settings, now=now)
        if replies is None:
            raise _FullPath  # rolls the unit back: the key and the inbox row are the full path's again
        toasted = self._toasted(replies, press, outcome)
        return enqueue_on(lane, toasted, platforms=platforms, now=now, origin=c, update_key=press.update_key)

    def _changes_identity(
        self, event: Incoming | ButtonPress, actor: identity.Actor, place: identity.Place
    ) -> bool:
        """Tell whether `_identify` would write anything for this message or press (see there, rule by rule)."""
        s, c = event.sender, event.chat
        name = clean_text(s.display_name, 100)[:100] or actor.external_id
        if name != actor.display_name or s.username != actor.username:
            return True
        if c.title and place.title != c.title:
            return True
        if place.is_group and c.key in self._park_chats and not place.is_park_group:
            return True
        if isinstance(event, Incoming):  # only a message proves a private chat, and clears "unreachable"
            if place.unreachable_at is not None:
                return True
            if not c.is_group and (actor.private_chat_id != c.chat_id or actor.unreachable_at is not None):
                return True
        if actor.private_chat_id is None and isinstance(self.adapters.get(s.platform), KnownPrivateChats):
            return True
        return actor.role != Role.ADMIN and s.key in self._admins

    def _run_later(self, name: str, work: LaterWork, event: Event) -> None:
        """Run handed-off work in a task of its own; write its replies through the outbox when it is done."""

        async def run() -> None:
            try:
                replies = await work(self.db)
            except Exception:
                logger.exception("%s for update %s failed", name, event.update_key)
                replies = [Reply(text=T.SORRY, chat=event.chat)]
            await self._say_apart(list(replies), event)

        task = asyncio.create_task(run(), name=f"later:{name}")
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def settle_later(self) -> None:
        """Wait for handed-off work (exports, charts) to finish (stopping, and tests)."""
        while self._later:
            await asyncio.gather(*list(self._later), return_exceptions=True)

    async def _enqueue(
        self, session: AsyncSession, replies: Sequence[Reply], event: Event | None, now: datetime
    ) -> list[Queued]:
        """Write replies as outbox rows per target in this transaction (see `bot.outbox.enqueue`)."""
        return await enqueue(
            session,
            replies,
            platforms={p: a.capabilities for p, a in self.adapters.items()},
            now=now,
            origin=event.chat if event is not None else None,
            update_key=event.update_key if event is not None else None,
        )

    @staticmethod
    def _toasted(replies: Sequence[Reply], event: Event, outcome: Outcome) -> list[Reply]:
        """Take a button press's toast into the outcome; a toast answering a message is said as a message."""
        out: list[Reply] = []
        for reply in replies:
            if reply.toast and isinstance(event, ButtonPress):
                outcome.toast = reply.text
            elif reply.toast:
                out.append(replace(reply, toast=False))
            else:
                out.append(reply)
        return out

    async def _say_apart(self, replies: Sequence[Reply], event: Event) -> None:
        """Say something outside the update's transaction (it failed, or must not commit): through the
        outbox in a transaction of its own, or directly when the database cannot be used."""
        if not replies:
            return
        try:
            async with self.db.unit_of_work() as session:
                queued = await self._enqueue(session, replies, event, self.clock.now())
        except Exception as exc:
            if not is_unavailable(exc):
                logger.exception("could not write a reply for update %s", event.update_key)
            if self.delivery is not None:
                for reply in replies:
                    await self.delivery.direct(reply.chat or event.chat, reply)
            return
        if queued and self.delivery is not None:
            self.delivery.queued(queued)

    async def _mark_failed(self, inbox_id: int, exc: BaseException) -> None:
        """Close an inbox row whose handler failed, so a bug is answered once, not retried forever."""
        try:
            async with self.db.unit_of_work() as session:
                await inbox.mark_done(session, inbox_id, self.clock.now(), error=_one_line(exc)[:500])
        except Exception as again:  # the row stays and is tried once more later
            logger.warning("could not close inbox row %s: %s", inbox_id, _one_line(again))

    async def enqueue(self, session: AsyncSession, replies: Sequence[Reply]) -> list[Queued]:
        """Write proactive replies (broadcasts, reminders, digests) as outbox rows in the caller's transaction.

        Replies must name where they go (`chat`, `to_groups`, `people` or a card `edit`); hand the result
        to `queued` after the commit so the sender takes them at once.
        """
        return await self._enqueue(session, replies, None, self.clock.now())

    def queued(self, items: Sequence[Queued]) -> None:
        """Hand rows written by a committed proactive transaction to the sender."""
        if items and self.delivery is not None:
            self.delivery.queued(items)

    async def _identify(
        self, session: AsyncSession, event: Event, now: datetime
    ) -> tuple[Person, Conversation | None]:
        """Return the sender as a person (created on first contact) and their open question in this chat."""
        s, c = event.sender, event.chat
        known = await identity.seen(session, platform=s.platform, user_id=s.user_id, chat_id=c.chat_id)
        name = clean_text(s.display_name, 100)
        if known.person is None:
            actor = await park_ops.upsert_person(
                session, platform=s.platform, external_id=s.user_id, display_name=name, username=s.username, at=now
            )
        else:
            actor = known.person
            park_ops.refresh_person(actor, name, s.username, now)
        chat = known.chat
        if chat is None:
            chat = await park_ops.upsert_chat(
                session, platform=c.platform, chat_id=c.chat_id, title=c.title, is_group=c.is_group, at=now
            )
        elif c.title and chat.title != c.title:
            chat.title = c.title
        if chat.is_group and c.key in self._park_chats and not chat.is_park_group:
            chat.is_park_group = True
        # Only a message the person wrote proves a private chat is theirs; a button press carries the
        # chat of the card, which a forged press could name.
        if isinstance(event, Incoming) and not c.is_group and actor.private_chat_id != c.chat_id:
            actor.private_chat_id = c.chat_id
        elif actor.private_chat_id is None:
            # Where the private chat follows from the person's own id (not from the chat an update
            # names), it is theirs from the first contact: questions can be asked there at once.
            adapter = self.adapters.get(s.platform)
            if isinstance(adapter, KnownPrivateChats) and adapter.capabilities.private_to_anyone:
                actor.private_chat_id = adapter.private_chat(s.user_id).chat_id
        if isinstance(event, Incoming):  # a message from a chat the bot was cut off from: it is back
            if chat.unreachable_at is not None:
                chat.unreachable_at = None
            if not c.is_group and actor.unreachable_at is not None:
                actor.unreachable_at = None
        if actor.role != Role.ADMIN and s.key in self._admins:
            await park_ops.set_role(session, actor, Role.ADMIN, None, actor=None, at=now)
        return actor, known.question

    def _deps(
        self,
        session: AsyncSession | None,
        actor: Person | identity.Actor,
        attachments: list[Attachment],
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "session": session,
            "actor": actor,
            "settings": self.settings,
            "clock": self.clock,
            "now": self.clock.now(),
            "photos": self.photos,
            "attachments": attachments,
            "commands": self.routes.commands,
            "reach": self.reach,
            "later": _LATER.get() or Later(),  # outside `handle` (a job's own dispatch): nothing is run later
            "card_key": None,
            "question": None,
            "button": None,
            **extra,
        }

    async def migrate_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """Move a chat's records to its new id (a Telegram group upgraded to a supergroup)."""
        async with self.db.unit_of_work() as session:
            await park_ops.migrate_chat(session, platform, old_chat_id, new_chat_id, self.clock.now())

    async def _refuse_button(self, session: AsyncSession, press: ButtonPress, actor: Person) -> list[Reply]:
        """Answer a press whose data no definition parses (forged or stale): log and audit it."""
        await self._audit_refused(session, press, actor)
        return [Reply(text=T.BUTTON_STALE, toast=True)]

    async def _audit_refused(self, session: AsyncSession, press: ButtonPress, actor: Person) -> None:
        """Log and audit a refused press: forged, stale, or by someone whose role does not allow it."""
        logger.warning("refused button %r from %s (role %s)", press.data[:64], press.sender.key, actor.role)
        await audit.audit(session, self.clock.now(), actor, "button.refused", "button", None, data=press.data[:64])

    async def _pending(self, session: AsyncSession, row: Conversation | None) -> questions.Pending | None:
        """Return the person's open question read from its row; expired and unknown ones are dropped."""
        if row is None:
            return None
        pending = questions.read(row, self.kinds, self.clock.now())
        if pending.question is None:
            await session.delete(row)
        return pending

    async def _dispatch(
        self,
        session: AsyncSession,
        event: Event,
        actor: Person,
        attachments: list[Attachment],
        row: Conversation | None,
    ) -> list[Reply]:
        if isinstance(event, ButtonPress):
            route = self.routes.buttons.get(event.data.split(":", 1)[0])
            button = route.button.unpack(event.data) if route is not None and route.button else None
            if route is None or button is None:
                return await self._refuse_button(session, event, actor)
            extra: dict[str, Any] = {"button": button}
            if "question" in route.wants:
                pending = await self._pending(session, row)
                extra["question"] = pending.question if pending else None
            return await self._run(route, session, event, actor, attachments, **extra) or []

        pending = await self._pending(session, row)
        notes: list[Reply] = []
        lapsed = self.kinds.get(pending.row.kind) if pending is not None and pending.expired else None
        if pending is not None and lapsed is not None and lapsed.tell_expiry and event.addressed:
            # Said once, the first time the person writes to the bot after the question lapsed (it is
            # dropped either way); never taken as the answer.
            what = T.QUESTION_NAMES.get(pending.row.kind, T.QUESTION_NAMES["default"])
            notes.append(Reply(text=T.QUESTION_EXPIRED.format(what=what)))
        question = pending.question if pending is not None else None
        return notes + await self._route_message(session, event, actor, attachments, question)

    async def _route_message(
        self,
        session: AsyncSession,
        event: Incoming,
        actor: Person,
        attachments: list[Attachment],
        question: questions.Question | None,
    ) -> list[Reply]:
        command = event.command
        card_key = await self._replied_card(session, event)
        if command is not None:
            route = self.routes.commands.get(command)
            if route is None:
                if "@" in event.text.split(maxsplit=1)[0] and event.chat.is_group:
                    return []  # addressed to another bot in the group
                close = difflib.get_close_matches(command.lower(), list(self.routes.commands), n=3, cutoff=0.6)
                if close:
                    shown = "、".join(f"/{c}" for c in close)
                    return [Reply(text=T.UNKNOWN_COMMAND_CLOSE.format(command=command[:32], close=shown))]
                return [Reply(text=T.UNKNOWN_COMMAND.format(command=command[:32]))]
            notes: list[Reply] = []
            if question is not None and not route.read_only:
                # Another command drops the open question (the handler still sees it); unless the
                # handler takes it over (/fix continues a fix, /cancel says so itself), say it was dropped.
                await questions.drop(session, event.chat, actor)
                if "question" not in route.wants and question.tell_expiry:
                    what = T.QUESTION_NAMES.get(question.kind, T.QUESTION_NAMES["default"])
                    notes.append(Reply(text=T.QUESTION_DROPPED.format(what=what)))
            kept = question if not route.read_only else None
            replies = await self._run(route, session, event, actor, attachments, question=kept, card_key=card_key)
            return (replies or []) + notes

        if question is not None:
            route = self.routes.questions[question.kind]
            if not role_allows(actor.role, route.perm):
                # The person lost the role the question needs: drop it quietly, route the message as usual.
                await questions.drop(session, event.chat, actor)
            else:
                # The step sees which card (if any) the message replies to, and declines (NOT_MINE) what
                # is not its answer; the question then stays open and routing goes on.
                replies = await self._run(
                    route, session, event, actor, attachments, question=question, card_key=card_key
                )
                if replies is not None:
                    return replies

        if card_key is not None:
            route = self.routes.card_replies.get(card_key.removeprefix(ABOUT).split(":", 1)[0])
            if route is not None:
                return await self._run(route, session, event, actor, attachments, card_key=card_key) or []
            return [Reply(text=T.CARD_REPLY_HINT)]

        for route in self.routes.leftovers.values():
            if role_allows(actor.role, route.perm):
                replies = await self._run(route, session, event, actor, attachments)
                if replies is not None:
                    return replies
        if event.chat.is_group:
            return []  # group chatter, even a reply to the bot, that no question or card takes
        return [Reply(text=T.PLAIN_TEXT_HINT)]

    async def _replied_card(self, session: AsyncSession, event: Incoming) -> str | None:
        """Return the key of our card the message replies to, if it replies to one."""
        if event.reply_to_message_id is None:
            return None
        return await cards.card_at(session, event.chat.platform, event.chat.chat_id, event.reply_to_message_id)

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
                await self._audit_refused(session, event, actor)
            return [
                Reply(
                    text=T.need_role(needed_roles(route.perm), actor.role),
                    toast=isinstance(event, ButtonPress),
                )
            ]
        if route.light:  # it reads the person as the bookkeeping lane does (see `_light`)
            await session.flush()
            s = event.sender
            conn = await session.connection()
            seen = await conn.run_sync(identity.glance, s.platform, s.user_id, event.chat.chat_id)
            assert seen.actor is not None
            return await route.call(event, self._deps(session, seen.actor, attachments, **extra))
        return await route.call(event, self._deps(session, actor, attachments, **extra))


def _one_line(exc: BaseException) -> str:
    """Return an exception as one short line for the log."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"
