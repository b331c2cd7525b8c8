"""Hazards, editing side: the card's buttons that set the deadline, level and category, their command
forms (/due /level /category), five-in-place (/five), and plain replies to a card (more photos and
PDFs as evidence, or a deadline in words).

Who may edit which hazard is the domain's rule (`domain/hazards/rules.py` `may_edit_hazard`, and
`edit_denial` for why not); the changes are the operations in `domain/hazards/operations.py`. The card
and its buttons are drawn by `card.py`; reporting is `report.py`, rectification `rectify.py`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Button, ButtonPress, Incoming, Reply, clean_text
from bot.routing import HandlerResult, Router
from domain.hazards import operations as hazard_ops
from domain.hazards import queries as hazard_queries
from domain.hazards.rules import (
    Action,
    EditDenial,
    Refusal,
    allowed,
    check,
    edit_denial,
    may_change_due,
    may_edit_hazard,
    may_fix,
)
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from handlers.dates import DueDateError, parse_due
from handlers.hazards.card import (
    DUE_DAYS,
    FIVE_NAMES,
    CategoryButton,
    DueButton,
    LevelButton,
    act_on_commanded,
    build_card,
    card_reply,
    document_rows,
    due_problem,
    five_missing,
    hazard_id_of,
    refusal_text,
    told_replies,
)
from handlers.hazards.card import card_key as key_of
from handlers.hazards.text import CATEGORIES
from handlers.util import Reach, attachment_problem, fmt_date, own_enterprise, photo_rows, refuse
from storage.enums import HazardStatus, Level, Mode
from storage.models import Hazard, Person

router = Router("hazard_edit")

FIVE_BY_NAME = {name: key for key, name in FIVE_NAMES.items()}
FIVE_SEPARATORS = "=＝:："
FIVE_RE = re.compile(rf"({'|'.join(map(re.escape, FIVE_NAMES.values()))})\s*[{FIVE_SEPARATORS}]\s*")

PressAct = Callable[[Hazard], Awaitable[HandlerResult]]


# --- a plain reply to a card ------------------------------------------------------------------


@router.card_reply("hazard", perm=Perm.VIEW)
async def reply_to_card(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    card_key: str,
    reach: Reach,
) -> HandlerResult:
    """Take a plain reply to a hazard card: photos (and PDFs) as evidence, or a deadline in words.

    A photo reply never submits a rectification: that is `/fix`, the 提交整改 button, or the answer to
    the bot's fix question, so 补充一张远景 never sends a hazard to verification by mistake.
    """
    hazard_id = hazard_id_of(card_key)
    hazard = await hazard_queries.get_hazard(session, hazard_id) if hazard_id is not None else None
    if hazard is None:
        return Reply(text=T.CARD_REPLY_HINT)
    photos = await photo_rows(session, attachments, settings, now)
    documents = await document_rows(session, attachments, settings, now)
    note = clean_text(msg.text, 1000)
    phase = "after" if hazard.status == HazardStatus.AWAITING_VERIFICATION else "before"
    if documents and not photos:
        # A report (校验报告) under the card is evidence, never a fix: a fix needs an after-photo.
        try:
            change = await hazard_ops.add_documents(session, hazard, actor, documents, phase, now)
        except Refused as exc:
            return Reply(text=refusal_text(exc, actor))
        added = T.HAZARD_DOCUMENTS_ADDED.format(code=hazard.code, count=change.added, phase=T.PHASE_NAMES[phase])
        if phase == "before" and may_fix(actor, hazard):
            added += T.DOCUMENT_IS_NOT_A_FIX.format(code=hazard.code)
        return [await card_reply(session, hazard, settings, now), Reply(text=added)]
    if photos:
        try:
            change = await hazard_ops.add_photos(session, hazard, actor, photos, phase, now)
        except Refused as exc:
            return Reply(text=refusal_text(exc, actor))
        added = T.HAZARD_PHOTOS_ADDED.format(code=hazard.code, count=change.added, phase=T.PHASE_NAMES[phase])
        if phase == "before" and may_fix(actor, hazard):
            added += T.HAZARD_PHOTOS_ADDED_FIX_HINT.format(code=hazard.code)
        if documents:  # both in one message (a platform that allows it): the PDFs go with the photos
            more = await hazard_ops.add_documents(session, hazard, actor, documents, phase, now)
            added += "\n" + T.HAZARD_DOCUMENTS_ADDED.format(
                code=hazard.code, count=more.added, phase=T.PHASE_NAMES[phase]
            )
        return [await card_reply(session, hazard, settings, now), Reply(text=added, about=key_of(hazard))]
    problem = attachment_problem(attachments, settings)
    if problem:
        return Reply(text=problem)
    if msg.chat.is_group and (hazard.mode is not None or not may_edit_hazard(actor, hazard)):
        return []  # 收到 / 谢谢 under a card in the group: not for the bot, and no hint to the whole group
    if note and hazard.mode is None and allowed(Action.SET_DUE, hazard.status) and may_edit_hazard(actor, hazard):
        due = _due_from_text(note, settings.park.day(now))
        if isinstance(due, str):
            return Reply(text=due)
        try:
            return await _set_due(session, actor, hazard, due, settings, now)
        except Refused as exc:
            return Reply(text=refusal_text(exc, actor))
    return Reply(text=T.CARD_REPLY_HINT)


def _due_from_text(text: str, today: date) -> date | str | None:
    """Read a deadline in words: a date, None for 立即/当场, or the Chinese explanation of the problem."""
    text = clean_text(text, 40)
    if any(word in text for word in ("立即", "当场")):
        return None
    try:
        return parse_due(text, today)
    except DueDateError as exc:
        return due_problem(exc, text)


# --- the card's edit buttons, and the same as commands ------------------------------------------


async def _edit_pressed(
    session: AsyncSession, actor: Person, press: ButtonPress, now: datetime, hazard_id: int, act: PressAct
) -> HandlerResult:
    """Load the hazard a button names, check the person may edit it while it is open, and edit it."""
    hazard = await hazard_queries.get_hazard(session, hazard_id)
    if hazard is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    try:
        check(actor, hazard, Action.SET_LEVEL)  # deadline, level and category: one rule
        return await act(hazard)
    except Refused as exc:
        # A permission refusal is audited (the press may be forged); a stale one is not.
        if exc.reason == Refusal.NOT_ALLOWED and exc.subject is not None:
            return await refuse(session, actor, press, now, edit_denied(actor, exc.subject))
        return Reply(text=refusal_text(exc, actor), toast=True)


def edit_denied(actor: Person, hazard: Hazard) -> str:
    """Say why the person may not edit this hazard: another enterprise's, or found by someone else."""
    denial = edit_denial(actor, hazard)
    if denial == EditDenial.OTHER_ENTERPRISE:
        own = own_enterprise(actor)
        return T.HAZARD_EDIT_NOT_OWN.format(code=hazard.code, enterprise=hazard.enterprise.name, own=own)
    reporter = hazard.reporter
    role = T.role_name(reporter.role) if reporter.role else ""
    text = T.HAZARD_EDIT_FOUND_BY.format(code=hazard.code, role=role, reporter=reporter.display_name)
    if denial == EditDenial.FOUND_BY_OTHERS and hazard.mode == Mode.DEADLINE:
        text += T.HAZARD_EDIT_EXTEND_HINT.format(code=hazard.code)
    elif denial == EditDenial.FOUND_BY_OTHERS:
        text += T.HAZARD_EDIT_ASK_REPORTER
    return text


@router.button(DueButton, perm=Perm.HAZARD_EDIT)
async def due_button(
    press: ButtonPress, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, button: DueButton
) -> HandlerResult:
    """Set the rectification mode: immediately, or within N days."""

    async def act(hazard: Hazard) -> HandlerResult:
        if button.days not in DUE_DAYS:
            return await refuse(session, actor, press, now, T.BUTTON_STALE)
        due = settings.park.day(now) + timedelta(days=button.days) if button.days else None
        return await _set_due(session, actor, hazard, due, settings, now)

    return await _edit_pressed(session, actor, press, now, button.hazard_id, act)


@router.button(LevelButton, perm=Perm.HAZARD_EDIT)
async def level_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: LevelButton,
    reach: Reach,
) -> HandlerResult:
    """Set the level to general or major (a value, never a toggle)."""

    async def act(hazard: Hazard) -> HandlerResult:
        return await _set_level(session, actor, hazard, button.level, settings, now, reach, toast=True)

    return await _edit_pressed(session, actor, press, now, button.hazard_id, act)


@router.button(CategoryButton, perm=Perm.HAZARD_EDIT)
async def category_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: CategoryButton,
) -> HandlerResult:
    """Offer the categories as buttons; with a category in the data, set it."""

    async def act(hazard: Hazard) -> HandlerResult:
        if button.category is None:
            buttons = [
                Button(
                    T.CATEGORY_NAMES[c],
                    CategoryButton(hazard.id, c).pack(),
                    f"/category {hazard.code} {T.CATEGORY_NAMES[c]}",
                )
                for c in CATEGORIES
            ]
            rows = tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))
            return Reply(text=T.CATEGORY_PICK.format(code=hazard.code), buttons=rows)
        if button.category not in T.CATEGORY_NAMES:
            return await refuse(session, actor, press, now, T.BUTTON_STALE)
        return await _set_category(session, actor, hazard, button.category, settings, now, toast=True)

    return await _edit_pressed(session, actor, press, now, button.hazard_id, act)


@router.command("due", perm=Perm.HAZARD_EDIT, help_text=T.HELP["due"])
async def due_command(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, card_key: str | None
) -> HandlerResult:
    """Set the rectification mode by command: `/due YH-… 12月10日` or `/due YH-… 立即整改`."""

    async def act(hazard: Hazard, rest: str) -> HandlerResult:
        if not rest:
            return Reply(text=T.DUE_USAGE)
        due = _due_from_text(rest, settings.park.day(now))
        if isinstance(due, str):
            return Reply(text=due)
        if hazard.mode is not None and due is not None and may_change_due(actor):
            return await _change_due(session, actor, hazard, due, settings, now)
        replies = await _set_due(session, actor, hazard, due, settings, now)
        return [replace(r, toast=False) for r in replies]

    return await act_on_commanded(session, msg, actor, card_key, T.DUE_USAGE, act)


@router.command("level", perm=Perm.HAZARD_EDIT, help_text=T.HELP["level"])
async def level_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Set the level by command: `/level YH-… 重大` or `/level YH-… 一般`."""

    async def act(hazard: Hazard, rest: str) -> HandlerResult:
        level = T.LEVEL_WORDS_IN.get(rest.lower())
        if level is None:
            return Reply(text=T.LEVEL_USAGE)
        return await _set_level(session, actor, hazard, Level(level), settings, now, reach, toast=False)

    return await act_on_commanded(session, msg, actor, card_key, T.LEVEL_USAGE, act)


@router.command("category", perm=Perm.HAZARD_EDIT, help_text=T.HELP["category"])
async def category_command(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, card_key: str | None
) -> HandlerResult:
    """Set the category by command: `/category YH-… 消防安全`."""

    async def act(hazard: Hazard, rest: str) -> HandlerResult:
        by_name = {name: key for key, name in T.CATEGORY_NAMES.items()} | {k: k for k in T.CATEGORY_NAMES}
        category = by_name.get(rest) or by_name.get(rest.lower())
        if category is None:
            return Reply(text=T.CATEGORY_USAGE)
        return await _set_category(session, actor, hazard, category, settings, now, toast=False)

    return await act_on_commanded(session, msg, actor, card_key, T.CATEGORY_USAGE, act)


async def _set_due(
    session: AsyncSession, actor: Person, hazard: Hazard, due: date | None, settings: Settings, now: datetime
) -> list[Reply]:
    """Set immediate mode (due None) or a deadline; a deadline starts rectification."""
    await hazard_ops.set_due(session, hazard, actor, due, now)
    if due is not None:
        said = T.DUE_SET.format(code=hazard.code, due=fmt_date(due))
    else:
        said = T.DUE_SET_IMMEDIATE.format(code=hazard.code)
    return [await card_reply(session, hazard, settings, now), Reply(text=said, toast=True)]


async def _change_due(
    session: AsyncSession, actor: Person, hazard: Hazard, due: date, settings: Settings, now: datetime
) -> HandlerResult:
    """Move a deadline already set (managers); the enterprise asks with /extend instead."""
    old = hazard.due_date
    change = await hazard_ops.change_due(session, hazard, actor, due, now)
    shown = fmt_date(old) if old is not None else T.MODE_NAMES["immediate"]
    said = Reply(text=T.DUE_CHANGED.format(code=hazard.code, old=shown, new=fmt_date(due)))
    return [await card_reply(session, hazard, settings, now), said] if change.changed else said


async def _set_level(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    level: Level,
    settings: Settings,
    now: datetime,
    reach: Reach,
    *,
    toast: bool,
) -> list[Reply]:
    """Set the level; a change re-draws the card and tells whom the domain says (managers of a major one)."""
    change = await hazard_ops.set_level(session, hazard, actor, level, now)
    replies = [Reply(text=T.LEVEL_SET.format(code=hazard.code, level=T.LEVEL_NAMES[level]), toast=toast)]
    if change.changed:
        card = await build_card(session, hazard, settings, now)
        replies.append(Reply(card=card, edit=True))
        replies += told_replies(change, card, actor, reach)
        if level == Level.MAJOR and five_missing(hazard):
            replies.append(Reply(text=T.FIVE_ASK.format(code=hazard.code)))
    return replies


async def _set_category(
    session: AsyncSession,
    actor: Person,
    hazard: Hazard,
    category: str,
    settings: Settings,
    now: datetime,
    *,
    toast: bool,
) -> list[Reply]:
    """Set the category; the card is re-drawn only when it changed."""
    change = await hazard_ops.set_category(session, hazard, actor, category, now)
    replies = [
        Reply(text=T.CATEGORY_SET.format(code=hazard.code, category=T.CATEGORY_NAMES[category]), toast=toast)
    ]
    if change.changed:
        replies.append(await card_reply(session, hazard, settings, now))
    return replies


# --- five-in-place ----------------------------------------------------------------------------


@router.command("five", perm=Perm.HAZARD_EDIT, help_text=T.HELP["five"])
async def five(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, card_key: str | None
) -> HandlerResult:
    """Record the five-in-place fields of a major hazard."""

    async def act(hazard: Hazard, rest: str) -> HandlerResult:
        values = _five_values(rest)
        if isinstance(values, str):
            return Reply(text=values)
        deadline = values.get("deadline")
        if deadline and hazard.due_date is not None:
            try:
                by = parse_due(deadline, settings.park.day(now))
            except DueDateError:
                by = None  # written in words we cannot date (e.g. 整改完成前): kept as written
            if by is not None and by > hazard.due_date:
                late = T.FIVE_DEADLINE_LATE.format(code=hazard.code, value=deadline, due=fmt_date(hazard.due_date))
                return Reply(text=late)
        check(actor, hazard, Action.FIVE)
        if not values:
            if hazard.level != Level.MAJOR:
                raise Refused(Refusal.NOT_MAJOR, hazard)
            return Reply(text=T.FIVE_USAGE)
        await hazard_ops.fill_five(session, hazard, actor, values, now)
        missing = five_missing(hazard)
        tail = T.FIVE_STILL_MISSING.format(missing="、".join(missing)) if missing else T.FIVE_COMPLETE
        stored = "\n".join(T.FIVE_STORED_LINE.format(name=FIVE_NAMES[k], value=v) for k, v in values.items())
        return [
            await card_reply(session, hazard, settings, now),
            Reply(text=T.FIVE_SAVED.format(code=hazard.code, stored=stored, rest=tail), about=key_of(hazard)),
        ]

    return await act_on_commanded(session, msg, actor, card_key, T.FIVE_USAGE, act, limit=2000)


def _five_values(text: str) -> dict[str, str] | str:
    """Read `责任人=张三 资金=1万…` strictly: each name once, one separator; or explain what is wrong."""
    parts = FIVE_RE.split(text)
    values: dict[str, str] = {}
    for i in range(1, len(parts) - 1, 2):
        name, value = parts[i], parts[i + 1].strip()
        if value[:1] in FIVE_SEPARATORS:
            return T.FIVE_BAD_SEPARATOR.format(name=name)
        if not value:
            return T.FIVE_EMPTY_VALUE.format(name=name)
        if FIVE_BY_NAME[name] in values:
            return T.FIVE_TWICE.format(name=name)
        values[FIVE_BY_NAME[name]] = value
    return values
