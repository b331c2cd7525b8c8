"""The roll call (应急点名): `/alert <说明>` (a manager, in a drill or a real alert) asks every member of the
emergency command linked to a chat account privately to answer 到; a card in the park groups (and the
caller's private chat) counts who answered within how many minutes, edited in place; `/alert end` closes it.
A member answers with the 到 button (on the ask, a reminder or the card) or `/here`; a press by anyone the
call did not ask is refused. The silent ones are reminded by `schedules/emergency.py`.

A note that starts with 演练 makes it a drill's roll call: the card and the end say the attendance to record
with `/drill` (`handlers/reports/drills.py`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import ButtonPress, Incoming, Reply, clean_text
from bot.routing import HandlerResult, Router
from domain.emergency import operations as emergency_ops
from domain.emergency import queries as emergency_queries
from domain.emergency.rules import NOTE_LIMIT, Tell, answered, may_call_roll, minutes_taken
from domain.outcome import Refused
from domain.park.queries import park_group_keys
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import private_chat
from handlers.emergency.card import HereButton, ask, call_card, call_edit, card_key_of, refusal_text
from handlers.util import Reach, fmt_time, recipient, recipients, refuse
from storage.models import Person, RollCall

router = Router("emergency.alert")


@router.command("alert", perm=Perm.ALERT_CALL, help_text=T.EMERGENCY_HELP["alert"])
async def alert(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, reach: Reach
) -> HandlerResult:
    """Start a roll call (`/alert <说明>`) or end the open one (`/alert end`)."""
    note = clean_text(msg.args, NOTE_LIMIT)
    if not note:
        return Reply(text=T.ALERT_USAGE)
    if note.lower() in T.ALERT_END_WORDS:
        return await _end(session, actor, settings, now)
    try:
        change = await emergency_ops.start_call(session, actor, note, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, settings))
    call = change.subject
    rows = await emergency_queries.answers(session, call.id)
    asked = [p for p in change.tell.get(Tell.ASKED, []) if reach(p)]
    missing = [r.member for r in rows if r.person is None or not reach(r.person)]
    card = await call_card(session, call, settings)
    replies: list[Reply] = []
    if asked:
        replies.append(ask(call, recipients(asked, reach)))
    groups = await park_group_keys(session)
    if groups:
        replies.append(Reply(card=card, to_groups=True))
    if not (msg.chat.is_group and msg.chat.key in groups):
        replies.append(Reply(card=card))  # the caller keeps a copy where they wrote, edited as answers come
    said = T.ALERT_STARTED.format(asked=len(asked), missing="")
    if missing:
        private = private_chat(actor, reach)
        if msg.chat.is_group and private is None:  # a group never sees phone numbers
            said += "\n" + T.ALERT_MISSING_NAMES.format(names="、".join(m.name for m in missing))
        else:
            lines = "\n".join(
                T.ALERT_MISSING_LINE.format(name=m.name, role=m.command_role, phones="、".join(m.phones)) for m in missing
            )
            detail = T.ALERT_MISSING.format(lines=lines)
            if msg.chat.is_group:
                replies.append(Reply(text=detail, people=(recipient(actor),), about=card_key_of(call)))
                said += "\n" + T.ALERT_MISSING_SENT.format(count=len(missing))
            else:
                said += "\n" + detail
    replies.append(Reply(text=said, about=card_key_of(call)))
    return replies


async def _end(session: AsyncSession, actor: Person, settings: Settings, now: datetime) -> list[Reply]:
    """End the open roll call; the card says so in place."""
    if not may_call_roll(actor):
        return [Reply(text=T.ALERT_ONLY_MANAGERS)]
    try:
        change = await emergency_ops.end_call(session, actor, now)
    except Refused as exc:
        return [Reply(text=refusal_text(exc, settings))]
    call = change.subject
    rows = await emergency_queries.answers(session, call.id)
    count = sum(1 for r in rows if answered(r))
    drill = T.ALERT_END_DRILL.format(answered=count) if call.drill else ""
    done = T.ALERT_END_DONE.format(answered=count, total=len(rows), drill=drill)
    return [await call_edit(session, call, settings), Reply(text=done, about=card_key_of(call))]


@router.button(HereButton, perm=Perm.PUBLIC)
async def here_button(
    press: ButtonPress, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, button: HereButton
) -> HandlerResult:
    """Answer 到 for the presser's own line; a press by someone the call did not ask changes nothing."""
    call = await emergency_queries.get_call(session, button.call_id)
    if call is None or await emergency_queries.answer_of(session, call.id, actor.id) is None:
        return await refuse(session, actor, press, now, T.ALERT_NOT_ASKED)
    return await _answer(session, call, actor, settings, now, toast=True)


@router.command("here", perm=Perm.PUBLIC, help_text=T.EMERGENCY_HELP["here"])
async def here_command(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime
) -> HandlerResult:
    """Answer 到 to the open roll call by command (platforms without buttons)."""
    call = await emergency_queries.open_call(session)
    if call is None:
        return Reply(text=T.ALERT_NO_CALL)
    return await _answer(session, call, actor, settings, now, toast=False)


async def _answer(
    session: AsyncSession, call: RollCall, actor: Person, settings: Settings, now: datetime, *, toast: bool
) -> list[Reply]:
    """Record 到 and edit the card; a second answer is told when the first came, nothing else changes."""
    try:
        change = await emergency_ops.answer(session, call.id, actor, now)
    except Refused as exc:
        return [Reply(text=refusal_text(exc, settings), toast=toast)]
    row = change.subject
    if not change.changed:
        when = fmt_time(row.answered_at, settings.park.tz) if row.answered_at else ""
        return [Reply(text=T.ALERT_HERE_AGAIN.format(when=when), toast=toast)]
    minutes = minutes_taken(call.started_at, now)
    return [await call_edit(session, call, settings), Reply(text=T.ALERT_HERE_DONE.format(minutes=minutes), toast=toast)]




