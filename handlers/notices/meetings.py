"""A meeting after it was issued: /meeting_cancel and /meeting_move (whoever confirmed is told privately)
and /attendance (who came, by names or by ticking enterprises on a private picker).

The card is `card.py`; the operations and their rules are `domain/notices/operations.py` and `rules.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Button, ButtonPress, Card, Incoming, Reply, clean_text
from bot.routing import HandlerResult, Router
from domain.notices import operations as notice_ops
from domain.notices import queries as notice_queries
from domain.notices import rules as notice_rules
from domain.outcome import Refused
from domain.park import queries as park_queries
from domain.park import rules as park_rules
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import privately
from handlers.notices.card import (
    CODE_WORD,
    REASON_LIMIT,
    card_edit,
    fmt_when,
    notice_named,
    parse_when,
    refusal_text,
    tell_change,
)
from handlers.util import Reach, refuse
from storage.enums import NoticeKind
from storage.models import Notice, NoticeReceipt, Person

router = Router("notices.meetings")


@dataclass(frozen=True)
class AttendButton(CallbackData, prefix="ntatt"):
    """One enterprise attended (`y`) or not (`n`); enterprise 0 with `y`: all who confirmed."""

    notice_id: int
    enterprise_id: int
    value: Literal["y", "n"]


@router.command("meeting_cancel", perm=Perm.NOTICE_SEND, help_text=T.HELP["meeting_cancel"])
async def meeting_cancel(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Cancel a meeting: `/meeting_cancel HY-… [原因]`; the card says so, whoever confirmed is told."""
    found, reason, problem = await notice_named(session, msg.args, card_key, T.MEETING_CANCEL_USAGE, bare_is_usage=True)
    if found is None:
        return problem
    reason = clean_text(reason, REASON_LIMIT)
    try:
        change = await notice_ops.cancel(session, found, actor, reason, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    if not change.changed:
        return Reply(text=T.MEETING_ALREADY_CANCELLED.format(code=found.code))
    when = fmt_when(found.starts_at or found.created_at, settings)
    why = T.REASON_LINE.format(reason=reason) if reason else ""
    told = T.MEETING_CANCEL_NOTICE.format(code=found.code, title=found.title, when=when, reason=why)
    replies, count = await tell_change(session, found, change, told, settings, now, reach)
    return [*replies, Reply(text=T.MEETING_CANCELLED.format(code=found.code, title=found.title, count=count))]


@router.command("meeting_move", perm=Perm.NOTICE_SEND, help_text=T.HELP["meeting_move"])
async def meeting_move(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Move a meeting: `/meeting_move HY-… 12月6日 14:30 [新地点]`; whoever confirmed is told."""
    words = msg.args.split(maxsplit=1)
    if not words or (not CODE_WORD.match(words[0]) and card_key is None):
        return Reply(text=T.MEETING_MOVE_USAGE)
    found, rest, problem = await notice_named(session, msg.args, card_key, T.MEETING_MOVE_USAGE)
    if found is None:
        return problem
    parsed = parse_when(clean_text(rest, 200), settings, now, T.MEETING_MOVE_USAGE)
    if isinstance(parsed, str):
        return Reply(text=parsed)
    when, place = parsed
    try:
        change = await notice_ops.move(session, found, actor, when, place.split()[0] if place else None, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    if not change.changed:
        return Reply(text=T.MEETING_MOVE_SAME.format(code=found.code))
    shown, place = fmt_when(when, settings), found.place or ""
    told = T.MEETING_MOVE_NOTICE.format(code=found.code, title=found.title, when=shown, place=place)
    replies, count = await tell_change(session, found, change, told, settings, now, reach)
    done = T.MEETING_MOVED.format(code=found.code, title=found.title, when=shown, place=place, count=count)
    return [*replies, Reply(text=done)]




async def attendance_card(session: AsyncSession, notice: Notice) -> Card:
    """Return the attendance picker of a meeting: a card with one button per enterprise, edited as they are ticked."""
    rows = await notice_queries.receipts(session, notice.id)
    tally = notice_rules.tally(rows)
    buttons = [
        Button(
            (T.BTN_ATTENDED if r.attended else T.BTN_ABSENT).format(name=_short_name(r)),
            AttendButton(notice.id, r.enterprise_id, "n" if r.attended else "y").pack(),
        )
        for r in rows[:90]
    ]
    grid = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    everyone = Button(T.BTN_ATTEND_ALL, AttendButton(notice.id, 0, "y").pack(), f"/attendance {notice.code} 全部")
    grid.insert(0, (everyone,))
    text = T.ATTENDANCE_PICK.format(code=notice.code, title=notice.title, attended=tally.attended, total=tally.total)
    return Card(key=f"attendance:{notice.id}", kind="attendance", title=text, actions=tuple(grid))


def _short_name(receipt: NoticeReceipt) -> str:
    """Return an enterprise's first alias, or its name, for a button."""
    enterprise = receipt.enterprise
    return enterprise.aliases[0] if enterprise.aliases else enterprise.name


async def _attendance_done(session: AsyncSession, notice: Notice) -> str:
    """Say how many enterprises attended of how many."""
    tally = notice_rules.tally(await notice_queries.receipts(session, notice.id))
    return T.ATTENDANCE_DONE.format(code=notice.code, attended=tally.attended, total=tally.total)


@router.command("attendance", perm=Perm.NOTICE_SEND, help_text=T.HELP["attendance"])
async def attendance(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Record who attended: `/attendance HY-… 全部` (all who confirmed), `/attendance HY-… 华油 宏达`, or buttons."""
    found, rest, problem = await notice_named(session, msg.args, card_key, T.ATTENDANCE_USAGE, bare_is_usage=True)
    if found is None:
        return problem
    if found.kind != NoticeKind.MEETING:
        return Reply(text=T.NOT_A_MEETING.format(code=found.code))
    if found.starts_at is not None and found.starts_at > now:
        when = fmt_when(found.starts_at, settings)
        return Reply(text=T.ATTENDANCE_NOT_STARTED.format(code=found.code, when=when))
    words = rest.split()
    if not words:
        return privately(actor, msg.chat, reach, Reply(card=await attendance_card(session, found)))
    ids: set[int] | None = None
    if words != ["全部"]:
        ids, unknown = set(), []
        for word in words:
            matches = await park_queries.match_enterprises(session, word)
            exact = [e for e in matches if park_rules.is_exact(e, word)]
            if len(exact) == 1:
                ids.add(exact[0].id)
            else:
                unknown.append(word)
        if unknown:
            return Reply(text=T.ATTENDANCE_UNKNOWN.format(names="、".join(unknown)))
    try:
        await notice_ops.record_attendance(session, found, actor, ids, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    return [await card_edit(session, found, settings, now), Reply(text=await _attendance_done(session, found))]


@router.button(AttendButton, perm=Perm.NOTICE_SEND)
async def attend_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: AttendButton,
) -> HandlerResult:
    """Tick one enterprise as attended or not (a value, never a toggle), or all who confirmed."""
    found = await notice_queries.get(session, button.notice_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    try:
        if button.enterprise_id == 0:
            await notice_ops.record_attendance(session, found, actor, None, now)
        else:
            await notice_ops.set_attended(session, found, actor, button.enterprise_id, button.value == "y", now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor), toast=True)
    picked = Reply(card=await attendance_card(session, found), edit=True)
    done = Reply(text=await _attendance_done(session, found), toast=True)
    return [await card_edit(session, found, settings, now), picked, done]
