"""Corrections to a hazard after it was reported: deadline extensions (/extend, decided by the managers
with 同意 / 不同意 or /extend_ok, /extend_no), withdrawing a mistaken or duplicate report (/withdraw)
rewriting its description (/edit) and its location (/location, and the answer to the question an
inspector's find without one gets, with 跳过). The rules are the domain operations in `domain/hazards/operations.py`;
this module parses, calls and renders.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Button, ButtonPress, Incoming, Reply, clean_text
from bot.questions import Question, close_about_hazard, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.hazards import operations as hazard_ops
from domain.hazards import queries as hazard_queries
from domain.hazards.rules import Action, Refusal, Tell
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from handlers.dates import DueDateError, parse_due
from handlers.hazards.card import (
    CODE_RE,
    DESCRIPTION_LIMIT,
    ExtendDecideButton,
    HazardLocationAsk,
    LocationSkipButton,
    act_on_commanded,
    card_reply,
    commanded_hazard,
    due_problem,
    not_found,
    refusal_text,
)
from handlers.hazards.card import card_key as key_of
from handlers.hazards.text import LOCATION_LIMIT
from handlers.util import Reach, fmt_date, is_answer, photo_rows, recipients, refuse, short
from storage.models import Hazard, Person

TEXT_LIMIT = 2000  # what a correction command reads; each kind then checks its own limit

router = Router("corrections")

REASON_LIMIT = 500


def _refusal(exc: Refused, actor: Person, denied: str | None = None) -> str:
    """Say why a correction was refused; `denied` is the answer to a permission refusal on a hazard."""
    hazard = exc.subject
    code = hazard.code if hazard is not None else ""
    match exc.reason:
        case Refusal.NO_DEADLINE if hazard is not None:
            return T.EXTEND_NO_DEADLINE.format(
                code=code, mode=T.MODE_NAMES.get(hazard.mode, T.MODE_NAMES[None])
            )
        case Refusal.NO_REQUEST:
            return T.EXTEND_NO_REQUEST.format(code=code)
        case Refusal.SAME_HAZARD:
            return T.WITHDRAW_SAME.format(code=code)
        case Refusal.BAD_ORIGINAL:
            return T.WITHDRAW_BAD_ORIGINAL.format(code=code)
        case Refusal.NOT_ALLOWED if denied is not None and hazard is not None:
            return denied.format(code=code)
    return refusal_text(exc, actor)


def _split_due(rest: str, today: date) -> tuple[date | None, str, str | None]:
    """Split `<期限> <原因>` into the date, the reason, and the problem with the date (if any)."""
    words = rest.split(maxsplit=1)
    if not words:
        return None, "", T.EXTEND_USAGE
    try:
        due = parse_due(words[0], today)
    except DueDateError as exc:
        return None, "", due_problem(exc, clean_text(words[0], 40))
    return due, clean_text(words[1] if len(words) > 1 else "", REASON_LIMIT), None


# --- deadline extensions (延期) -------------------------------------------------------------------


@router.command("extend", perm=Perm.HAZARD_EXTEND, help_text=T.HELP["extend"])
async def extend(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Ask for a later deadline: `/extend YH-… 12月20日 原因`; the managers get 同意 / 不同意 privately."""
    hazard, rest, problem = await commanded_hazard(session, msg, card_key, T.EXTEND_USAGE, limit=TEXT_LIMIT)
    if hazard is None:
        return problem
    due, reason, bad_date = _split_due(rest, settings.park.day(now))
    if due is None:
        return Reply(text=bad_date or T.EXTEND_USAGE)
    if not reason:
        return Reply(text=T.EXTEND_NEED_REASON.format(code=hazard.code))
    old = hazard.due_date
    try:
        change = await hazard_ops.ask_extension(session, hazard, actor, due, reason, now)
    except Refused as exc:
        if exc.reason == Refusal.NOT_LATER and exc.subject is not None and exc.subject.due_date is not None:
            return Reply(text=T.EXTEND_NOT_LATER.format(to=fmt_date(due), due=fmt_date(exc.subject.due_date)))
        return Reply(text=_refusal(exc, actor))
    assert old is not None and change.event is not None
    ask = T.EXTEND_ASK_NOTICE.format(
        code=hazard.code,
        enterprise=hazard.enterprise.name,
        description=short(hazard.description),
        old=fmt_date(old),
        new=fmt_date(due),
        name=actor.display_name,
        reason=reason,
    )
    request = change.event.id
    buttons = (
        (
            Button(
                T.BTN_EXTEND_OK,
                ExtendDecideButton(hazard.id, request, "ok").pack(),
                f"/extend_ok {hazard.code}",
            ),
            Button(
                T.BTN_EXTEND_NO,
                ExtendDecideButton(hazard.id, request, "no").pack(),
                f"/extend_no {hazard.code} [原因]",
            ),
        ),
    )
    managers = recipients(change.tell[Tell.EXTENSION], reach)
    replies = [Reply(text=T.EXTEND_SENT.format(code=hazard.code, old=fmt_date(old), new=fmt_date(due)), about=key_of(hazard))]
    if managers:
        replies.append(Reply(text=ask, buttons=buttons, people=managers, about=key_of(hazard)))
    elif msg.chat.is_group:
        replies.append(Reply(text=ask, buttons=buttons, about=key_of(hazard)))  # managers in this group decide
    else:
        replies.append(Reply(text=T.EXTEND_NO_MANAGER.format(code=hazard.code)))
    return replies


@router.button(ExtendDecideButton, perm=Perm.HAZARD_VERIFY)
async def extend_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: ExtendDecideButton,
    reach: Reach,
) -> HandlerResult:
    """Decide the extension request the buttons name: 同意 moves the deadline, 不同意 keeps it."""
    hazard = await hazard_queries.get_hazard(session, button.hazard_id)
    if hazard is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    replies = await _decide(
        session,
        actor,
        hazard,
        button.decision == "ok",
        "",
        settings,
        now,
        reach,
        request_id=button.request_id,
    )
    return [r if r.people or r.card else Reply(text=r.text, toast=True) for r in replies]


@router.command("extend_ok", perm=Perm.HAZARD_VERIFY, help_text=T.HELP["extend_ok"])
async def extend_ok(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Approve the pending extension request of a hazard: `/extend_ok YH-…`."""
    hazard, _, problem = await commanded_hazard(session, msg, card_key, T.EXTEND_DECIDE_USAGE, limit=TEXT_LIMIT)
    if hazard is None:
        return problem
    return await _decide(session, actor, hazard, True, "", settings, now, reach)


@router.command("extend_no", perm=Perm.HAZARD_VERIFY, help_text=T.HELP["extend_no"])
async def extend_no(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Refuse the pending extension request of a hazard, with an optional reason: `/extend_no YH-… 原因`."""
    hazard, rest, problem = await commanded_hazard(session, msg, card_key, T.EXTEND_DECIDE_USAGE, limit=TEXT_LIMIT)
    if hazard is None:
        return problem
    return await _decide(session, actor, hazard, False, clean_text(rest, REASON_LIMIT), settings, now, reach)


async def _decide(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    approve: bool,
    reason: str,
    settings: Settings,
    now: datetime,
    reach: Reach,
    *,
    request_id: int | None = None,
) -> list[Reply]:
    """Decide an extension request; edit the card and tell the requester."""
    try:
        change = await hazard_ops.decide_extension(
            session, hazard, actor, approve, now, request_id=request_id, reason=reason
        )
    except Refused as exc:
        if exc.reason == Refusal.NO_REQUEST and (decided := await _last_decision(session, hazard)) is not None:
            return [Reply(text=decided)]  # another copy of the request was pressed: say who decided what
        return [Reply(text=_refusal(exc, actor))]
    assert hazard.due_date is not None
    due = fmt_date(hazard.due_date)
    if approve:
        said = T.EXTEND_OK_DONE.format(code=hazard.code, new=due)
        notice = T.EXTEND_OK_NOTICE.format(code=hazard.code, new=due)
    else:
        said = T.EXTEND_NO_DONE.format(code=hazard.code, due=due)
        why = T.EXTEND_NO_REASON.format(reason=reason) if reason else ""
        notice = T.EXTEND_NO_NOTICE.format(code=hazard.code, due=due, reason=why)
    replies = [Reply(text=said)]
    if approve:
        replies.insert(0, await card_reply(session, hazard, settings, now))
    told = recipients(change.tell[Tell.EXTENSION_DECIDED], reach)
    if told:
        replies.append(Reply(text=notice, people=told, about=key_of(hazard)))
    elif change.tell[Tell.EXTENSION_DECIDED]:
        replies.append(Reply(text=notice, to_groups=True, about=key_of(hazard)))  # no private chat
    return replies


async def _last_decision(session: AsyncSession, hazard: Hazard) -> str | None:
    """Say who decided the hazard's latest extension request, how and when (None: never decided)."""
    events = [
        e
        for action in (Action.EXTEND_APPROVE, Action.EXTEND_REFUSE)
        if (e := await hazard_queries.last_event(session, hazard.id, action)) is not None
    ]
    if not events:
        return None
    last = max(events, key=lambda e: e.id)
    who = last.actor.display_name if last.actor is not None else T.SYSTEM_ACTOR
    how = T.EXTEND_DECIDED_OK if last.action == Action.EXTEND_APPROVE else T.EXTEND_DECIDED_NO
    return T.EXTEND_ALREADY_DECIDED.format(code=hazard.code, actor=who, how=how)


# --- withdrawing a report, rewriting its description ---------------------------------------------


@router.command("withdraw", perm=Perm.HAZARD_WITHDRAW, help_text=T.HELP["withdraw"])
async def withdraw(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
) -> HandlerResult:
    """Withdraw a mistaken report (`/withdraw YH-… 原因`) or a duplicate (`/withdraw YH-… 重复 YH-…`)."""

    async def act(hazard: Hazard, rest: str) -> HandlerResult:
        words = rest.split()
        duplicate_of: Hazard | None = None
        reason = clean_text(rest, REASON_LIMIT)
        if len(words) >= 2 and words[0] in T.WITHDRAW_WORDS and CODE_RE.match(words[1]):
            duplicate_of = await hazard_queries.hazard_by_code(session, words[1])
            if duplicate_of is None:
                return not_found(words[1])
            more = clean_text(" ".join(words[2:]), REASON_LIMIT)
            reason = T.WITHDRAW_DUPLICATE.format(code=duplicate_of.code) + (f"：{more}" if more else "")
        if not reason:
            return Reply(text=T.WITHDRAW_USAGE)
        await hazard_ops.withdraw(session, hazard, actor, reason, now, duplicate_of=duplicate_of)
        await close_about_hazard(session, hazard.id)
        return [
            await card_reply(session, hazard, settings, now),
            Reply(text=T.WITHDRAW_DONE.format(code=hazard.code, reason=reason)),
        ]

    refused = partial(_refusal, actor=actor, denied=T.WITHDRAW_DENIED)
    return await act_on_commanded(
        session, msg, actor, card_key, T.WITHDRAW_USAGE, act, refused=refused, limit=TEXT_LIMIT
    )


@router.command("edit", perm=Perm.HAZARD_EDIT, help_text=T.HELP["edit"])
async def edit(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
) -> HandlerResult:
    """Rewrite a hazard's description: `/edit YH-… 新描述` (the reporter, until it is verified)."""

    async def act(hazard: Hazard, rest: str) -> HandlerResult:
        text = clean_text(rest, DESCRIPTION_LIMIT * 2)
        if not text:
            return Reply(text=T.EDIT_USAGE)
        if len(text) > DESCRIPTION_LIMIT:
            return Reply(text=T.HAZARD_TOO_LONG.format(limit=DESCRIPTION_LIMIT))
        change = await hazard_ops.edit_description(session, hazard, actor, text, now)
        replies = [Reply(text=T.EDIT_DONE.format(code=hazard.code), about=key_of(hazard))]
        if change.changed:
            replies.insert(0, await card_reply(session, hazard, settings, now))
        return replies

    refused = partial(_refusal, actor=actor, denied=T.EDIT_DENIED)
    return await act_on_commanded(
        session, msg, actor, card_key, T.EDIT_USAGE, act, refused=refused, limit=TEXT_LIMIT
    )


# --- the location (部位) ----------------------------------------------------------------------------


@router.command("location", perm=Perm.HAZARD_EDIT, help_text=T.HELP["location"])
async def location(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
) -> HandlerResult:
    """Set or correct a hazard's location: `/location YH-… 二车间配电室` (the reporter, until it is verified)."""

    async def act(hazard: Hazard, rest: str) -> HandlerResult:
        text = clean_text(rest, LOCATION_LIMIT * 2)
        if not text:
            return Reply(text=T.LOCATION_USAGE)
        return await _set_location(session, actor, hazard, text, settings, now)

    refused = partial(_refusal, actor=actor, denied=T.LOCATION_DENIED)
    return await act_on_commanded(
        session, msg, actor, card_key, T.LOCATION_USAGE, act, refused=refused, limit=TEXT_LIMIT
    )


async def _set_location(
    session: AsyncSession, actor: Person, hazard: Hazard, text: str, settings: Settings, now: datetime
) -> list[Reply]:
    """Record the location; the card is re-drawn when it changed."""
    if len(text) > LOCATION_LIMIT:
        return [Reply(text=T.LOCATION_TOO_LONG.format(limit=LOCATION_LIMIT))]
    change = await hazard_ops.set_location(session, hazard, actor, text, now)
    replies = [Reply(text=T.LOCATION_DONE.format(code=hazard.code, location=text), about=key_of(hazard))]
    if change.changed:
        replies.insert(0, await card_reply(session, hazard, settings, now))
    return replies


def location_question(hazard: Hazard, media_group_id: str | None) -> tuple[HazardLocationAsk, Reply]:
    """Return the question for the location of a hazard just reported without one, and its words with 跳过."""
    skip = Button(T.BTN_LOCATION_SKIP, LocationSkipButton(hazard.id).pack())
    return HazardLocationAsk(hazard.id, media_group_id), Reply(
        text=T.LOCATION_ASK.format(code=hazard.code), buttons=((skip,),)
    )


@router.question(HazardLocationAsk, perm=Perm.HAZARD_REPORT)
async def location_answer(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: HazardLocationAsk,
    card_key: str | None,
) -> HandlerResult:
    """Take the location of a hazard just reported (or 跳过); the rest of its album goes on the hazard."""
    hazard = await hazard_queries.get_hazard(session, question.hazard_id)
    if hazard is None:
        await drop(session, msg.chat, actor)
        return NOT_MINE
    if question.media_group_id is not None and msg.media_group_id == question.media_group_id:
        photos = await photo_rows(session, attachments, settings, now)
        if not photos:
            return []
        try:
            await hazard_ops.add_photos(session, hazard, actor, photos, "before", now)
        except Refused:
            return []  # the hazard moved on meanwhile; the album's other photos are already on it
        return await card_reply(session, hazard, settings, now)
    if msg.files or not is_answer(msg, card_key):
        return NOT_MINE  # a photo, group chatter, a reply to a card: not the answer; the question stays
    text = clean_text(msg.text, LOCATION_LIMIT * 2)
    if not text:
        return NOT_MINE
    await drop(session, msg.chat, actor)
    if text in T.LOCATION_SKIP_WORDS:
        return Reply(text=T.LOCATION_SKIPPED.format(code=hazard.code))
    try:
        return await _set_location(session, actor, hazard, text, settings, now)
    except Refused as exc:
        return Reply(text=_refusal(exc, actor, T.LOCATION_DENIED))


@router.button(LocationSkipButton, perm=Perm.HAZARD_REPORT)
async def location_skip(
    press: ButtonPress, *, session: AsyncSession, actor: Person, button: LocationSkipButton, question: Question | None
) -> HandlerResult:
    """跳过: stop waiting for the location; it can be given later with /location."""
    if not isinstance(question, HazardLocationAsk) or question.hazard_id != button.hazard_id:
        return Reply(text=T.LOCATION_ASK_GONE, toast=True)
    await drop(session, press.chat, actor)
    hazard = await hazard_queries.get_hazard(session, button.hazard_id)
    code = hazard.code if hazard is not None else ""
    return Reply(text=T.LOCATION_SKIPPED.format(code=code), toast=True)
