"""Receipts for managers: /receipts (who has not answered, who asked for leave: privately, never in a
group) and /remind or its button (remind those enterprises now).

The reminders themselves are built by `reminders.py` (also sent on schedule by `schedules/notices.py`);
the card is `card.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Button, ButtonPress, Incoming, Reply
from bot.routing import HandlerResult, Router
from domain.notices import queries as notice_queries
from domain.notices import rules as notice_rules
from domain.notices.rules import started
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import privately
from handlers.notices.card import card_key_of, notice_named
from handlers.notices.reminders import nobody_to_remind, notice_reminders
from handlers.util import Reach, refuse
from storage.enums import NoticeKind, NoticeStatus, ReceiptStatus
from storage.models import Notice, Person

router = Router("notices.receipts")


@dataclass(frozen=True)
class RemindButton(CallbackData, prefix="ntrem"):
    """立即提醒未回执企业, under the manager's private /receipts list."""

    notice_id: int


async def receipts_text(session: AsyncSession, notice: Notice) -> str:
    """Return a notice's receipt list for a manager: counts, who has not answered, who asked for leave."""
    if notice.backfilled_at is not None:  # 补录: nobody was asked to answer it
        return T.BACKFILL_NO_RECEIPTS.format(code=notice.code, title=notice.title)
    rows = await notice_queries.receipts(session, notice.id)
    tally = notice_rules.tally(rows)
    counted = T.RECEIPTS_COUNT.format(answered=tally.answered, total=tally.total)
    if notice.kind == NoticeKind.MEETING:
        counted += "，" + T.NF_LEAVE + " " + T.LEAVE_COUNT.format(leave=tally.leave)
    lines = [T.RECEIPTS_TITLE.format(code=notice.code, title=notice.title, receipts=counted)]
    pending = [r for r in rows if r.status == ReceiptStatus.PENDING]
    if pending:
        lines.append(T.RECEIPTS_PENDING.format(count=len(pending)))
        nobody = set(await nobody_to_remind(session, [r.enterprise_id for r in pending]))
        lines += [
            f"{i}. {r.enterprise.name}" + (T.RECEIPTS_NOBODY if r.enterprise_id in nobody else "")
            for i, r in enumerate(pending, 1)
        ]
    else:
        lines.append(T.RECEIPTS_ALL_DONE)
    for r in rows:
        if r.status == ReceiptStatus.LEAVE:
            extra = T.LEAVE_SUBSTITUTE.format(name=r.substitute) if r.substitute else ""
            lines.append(
                T.RECEIPTS_LEAVE_LINE.format(enterprise=r.enterprise.name, reason=r.reason or "", substitute=extra)
            )
    return "\n".join(lines)


@router.command("receipts", perm=Perm.NOTICE_SEND, help_text=T.HELP["receipts"], read_only=True)
async def receipts(
    msg: Incoming, *, session: AsyncSession, actor: Person, card_key: str | None, reach: Reach, now: datetime
) -> HandlerResult:
    """List the enterprises that have not answered (privately, never in a group), with a button to remind them now."""
    found, _, problem = await notice_named(session, msg.args, card_key, T.RECEIPTS_USAGE, code_only=True)
    if found is None:
        return problem
    if found.status == NoticeStatus.WITHDRAWN:
        return Reply(text=T.RECEIPT_WITHDRAWN.format(code=found.code))
    text = await receipts_text(session, found)
    # Only those still collecting: a meeting that has begun says 回执已截止 on its card, and so does this list.
    others = [n.code for n in await notice_queries.open_notices(session) if n.id != found.id and not started(n, now)]
    if others:
        text += "\n" + T.RECEIPTS_OTHERS.format(codes="、".join(others[-5:]))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if found.status == NoticeStatus.OPEN and await notice_queries.unanswered(session, found.id):
        buttons = ((Button(T.BTN_REMIND_NOW, RemindButton(found.id).pack(), f"/remind {found.code}"),),)
    return privately(actor, msg.chat, reach, Reply(text=text, buttons=buttons, about=card_key_of(found)))


@router.button(RemindButton, perm=Perm.NOTICE_SEND)
async def remind_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: RemindButton,
    reach: Reach,
) -> HandlerResult:
    """Remind the enterprises that have not answered, now (still privately, capped, outside quiet hours)."""
    found = await notice_queries.get(session, button.notice_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    return await remind_now(session, found, settings, now, reach, toast=True)


@router.command("remind", perm=Perm.NOTICE_SEND, help_text=T.HELP["remind"])
async def remind(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Remind now, as a command: `/remind HY-…`."""
    found, _, problem = await notice_named(session, msg.args, card_key, T.REMIND_USAGE, code_only=True)
    if found is None:
        return problem
    return await remind_now(session, found, settings, now, reach, toast=False)


async def remind_now(
    session: AsyncSession, notice: Notice, settings: Settings, now: datetime, reach: Reach, *, toast: bool
) -> list[Reply]:
    """Remind the enterprises that have not answered now; say how many, or why none (quiet hours, the cap)."""
    park = settings.park
    if notice.status != NoticeStatus.OPEN:  # withdrawn or cancelled: nobody owes an answer any more
        closed = T.RECEIPT_WITHDRAWN if notice.status == NoticeStatus.WITHDRAWN else T.RECEIPT_CANCELLED
        said = closed.format(code=notice.code)
        return [Reply(text=said), Reply(text=said, toast=True)] if toast else [Reply(text=said)]
    if park.is_quiet(now):
        until = park.quiet_until(now).astimezone(park.tz).strftime("%H:%M")
        said = T.REMIND_QUIET.format(hours=park.quiet_hours, until=until)
        return [Reply(text=said), Reply(text=said, toast=True)] if toast else [Reply(text=said)]
    replies, count = await notice_reminders(session, notice, settings, now, reach, force=True)
    owed = [r.enterprise_id for r in await notice_queries.unanswered(session, notice.id)]
    nobody = len(await nobody_to_remind(session, owed))
    if count:
        said = T.REMIND_DONE.format(count=count)
    elif nobody and nobody == len(owed):
        said = T.REMIND_NONE.format(why=T.REMIND_WHY_NOBODY.format(count=nobody))
    else:
        why = T.REMIND_WHY_TODAY if owed else T.REMIND_WHY_ALL
        said = T.REMIND_NONE.format(why=why)
    if nobody and count:
        said += T.REMIND_NOBODY.format(count=nobody)
    return [*replies, Reply(text=said, toast=toast)]
