"""Answers (回执): 收到 and 请假 by button, by command (/confirm, /leave) or by replying to the card, and the
请假 reason asked for when it is missing.

Anyone may press; only leads and members bound to an enterprise count (`domain/notices/rules.py`), the
others get a short hint, privately from a group. The card and its buttons are `card.py`; the operation
is `domain/notices/operations.answer`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Button, ButtonPress, ChatRef, Incoming, Reply, clean_text
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.notices import operations as notice_ops
from domain.notices import queries as notice_queries
from domain.notices.rules import Refusal, may_answer_for_enterprise, may_send_notices
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import private_chat
from handlers.notices.card import (
    BODY_LIMIT,
    CARD_KIND,
    CODE_WORD,
    ReceiptButton,
    card_key_of,
    card_of,
    notice_id_of,
    notice_named,
    refusal_text,
    split_substitute,
)
from handlers.notices.corrections import add_files
from handlers.util import Reach, is_answer, own_enterprise, recipient, refuse
from storage.enums import NoticeKind, ReceiptStatus
from storage.identity import Actor
from storage.lane import Lane, lane_of
from storage.models import Notice, Person

router = Router("notices.answers")

CONFIRM_OPENINGS = ("收到", "已收到", "好的收到", "好收到", "明白收到", "已阅收到")
# Words that turn a 收到 into something else: the person will not come, or asks for leave.
NOT_CONFIRMING = ("不能", "无法", "不参加", "参加不了", "去不了", "来不了", "请假", "缺席", "不去", "不来")


def reads_as_confirmation(text: str) -> bool:
    """Tell whether a reply under a card means 收到, as people write it: 收到了，准时参加 / 好的，收到！
    but not 收到，但无法参加 (that needs a 请假 with its reason)."""
    plain = "".join(ch for ch in text if ch.isalnum())
    return plain.startswith(CONFIRM_OPENINGS) and not any(word in plain for word in NOT_CONFIRMING)


@dataclass(frozen=True)
class LeaveReason(Question, kind="notice_leave", ttl=timedelta(hours=24)):
    """The reason (and stand-in) of a 请假 the person pressed."""

    notice_id: int


def receipt_press_on(
    lane: Lane, press: ButtonPress, *, actor: Actor, button: ReceiptButton, settings: Settings, now: datetime
) -> list[Reply] | None:
    """收到 pressed, whole on the bookkeeping lane (the dispatcher runs it with the update's bookkeeping
    in one transaction, no ORM session): the same `answered_on` as below. None: the press needs
    `receipt_button` (a 请假 asks a question; a notice that is gone is refused and audited there)."""
    if button.answer != "ok":
        return None
    return answered_on(lane, actor, button.notice_id, ReceiptStatus.CONFIRMED, settings, now, toast=True)


@router.button(ReceiptButton, perm=Perm.PUBLIC, on_lane=receipt_press_on)
async def receipt_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: ReceiptButton,
    reach: Reach,
) -> HandlerResult:
    """Count 收到 for the presser's enterprise, or ask the 请假 reason. Anyone may press; only leads and
    members count, the others get a short private hint and the count stays as it is."""
    found = await notice_queries.get(session, button.notice_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if button.answer == "ok":
        return await _answer(session, actor, found.id, ReceiptStatus.CONFIRMED, settings, now, toast=True)
    try:
        await notice_ops.check_answer(session, found, actor, ReceiptStatus.LEAVE, now)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor), toast=True)
    return await _ask_leave(session, actor, found, press.chat, now, reach)


async def _ask_leave(
    session: AsyncSession, actor: Person, notice: Notice, chat: ChatRef, now: datetime, reach: Reach
) -> list[Reply]:
    """Ask for the 请假 reason: privately when the bot can write to the person, else as a reply here."""
    asked = T.LEAVE_ASK.format(code=notice.code, title=notice.title)
    private = private_chat(actor, reach)
    if private is not None:
        await ask(session, private, actor, LeaveReason(notice.id), now)
        if chat.is_group:
            return [
                Reply(text=asked, people=(recipient(actor),), about=card_key_of(notice)),
                Reply(text=T.LEAVE_ASK_TOAST, toast=True),
            ]
        return [Reply(text=asked, about=card_key_of(notice)), Reply(text=T.LEAVE_ASK_TOAST_HERE, toast=True)]
    await ask(session, chat, actor, LeaveReason(notice.id), now)
    here = T.LEAVE_ASK_GROUP.format(name=actor.display_name, code=notice.code) if chat.is_group else asked
    return [Reply(text=here, about=card_key_of(notice)), Reply(text=T.LEAVE_ASK_TOAST_HERE, toast=True)]


async def _answer(
    session: AsyncSession,
    actor: Person,
    notice_id: int,
    status: ReceiptStatus,
    settings: Settings,
    now: datetime,
    *,
    toast: bool,
    reason: str | None = None,
    substitute: str | None = None,
) -> list[Reply]:
    """Record a receipt on the session's connection (`answered_on`, in one hop, after what the session
    holds is flushed); the card is edited when the count changed, the person hears what was recorded."""
    await session.flush()
    conn = await session.connection()
    replies = await conn.run_sync(
        answered_on, actor, notice_id, status, settings, now, toast=toast, reason=reason, substitute=substitute
    )
    return replies if replies is not None else [Reply(text=T.BUTTON_STALE, toast=toast)]


def answered_on(
    conn: Lane | Connection,
    actor: Person | Actor,
    notice_id: int,
    status: ReceiptStatus,
    settings: Settings,
    now: datetime,
    *,
    toast: bool,
    reason: str | None = None,
    substitute: str | None = None,
) -> list[Reply] | None:
    """Record a receipt (`domain.notices.operations.answer_on`) and say it: the card edited when the count
    changed, the person told what was recorded. A unit of the bookkeeping lane: a 收到 press runs it with
    the rest of its update in one hop (`receipt_press_on`). None: there is no such notice."""
    lane = lane_of(conn)
    try:
        done = notice_ops.answer_on(lane, notice_id, actor, status, now, reason=reason, substitute=substitute)
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor), toast=toast)]
    if done is None:
        return None
    notice, change = done.notice, done.change
    enterprise = own_enterprise(actor)
    if not change.changed:
        answer = T.RECEIPT_ANSWERS[change.subject.status]
        return [
            Reply(
                text=T.RECEIPT_SAME.format(enterprise=enterprise, code=notice.code, answer=answer),
                toast=toast,
            )
        ]
    if status == ReceiptStatus.LEAVE:
        extra = T.LEAVE_SUBSTITUTE.format(name=substitute) if substitute else ""
        said = T.LEAVE_DONE.format(enterprise=enterprise, code=notice.code, reason=reason, substitute=extra)
    else:
        said = T.RECEIPT_DONE.format(
            enterprise=enterprise, code=notice.code, answer=T.RECEIPT_ANSWERS[status]
        )
    facts = notice_queries.card_facts_on(lane, notice.id, notice.campaign_id)
    return [
        Reply(card=card_of(notice, done.author, facts, settings, now), edit=True),
        Reply(text=said, toast=toast, about=card_key_of(notice)),
    ]


async def _leave(
    session: AsyncSession,
    actor: Person,
    found: Notice,
    rest: str,
    chat: ChatRef,
    settings: Settings,
    now: datetime,
) -> list[Reply]:
    """Record a 请假 with its reason (and stand-in); without a reason ask for it, as a reply here."""
    reason, substitute = split_substitute(rest)
    if not reason:
        try:
            await notice_ops.check_answer(session, found, actor, ReceiptStatus.LEAVE, now)
        except Refused as exc:
            return [Reply(text=refusal_text(exc, actor))]
        await ask(session, chat, actor, LeaveReason(found.id), now)
        return [Reply(text=T.LEAVE_ASK.format(code=found.code, title=found.title), about=card_key_of(found))]
    return await _answer(
        session,
        actor,
        found.id,
        ReceiptStatus.LEAVE,
        settings,
        now,
        toast=False,
        reason=reason,
        substitute=substitute,
    )


@router.question(LeaveReason, perm=Perm.NOTICE_ANSWER)
async def leave_reason(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    question: LeaveReason,
    card_key: str | None,
) -> HandlerResult:
    """Take the 请假 reason the bot asked for (a reply to the question, or any private message)."""
    if notice_id_of(card_key) != question.notice_id and not is_answer(msg, card_key):
        return NOT_MINE
    reason, substitute = split_substitute(msg.text)
    if not reason:
        return Reply(text=T.LEAVE_NEED_REASON)
    await drop(session, msg.chat, actor)
    return await _answer(  # a notice gone since is said to be (`_answer`)
        session,
        actor,
        question.notice_id,
        ReceiptStatus.LEAVE,
        settings,
        now,
        toast=False,
        reason=reason,
        substitute=substitute,
    )


@router.command("confirm", perm=Perm.NOTICE_ANSWER, help_text=T.HELP["confirm"])
async def confirm(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Answer 收到 by command: `/confirm HY-…`, as a reply to the card, or with words of the notice's title
    (`/confirm 冬季消防`): the one notice they match; none or several → the candidates as 收到 buttons."""
    words = clean_text(msg.args, 60)
    if words and card_key is None and not CODE_WORD.match(words.split()[0]):
        matches = list(await notice_queries.open_matching(session, words))
        if len(matches) != 1:
            if matches:
                return _which_notice(T.CONFIRM_WHICH_MANY, words, matches)
            return _which_notice(T.CONFIRM_WHICH_NONE, words, list(await notice_queries.open_matching(session, "")))
        found: Notice | None = matches[0]
    else:
        found, _, problem = await notice_named(session, msg.args, card_key, T.CONFIRM_USAGE)
        if found is None:
            return problem
    assert found is not None
    replies = await _answer(session, actor, found.id, ReceiptStatus.CONFIRMED, settings, now, toast=False)
    return _quietly(replies, actor, msg.chat, reach)


def _which_notice(head: str, words: str, candidates: list[Notice]) -> Reply:
    """Ask which notice `/confirm <words>` means: up to five open ones, each with its 收到 button."""
    if not candidates:
        return Reply(text=T.NOTICE_NONE_OPEN)
    buttons = tuple(
        (
            Button(
                T.CONFIRM_WHICH_BUTTON.format(code=n.code, title=n.title[:16]),
                ReceiptButton(n.id, "ok").pack(),
                f"/confirm {n.code}",
            ),
        )
        for n in candidates[:5]
    )
    return Reply(text=head.format(text=words[:20]), buttons=buttons)


@router.command("leave", perm=Perm.NOTICE_ANSWER, help_text=T.HELP["leave"])
async def leave(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
) -> HandlerResult:
    """Answer 请假 by command: `/leave HY-… 原因 [代参会：姓名]`; without a reason the bot asks for it."""
    found, rest, problem = await notice_named(session, msg.args, card_key, T.LEAVE_USAGE)
    if found is None:
        return problem
    return await _leave(session, actor, found, rest, msg.chat, settings, now)


@router.card_reply(CARD_KIND, perm=Perm.PUBLIC)
async def reply_to_card(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str,
    reach: Reach,
    attachments: list[Attachment],
) -> HandlerResult:
    """Take a reply 收到 under the card as 收到 (people write it anyway), `请假 原因` as /leave; give anything
    else, or a reply from someone whose answer counts for no enterprise, a short hint (privately from a
    group). Files a manager sends as a reply to the card (or to its confirmation) are added to it."""
    notice_id = notice_id_of(card_key)
    found = await notice_queries.get(session, notice_id) if notice_id is not None else None
    if found is None:
        return _hint(actor, msg.chat, reach, T.CARD_REPLY_HINT)
    if msg.files and may_send_notices(actor):  # 补充附件, until it is cancelled
        return await add_files(session, found, actor, attachments, settings, now)
    text = clean_text(msg.text, BODY_LIMIT)
    confirm_ = reads_as_confirmation(text)
    leave_ = text.startswith(T.BTN_RECEIPT_LEAVE)
    if not confirm_ and not leave_:
        hint = T.MEETING_REPLY_HINT if found.kind == NoticeKind.MEETING else T.NOTICE_REPLY_HINT
        return _hint(actor, msg.chat, reach, hint.format(code=found.code))
    if not may_answer_for_enterprise(actor):
        return _hint(actor, msg.chat, reach, refusal_text(Refused(Refusal.NO_ENTERPRISE, found), actor))
    if confirm_:
        replies = await _answer(session, actor, found.id, ReceiptStatus.CONFIRMED, settings, now, toast=False)
        return _quietly(replies, actor, msg.chat, reach)
    rest = text.removeprefix(T.BTN_RECEIPT_LEAVE).lstrip(" ：:，,")
    return await _leave(session, actor, found, rest, msg.chat, settings, now)


def _quietly(replies: list[Reply], actor: Person, chat: ChatRef, reach: Reach) -> list[Reply]:
    """Keep a busy group quiet: a typed 收到 is answered privately when the bot can write to the person
    (the card's count says it to the group); otherwise the one short line stays where it was typed."""
    if not chat.is_group or private_chat(actor, reach) is None:
        return replies
    to = (recipient(actor),)
    return [r if r.card is not None or r.edit else replace(r, people=to) for r in replies]


def _hint(actor: Person, chat: ChatRef, reach: Reach, text: str) -> list[Reply]:
    """Answer one person: here in a private chat; from a group privately, or as a reply here if the
    bot cannot write to them (as the 请假 question falls back)."""
    if chat.is_group and private_chat(actor, reach) is not None:
        return [Reply(text=text, people=(recipient(actor),))]
    return [Reply(text=text)]
