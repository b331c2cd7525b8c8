"""Campaigns (专项行动): /campaign with its progress card, /report (自查报告) with photos or files, review
with 审核通过 / 退回 (and their commands), the /campaigns matrix, hazards linked, deadline reminders.

The rules are in `domain/campaigns/`. The matrix names enterprises, so it is only sent privately.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import (
    Attachment,
    Button,
    ButtonPress,
    Card,
    CardField,
    CardStatus,
    ChatRef,
    Incoming,
    Reply,
    clean_text,
)
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.campaigns import operations as campaign_ops
from domain.campaigns import queries as campaign_queries
from domain.campaigns import rules as campaign_rules
from domain.campaigns.rules import Refusal, Refused
from domain.codes import normal_code
from domain.hazards import queries as hazard_queries
from domain.park import queries as park_queries
from domain.park import rules as park_rules
from domain.park.queries import people_of_enterprise
from domain.park.rules import Perm, role_allows
from handlers import texts as T
from handlers.broadcast import broadcast, file_views, files_line, privately, store_files
from handlers.dates import DueDateError, parse_due
from handlers.util import Reach, fmt_date, fmt_time, is_answer, recipient, recipients, refuse
from storage import cards, reminders
from storage.attachments import files as stored_files
from storage.enums import OWED_TASKS, CampaignStatus, Role, TaskStatus
from storage.models import Campaign, CampaignTask, Document, Person, Photo

router = Router("campaigns")

CARD_KIND = "campaign"
REPORT_KIND = "report"
TITLE_LIMIT = 60
TEXT_LIMIT = 2000
NOTE_LIMIT = 2000
CODE_WORD = re.compile(r"^ZX-\d{4}-\d{1,4}$", re.IGNORECASE)
HAZARD_CODE = re.compile(r"YH-\d{4}-\d{1,6}", re.IGNORECASE)
REMIND_DAYS_BEFORE = 3  # owed tasks are reminded from this many days before the due date
REMIND_DAYS_AFTER = 30  # and at most this long after it
MATRIX_TEXT_ENTERPRISES = 20  # more enterprises than this: the matrix also comes as an Excel file
MATRIX_CAMPAIGNS = 9
NUMBERS = "①②③④⑤⑥⑦⑧⑨"


# --- buttons and questions -------------------------------------------------------------------


@dataclass(frozen=True)
class ReportButton(CallbackData, prefix="zxrep"):
    """提交自查报告 on a campaign card: ask for the report."""

    campaign_id: int


@dataclass(frozen=True)
class ReviewButton(CallbackData, prefix="zxrev"):
    """审核通过 / 退回 on a report card."""

    task_id: int
    decision: Literal["ok", "back"]


@dataclass(frozen=True)
class CampaignReport(Question, kind="campaign_report", ttl=timedelta(hours=24)):
    """The self-inspection report the bot asked for: text, photos or files."""

    campaign_id: int
    photo_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ReportReturn(Question, kind="campaign_return", ttl=timedelta(hours=24)):
    """The reason a manager returns a report."""

    task_id: int


# --- cards -----------------------------------------------------------------------------------


def card_key(campaign: Campaign) -> str:
    """Return the card key of a campaign."""
    return f"{CARD_KIND}:{campaign.id}"


def report_key(task: CampaignTask) -> str:
    """Return the card key of one enterprise's report."""
    return f"{REPORT_KIND}:{task.id}"


def _id_of(key: str | None, kind: str) -> int | None:
    if key is None:
        return None
    key = key.removeprefix("about:")
    if not key.startswith(f"{kind}:"):
        return None
    tail = key.split(":", 1)[1]
    return int(tail) if tail.isdigit() else None



async def build_card(session: AsyncSession, campaign: Campaign, settings: Settings, now: datetime) -> Card:
    """Build a campaign card: what is asked, by when, and the progress counts (never a list of laggards)."""
    today = settings.park.day(now)
    progress = await campaign_queries.progress(session, campaign, today)
    fields = [CardField("name", T.CF_NAME, campaign.title)]
    if campaign.requirements:
        fields.append(CardField("requirements", T.CF_REQUIREMENTS, campaign.requirements))
    fields.append(CardField("due", T.CF_DUE, fmt_date(campaign.due_date)))
    attached = await stored_files(session, "campaign", campaign.id)
    if attached:
        fields.append(CardField("files", T.NF_FILES, files_line(attached)))
    fields.append(CardField("author", T.NF_AUTHOR, campaign.author.display_name))
    counted = T.CAMPAIGN_PROGRESS.format(submitted=progress.submitted, total=progress.total)
    fields.append(CardField("progress", T.CF_PROGRESS, counted))
    fields.append(CardField("accepted", T.CF_ACCEPTED, str(progress.accepted)))
    if progress.overdue:
        fields.append(CardField("overdue", T.CF_OVERDUE, str(progress.overdue)))
    hazards = await campaign_queries.linked_hazards(session, campaign.id)
    if hazards:
        fields.append(CardField("hazards", T.CF_HAZARDS, str(len(hazards))))
    open_ = campaign.status == CampaignStatus.OPEN
    if open_:
        fields.append(CardField("how", T.CF_HOW, T.CAMPAIGN_HOW))
    if not open_:
        status = CardStatus("closed", T.CAMPAIGN_STATUS_CLOSED, T.F_STATUS)
    elif today > campaign.due_date:
        status = CardStatus("due", T.CAMPAIGN_STATUS_DUE, T.F_STATUS)
    else:
        status = CardStatus("open", T.CAMPAIGN_STATUS_OPEN, T.F_STATUS)
    photos = tuple(settings.storage.photo_dir / f.photo.path for f in attached if f.photo is not None)
    actions = ((Button(T.BTN_REPORT, ReportButton(campaign.id).pack(), f"/report {campaign.code} <说明>"),),)
    return Card(
        key=card_key(campaign),
        kind=CARD_KIND,
        title=T.CAMPAIGN_CARD_TITLE.format(code=campaign.code),
        fields=tuple(fields),
        status=status,
        photos=photos[:1],
        actions=actions if open_ else (),
    )


async def build_report_card(session: AsyncSession, task: CampaignTask, settings: Settings) -> Card:
    """Build the card of one enterprise's report: what it says, its files, the review and its buttons."""
    campaign, enterprise = task.campaign, task.enterprise
    fields = [
        CardField("campaign", T.RF_CAMPAIGN, f"{campaign.code} {campaign.title}"),
        CardField("enterprise", T.RF_ENTERPRISE, enterprise.name),
    ]
    if task.reporter_id is not None:
        reporter = await session.get(Person, task.reporter_id)
        fields.append(CardField("reporter", T.RF_REPORTER, reporter.display_name if reporter else T.NONE))
    if task.submitted_at is not None:
        fields.append(CardField("submitted", T.RF_SUBMITTED, fmt_time(task.submitted_at, settings.park.tz)))
    if task.note:
        fields.append(CardField("note", T.RF_NOTE, task.note))
    attached = await stored_files(session, "task", task.id)
    if attached:
        fields.append(CardField("files", T.RF_FILES, files_line(attached)))
    hazards = [
        h.code for h in await campaign_queries.linked_hazards(session, campaign.id) if h.enterprise_id == enterprise.id
    ]
    if hazards:
        fields.append(CardField("hazards", T.CF_HAZARDS, "、".join(hazards)))
    if task.status == TaskStatus.RETURNED and task.return_reason:
        fields.append(CardField("return", T.RF_RETURN, task.return_reason))
    if task.reviewer_id is not None and task.status in (TaskStatus.ACCEPTED, TaskStatus.RETURNED):
        reviewer = await session.get(Person, task.reviewer_id)
        when = fmt_time(task.reviewed_at, settings.park.tz) if task.reviewed_at else ""
        fields.append(
            CardField("reviewer", T.RF_REVIEWER, f"{reviewer.display_name if reviewer else T.NONE} {when}")
        )
    actions: tuple[tuple[Button, ...], ...] = ()
    short = enterprise.aliases[0] if enterprise.aliases else enterprise.name
    if task.status == TaskStatus.SUBMITTED:
        actions = (
            (
                Button(
                    T.BTN_REPORT_ACCEPT,
                    ReviewButton(task.id, "ok").pack(),
                    f"/report_accept {campaign.code} {short}",
                ),
                Button(
                    T.BTN_REPORT_RETURN,
                    ReviewButton(task.id, "back").pack(),
                    f"/report_return {campaign.code} {short} <原因>",
                ),
            ),
        )
    photos = tuple(settings.storage.photo_dir / f.photo.path for f in attached if f.photo is not None)
    return Card(
        key=report_key(task),
        kind=REPORT_KIND,
        title=T.REPORT_CARD_TITLE.format(code=campaign.code, enterprise=enterprise.name),
        fields=tuple(fields),
        status=CardStatus(task.status.value, T.TASK_STATUS_NAMES[task.status], T.F_STATUS),
        photos=photos[:1],
        actions=actions,
    )


async def campaign_edit(
    session: AsyncSession, campaign: Campaign, settings: Settings, now: datetime
) -> Reply:
    """Return an in-place edit of every copy of a campaign's card."""
    return Reply(card=await build_card(session, campaign, settings, now), edit=True)


def refusal_text(exc: Refused, actor: Person, campaign: Campaign | None = None) -> str:
    """Say why a campaign operation was refused."""
    task = exc.task
    code = task.campaign.code if task is not None else (campaign.code if campaign is not None else "")
    enterprise = (
        task.enterprise.name if task is not None else (actor.enterprise.name if actor.enterprise else T.NONE)
    )
    match exc.reason:
        case Refusal.WRONG_STATUS if task is not None:
            return _wrong_status(task, "submit")
        case Refusal.NOT_LISTED:
            return T.REPORT_NOT_LISTED.format(enterprise=enterprise, code=code)
        case Refusal.CLOSED:
            return T.REPORT_CLOSED.format(code=code)
        case Refusal.OWN_REPORT:
            return T.REPORT_OWN
        case Refusal.NOT_ALLOWED if actor.enterprise_id is None and role_allows(actor.role, Perm.CAMPAIGN_SEND):
            return T.REPORT_MANAGER.format(code=code)
        case Refusal.NOT_ALLOWED if actor.enterprise_id is None:
            return T.REPORT_NO_ENTERPRISE
        case Refusal.NOT_ALLOWED if actor.role == Role.MEMBER:
            return T.REPORT_NOT_LEAD
        case _:
            return T.need_role(["admin", "manager"], actor.role)


def _wrong_status(task: CampaignTask, step: str) -> str:
    if step == "accept" and task.status == TaskStatus.ACCEPTED:
        return T.REPORT_ALREADY_ACCEPTED.format(enterprise=task.enterprise.name, code=task.campaign.code)
    return T.REPORT_WRONG_STATUS.format(
        enterprise=task.enterprise.name,
        code=task.campaign.code,
        status=T.REPORT_STATUS_NAMES[task.status],
        what=T.REPORT_WHAT[step],
    )


# --- launching -------------------------------------------------------------------------------


async def _find_campaign(session: AsyncSession, text: str) -> Campaign | str:
    """Find a campaign by its code or (part of) its title; or say why not."""
    text = text.strip()
    if CODE_WORD.match(text):
        found = await campaign_queries.by_code(session, text)
        return found if found is not None else T.CAMPAIGN_NOT_FOUND.format(text=text[:20].upper())
    matches = await campaign_queries.by_title(session, text)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        return T.CAMPAIGN_NOT_FOUND.format(text=text[:30])
    return T.CAMPAIGN_AMBIGUOUS.format(
        text=text[:30], codes="、".join(f"{c.code}（{c.title}）" for c in matches)
    )


@router.command("campaign", perm=Perm.VIEW, help_text=T.HELP["campaign"])
async def campaign(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
) -> HandlerResult:
    """Launch a campaign (`/campaign 名称 截止日期 要求…`, managers), or show one (`/campaign ZX-…`)."""
    text = clean_text(msg.args, TEXT_LIMIT * 2)
    words = text.split(maxsplit=2)
    if len(words) == 1 and CODE_WORD.match(words[0]):
        found = await _find_campaign(session, words[0])
        if isinstance(found, str):
            return Reply(text=found)
        return Reply(card=await build_card(session, found, settings, now))
    if not role_allows(actor.role, Perm.CAMPAIGN_SEND):
        return Reply(text=T.CAMPAIGN_ONLY_MANAGERS)
    if len(words) < 2:
        return Reply(text=T.CAMPAIGN_USAGE)
    title, due_text = words[0][:TITLE_LIMIT], words[1]
    requirements = words[2] if len(words) > 2 else ""
    if len(requirements) > TEXT_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=TEXT_LIMIT, length=len(requirements)))
    try:
        due = parse_due(due_text, settings.park.day(now))
    except DueDateError as exc:
        if exc.reason == "past":
            return Reply(text=T.CAMPAIGN_PAST_DUE.format(text=due_text[:20]))
        return Reply(text=T.CAMPAIGN_BAD_DUE.format(text=due_text[:20]))
    if not await park_queries.list_enterprises(session):
        return Reply(text=T.NOTICE_NO_ENTERPRISES)
    photos, documents, problem = await store_files(session, attachments, settings, now)
    try:
        launched = await campaign_ops.launch(
            session,
            actor=actor,
            title=title,
            requirements=requirements,
            due_date=due,
            photos=photos,
            documents=documents,
            year=now.astimezone(settings.park.tz).year,
            at=now,
        )
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    card = await build_card(session, launched, settings, now)
    total = (await campaign_queries.progress(session, launched, settings.park.day(now))).total
    done = T.CAMPAIGN_LAUNCHED.format(code=launched.code, total=total, due=fmt_date(due))
    return await broadcast(session, card, ("campaign", launched.id), msg.chat, settings, done, problem)


# --- reports ---------------------------------------------------------------------------------


@router.command("report", perm=Perm.CAMPAIGN_REPORT, help_text=T.HELP["report"])
async def report(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    card_key: str | None,
    question: Question | None,
    reach: Reach,
) -> HandlerResult:
    """Submit the enterprise's report: `/report ZX-… 说明` (or a title), or as a reply to the campaign card."""
    text = clean_text(msg.args, NOTE_LIMIT * 2)
    campaign_id = _id_of(card_key, CARD_KIND)
    if campaign_id is None and isinstance(question, CampaignReport):
        campaign_id = question.campaign_id
    found: Campaign | None = await campaign_queries.get(session, campaign_id) if campaign_id is not None else None
    note = text
    guessed: str | None = None  # the first word, when it named no campaign and the only open one was taken
    if found is None:
        words = text.split(maxsplit=1)
        if not words:
            return Reply(text=T.REPORT_USAGE)
        named = await _find_campaign(session, words[0])
        if isinstance(named, str):
            opened = await campaign_queries.open_campaigns(session)
            if len(opened) == 1 and not CODE_WORD.match(words[0]):
                named = opened[0]  # the park runs one campaign: the whole text is the report
                guessed = words[0]
            else:
                return Reply(text=named + "\n" + T.REPORT_USAGE)
        else:
            note = words[1] if len(words) > 1 else ""
        found = named
    elif text and CODE_WORD.match(text.split()[0]):
        note = text.split(maxsplit=1)[1] if len(text.split()) > 1 else ""
    if len(note) > NOTE_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=NOTE_LIMIT, length=len(note)))
    photos, documents, problem = await store_files(session, attachments, settings, now)
    earlier = (
        question.photo_ids
        if isinstance(question, CampaignReport) and question.campaign_id == found.id
        else []
    )
    photos = [p for p in [await session.get(Photo, i) for i in earlier] if p is not None] + photos
    if not note and not photos and not documents:
        if problem:
            return Reply(text=problem)
        return await _ask_report(session, actor, found, msg.chat, now, reach, toast=False)
    return await submit(
        session, actor, found, note, photos, documents, msg.chat, settings, now, reach, problem, guessed
    )


async def _ask_report(
    session: AsyncSession,
    actor: Person,
    found: Campaign,
    chat: ChatRef,
    now: datetime,
    reach: Reach,
    *,
    toast: bool,
) -> list[Reply]:
    """Ask for the report: privately when the bot can write to the person, else as a reply here."""
    asked = T.REPORT_ASK.format(code=found.code, title=found.title)
    if chat.is_group and actor.private_chat_id and reach(actor):
        private = ChatRef(actor.platform, actor.private_chat_id, is_group=False)
        await ask(session, private, actor, CampaignReport(found.id), now)
        replies = [Reply(text=asked, people=(recipient(actor),), about=card_key(found))]
        return replies + ([Reply(text=T.REPORT_ASK_TOAST, toast=True)] if toast else [])
    await ask(session, chat, actor, CampaignReport(found.id), now)
    replies = [Reply(text=asked, about=card_key(found))]
    return replies + ([Reply(text=T.REPORT_ASK_TOAST_HERE, toast=True)] if toast else [])


@router.button(ReportButton, perm=Perm.PUBLIC)
async def report_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    now: datetime,
    button: ReportButton,
    reach: Reach,
) -> HandlerResult:
    """提交自查报告: ask the enterprise's lead for the report (others hear who answers)."""
    found = await campaign_queries.get(session, button.campaign_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if actor.enterprise_id is None or actor.role != Role.LEAD:
        exc = Refused(Refusal.NOT_ALLOWED)
        return Reply(text=refusal_text(exc, actor, found), toast=True)
    task = await campaign_queries.task_of(session, found.id, actor.enterprise_id)
    if task is None:
        return Reply(text=refusal_text(Refused(Refusal.NOT_LISTED), actor, found), toast=True)
    if found.status != CampaignStatus.OPEN:
        return Reply(text=T.REPORT_CLOSED.format(code=found.code), toast=True)
    if task.status not in OWED_TASKS:
        return Reply(text=_wrong_status(task, "submit"), toast=True)
    return await _ask_report(session, actor, found, press.chat, now, reach, toast=True)


@router.question(CampaignReport, perm=Perm.CAMPAIGN_REPORT)
async def report_answer(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: CampaignReport,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Take the report the bot asked for: its text and its photos or files."""
    if _id_of(card_key, CARD_KIND) != question.campaign_id and not is_answer(msg, card_key):
        return NOT_MINE
    found = await campaign_queries.get(session, question.campaign_id)
    if found is None:
        await drop(session, msg.chat, actor)
        return Reply(text=T.BUTTON_STALE)
    note = clean_text(msg.text, NOTE_LIMIT * 2)
    if len(note) > NOTE_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=NOTE_LIMIT, length=len(note)))
    photos, documents, problem = await store_files(session, attachments, settings, now)
    earlier = [p for p in [await session.get(Photo, i) for i in question.photo_ids] if p is not None]
    if not note and not documents:
        if photos and msg.media_group_id:  # the rest of an album may carry the words: keep waiting
            await ask(
                session,
                msg.chat,
                actor,
                replace(question, photo_ids=[*question.photo_ids, *(p.id for p in photos)]),
                now,
            )
            return []
        if not photos:
            return Reply(text=problem or T.REPORT_NEED_CONTENT)
    await drop(session, msg.chat, actor)
    return await submit(
        session, actor, found, note, earlier + photos, documents, msg.chat, settings, now, reach, problem
    )


@router.card_reply(CARD_KIND, perm=Perm.PUBLIC)
async def reply_to_campaign(
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
    """A lead's reply to the campaign card with photos or files is the report; other chatter is ignored."""
    found = await campaign_queries.get(session, _id_of(card_key, CARD_KIND) or 0)
    if found is None or actor.role != Role.LEAD or not (attachments or msg.chat.is_group is False):
        return [] if msg.chat.is_group else Reply(text=T.CARD_REPLY_HINT)
    photos, documents, problem = await store_files(session, attachments, settings, now)
    note = clean_text(msg.text, NOTE_LIMIT)
    if not photos and not documents:
        return [] if msg.chat.is_group else Reply(text=problem or T.REPORT_USAGE)
    return await submit(
        session, actor, found, note, photos, documents, msg.chat, settings, now, reach, problem
    )


async def submit(
    session: AsyncSession,
    actor: Person,
    found: Campaign,
    note: str,
    photos: list[Photo],
    documents: list[Document],
    chat: ChatRef,
    settings: Settings,
    now: datetime,
    reach: Reach,
    problem: str | None = None,
    guessed: str | None = None,
) -> list[Reply]:
    """Submit the report; the campaign card counts it, managers get the report card to review.

    `guessed`: the first word of `/report`, which named no campaign, so the only open one was taken; the
    reporter is told which campaign the report was filed under.
    """
    try:
        change = await campaign_ops.submit(session, found, actor, note, now, photos=photos, documents=documents)
    except Refused as exc:
        if exc.reason == Refusal.WRONG_STATUS and exc.task is not None:
            return [Reply(text=_wrong_status(exc.task, "submit"))]
        return [Reply(text=refusal_text(exc, actor, found))]
    task = change.task
    linked = await _link_named_hazards(session, found, actor, note, now)
    replies = [await campaign_edit(session, found, settings, now)]
    card = await build_report_card(session, task, settings)
    views = await file_views(session, "task", task.id)
    documents_sent = tuple(settings.storage.photo_dir / v.path for v in views)
    names = tuple(v.name for v in views)
    has_copy = {(p.platform, p.chat_id) for p in await cards.card_posts(session, card.key, None)}
    fresh = [m for m in change.tell if (m.platform, m.private_chat_id) not in has_copy]
    again = [m for m in change.tell if (m.platform, m.private_chat_id) in has_copy]
    if has_copy:
        replies.append(Reply(card=card, edit=True))
    if fresh:
        replies.append(
            Reply(card=card, people=recipients(fresh, reach), documents=documents_sent, document_names=names)
        )
    if again:
        text = T.REPORT_RESUBMITTED_NOTE.format(enterprise=task.enterprise.name, code=found.code)
        replies.append(Reply(text=text, people=recipients(again, reach), about=report_key(task)))
    said = T.REPORT_SUBMITTED.format(enterprise=task.enterprise.name, code=found.code)
    if guessed is not None:
        said += "\n" + T.REPORT_FILED_UNDER.format(code=found.code, title=found.title, text=guessed[:20])
    notes = [said, *linked] + ([T.NOTICE_FILES_REFUSED.format(problem=problem)] if problem else [])
    replies.append(Reply(text="\n".join(notes), about=report_key(task)))
    return replies


async def _link_named_hazards(
    session: AsyncSession, found: Campaign, actor: Person, text: str, now: datetime
) -> list[str]:
    """Link the hazards a report names (YH-…) to the campaign; return what to tell the reporter."""
    codes = list(dict.fromkeys(code for c in HAZARD_CODE.findall(text) if (code := normal_code(c))))
    linked, foreign = [], []
    for code in codes:
        hazard = await hazard_queries.hazard_by_code(session, code)
        if hazard is None or hazard.enterprise_id != actor.enterprise_id:
            foreign.append(code)
            continue
        try:
            await campaign_ops.link_hazard(session, found, hazard, actor, now)
        except Refused:
            foreign.append(code)
            continue
        linked.append(code)
    said = []
    if linked:
        said.append(T.REPORT_HAZARDS_LINKED.format(codes="、".join(linked), code=found.code))
    if foreign:
        said.append(T.REPORT_HAZARDS_FOREIGN.format(codes="、".join(foreign)))
    return said


# --- review ----------------------------------------------------------------------------------


async def _task_named(
    session: AsyncSession, args: str, card: str | None, usage: str
) -> tuple[CampaignTask | None, str, Reply | None]:
    """Find the report a review command names: the report card replied to, or `ZX-… <企业>`."""
    task_id = _id_of(card, REPORT_KIND)
    if task_id is not None:
        return await campaign_queries.get_task(session, task_id), args, None
    words = args.split(maxsplit=2)
    if len(words) < 2 or not CODE_WORD.match(words[0]):
        return None, args, Reply(text=usage)
    found = await campaign_queries.by_code(session, words[0])
    if found is None:
        return None, args, Reply(text=T.CAMPAIGN_NOT_FOUND.format(text=words[0][:20].upper()))
    matches = [
        e for e in await park_queries.match_enterprises(session, words[1]) if park_rules.is_exact(e, words[1])
    ]
    if len(matches) != 1:
        return None, args, Reply(text=T.ENTERPRISE_NOT_FOUND.format(text=words[1][:30]))
    task = await campaign_queries.task_of(session, found.id, matches[0].id)
    if task is None:
        return None, args, Reply(text=T.REPORT_NOT_LISTED.format(enterprise=matches[0].name, code=found.code))
    return task, words[2] if len(words) > 2 else "", None


async def _review(
    session: AsyncSession,
    actor: Person,
    task: CampaignTask,
    step: Literal["accept", "return"],
    reason: str,
    settings: Settings,
    now: datetime,
    reach: Reach,
    *,
    toast: bool,
) -> list[Reply]:
    try:
        change = await (
            campaign_ops.accept(session, task, actor, now)
            if step == "accept"
            else campaign_ops.return_report(session, task, actor, reason, now)
        )
    except Refused as exc:
        said = (
            _wrong_status(exc.task, step)
            if exc.reason == Refusal.WRONG_STATUS and exc.task
            else refusal_text(exc, actor)
        )
        return [Reply(text=said, toast=toast)]
    campaign, enterprise = task.campaign, task.enterprise.name
    replies = [
        Reply(card=await build_report_card(session, task, settings), edit=True),
        await campaign_edit(session, campaign, settings, now),
    ]
    if step == "accept":
        said = T.REPORT_ACCEPTED.format(enterprise=enterprise, code=campaign.code)
        told = T.REPORT_ACCEPTED_NOTICE.format(
            enterprise=enterprise, code=campaign.code, title=campaign.title
        )
    else:
        said = T.REPORT_RETURNED.format(enterprise=enterprise, code=campaign.code, reason=reason)
        told = T.REPORT_RETURNED_NOTICE.format(
            enterprise=enterprise, code=campaign.code, title=campaign.title, reason=reason
        )
    people = recipients(change.tell, reach)
    if people:
        replies.append(Reply(text=told, people=people, about=card_key(campaign)))
    replies.append(Reply(text=said, toast=toast, about=report_key(task)))
    return replies


@router.button(ReviewButton, perm=Perm.CAMPAIGN_VERIFY)
async def review_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: ReviewButton,
    reach: Reach,
) -> HandlerResult:
    """审核通过 closes the review; 退回 asks for the reason."""
    task = await campaign_queries.get_task(session, button.task_id)
    if task is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if button.decision == "ok":
        return await _review(session, actor, task, "accept", "", settings, now, reach, toast=True)
    if task.status != TaskStatus.SUBMITTED:
        return Reply(text=_wrong_status(task, "return"), toast=True)
    if task.reporter_id == actor.id:
        return Reply(text=T.REPORT_OWN, toast=True)
    await ask(session, press.chat, actor, ReportReturn(task.id), now)
    asked = T.REPORT_RETURN_ASK.format(code=task.campaign.code, enterprise=task.enterprise.name)
    return [Reply(text=asked, about=report_key(task)), Reply(text=T.REPORT_RETURN_ASK_TOAST, toast=True)]


@router.question(ReportReturn, perm=Perm.CAMPAIGN_VERIFY)
async def return_reason(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    question: ReportReturn,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Take the reason a report is returned."""
    if _id_of(card_key, REPORT_KIND) != question.task_id and not is_answer(msg, card_key):
        return NOT_MINE
    reason = clean_text(msg.text, NOTE_LIMIT)
    if not reason:
        return Reply(text=T.REPORT_RETURN_NEED)
    await drop(session, msg.chat, actor)
    task = await campaign_queries.get_task(session, question.task_id)
    if task is None:
        return Reply(text=T.BUTTON_STALE)
    return await _review(session, actor, task, "return", reason, settings, now, reach, toast=False)


@router.command("report_accept", perm=Perm.CAMPAIGN_VERIFY, help_text=T.HELP["report_accept"])
async def report_accept(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """审核通过 as a command: `/report_accept ZX-… 华油` (or as a reply to the report card)."""
    task, _, problem = await _task_named(session, msg.args, card_key, T.REPORT_ACCEPT_USAGE)
    if task is None:
        return problem
    return await _review(session, actor, task, "accept", "", settings, now, reach, toast=False)


@router.command("report_return", perm=Perm.CAMPAIGN_VERIFY, help_text=T.HELP["report_return"])
async def report_return(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """退回 as a command: `/report_return ZX-… 华油 原因` (without a reason the bot asks for it)."""
    task, reason, problem = await _task_named(session, msg.args, card_key, T.REPORT_RETURN_USAGE)
    if task is None:
        return problem
    reason = clean_text(reason, NOTE_LIMIT)
    if not reason:
        if task.status != TaskStatus.SUBMITTED:
            return Reply(text=_wrong_status(task, "return"))
        await ask(session, msg.chat, actor, ReportReturn(task.id), now)
        return Reply(
            text=T.REPORT_RETURN_ASK.format(code=task.campaign.code, enterprise=task.enterprise.name),
            about=report_key(task),
        )
    return await _review(session, actor, task, "return", reason, settings, now, reach, toast=False)


# --- the matrix ------------------------------------------------------------------------------


def _cell(task: CampaignTask | None, campaign: Campaign, today: date) -> str:
    if task is None:
        return "－"
    if campaign_rules.is_overdue(task, campaign, today):
        return T.TASK_SYMBOLS["overdue"]
    return T.TASK_SYMBOLS[task.status]


async def matrix_text(session: AsyncSession, shown: list[Campaign], today: date) -> tuple[str, int]:
    """Return the campaigns × enterprises matrix as phone-readable text, and how many enterprises it has."""
    ents, cells = await campaign_queries.matrix(session, shown)
    lines = [T.CAMPAIGNS_HEADER.format(count=len(shown), enterprises=len(ents))]
    for n, c in zip(NUMBERS, shown, strict=False):
        p = await campaign_queries.progress(session, c, today)
        overdue = T.CAMPAIGNS_OVERDUE.format(count=p.overdue) if p.overdue else ""
        lines.append(
            T.CAMPAIGNS_LINE.format(
                n=n,
                code=c.code,
                title=c.title,
                due=c.due_date.strftime("%m-%d"),
                submitted=p.submitted,
                total=p.total,
                accepted=p.accepted,
                overdue=overdue,
            )
        )
    lines.append(T.CAMPAIGNS_LEGEND)
    for e in ents[:MATRIX_TEXT_ENTERPRISES]:
        row = " ".join(
            f"{n}{_cell(cells.get((c.id, e.id)), c, today)}" for n, c in zip(NUMBERS, shown, strict=False)
        )
        lines.append(T.CAMPAIGNS_ROW.format(enterprise=e.aliases[0] if e.aliases else e.name, cells=row))
    return "\n".join(lines), len(ents)


def write_matrix_xlsx(path: Path, shown: list[tuple[str, str]], rows: list[tuple[str, list[str]]]) -> Path:
    """Write the matrix as an Excel file: one row per enterprise, one column per campaign (blocking)."""
    from openpyxl import Workbook  # only when a matrix is exported: not on the per-update path
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = T.CAMPAIGNS_SHEET
    sheet.append([T.CAMPAIGNS_COL_ENTERPRISE, *(f"{code}\n{title}" for code, title in shown)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for name, cells in rows:
        sheet.append([name, *cells])
    sheet.column_dimensions["A"].width = 28
    sheet.freeze_panes = "B2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


@router.command("campaigns", perm=Perm.CAMPAIGN_SEND, help_text=T.HELP["campaigns"], read_only=True)
async def campaigns(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, reach: Reach
) -> HandlerResult:
    """The progress matrix (campaigns × enterprises), privately; with many enterprises (or `excel`) also as a file."""
    today = settings.park.day(now)
    year_start = datetime(today.year, 1, 1, tzinfo=settings.park.tz)
    this_year = {c.id: c for c in (p.campaign for p in await campaign_queries.progress_all(session, today, start=year_start))}
    still_open = {c.id: c for c in await campaign_queries.open_campaigns(session)}  # last year's, not yet closed
    everything = [c for _, c in sorted({**still_open, **this_year}.items())]
    if not everything:
        return Reply(text=T.CAMPAIGNS_EMPTY)
    shown = everything[-MATRIX_CAMPAIGNS:]
    text, count = await matrix_text(session, shown, today)
    reply = Reply(text=text)
    if count > MATRIX_TEXT_ENTERPRISES or msg.args.strip().lower() in ("excel", "xlsx", "表格", "文件"):
        ents, cells = await campaign_queries.matrix(session, everything)
        rows = [
            (
                e.name,
                [
                    T.TASK_STATUS_NAMES[t.status] + ("（逾期）" if campaign_rules.is_overdue(t, c, today) else "")
                    if (t := cells.get((c.id, e.id)))
                    else "－"
                    for c in everything
                ],
            )
            for e in ents
        ]
        name = T.CAMPAIGNS_FILE_NAME.format(date=today.isoformat())
        path = settings.storage.new_report_path("campaigns", ".xlsx", now.astimezone(settings.park.tz))
        await asyncio.to_thread(write_matrix_xlsx, path, [(c.code, c.title) for c in everything], rows)
        extra = f"\n{T.CAMPAIGNS_FILE}" if count > MATRIX_TEXT_ENTERPRISES else ""
        reply = Reply(text=text + extra, documents=(path,), document_names=(name,))
    return privately(actor, msg.chat, reach, reply)


# --- reminders -------------------------------------------------------------------------------


async def campaign_reminders(
    session: AsyncSession, found: Campaign, settings: Settings, now: datetime, reach: Reach
) -> tuple[list[Reply], int]:
    """Build deadline reminders for the enterprises that still owe a report; return them and how many.

    From `REMIND_DAYS_BEFORE` days before the due date (and while overdue, up to `REMIND_DAYS_AFTER`
    days), each enterprise is reminded at most once a park day, privately to its leads; a lead the bot
    cannot write to privately is named once in the park groups. Nothing in quiet hours.
    """
    park = settings.park
    if found.status != CampaignStatus.OPEN:
        return [], 0
    today = settings.park.day(now)
    subject = f"campaign:{found.id}"
    replies: list[Reply] = []
    # The day after the due date the card shows the overdue count and 已过截止日期: one edit, claimed once.
    past_due = found.due_date + timedelta(days=1)
    if today >= past_due and await reminders.claim(session, subject, "card:due", past_due, now):
        replies.append(await campaign_edit(session, found, settings, now))
    if park.is_quiet(now):
        return replies, 0
    if not (
        found.due_date - timedelta(days=REMIND_DAYS_BEFORE)
        <= today
        <= found.due_date + timedelta(days=REMIND_DAYS_AFTER)
    ):
        return replies, 0
    count = 0
    for task in await campaign_queries.tasks(session, found.id):
        if task.status not in OWED_TASKS:
            continue
        if not await reminders.claim(session, subject, f"enterprise:{task.enterprise_id}", today, now):
            continue
        count += 1
        replies += await _remind_task(session, found, task, today, now, reach, subject)
    return replies, count


async def _remind_task(
    session: AsyncSession,
    found: Campaign,
    task: CampaignTask,
    today: date,
    now: datetime,
    reach: Reach,
    subject: str,
) -> list[Reply]:
    leads = list(await people_of_enterprise(session, task.enterprise_id, [Role.LEAD]))
    late = T.CAMPAIGN_REMIND_LATE.format(days=(today - found.due_date).days) if today > found.due_date else ""
    text = T.CAMPAIGN_REMIND.format(
        enterprise=task.enterprise.name,
        code=found.code,
        title=found.title,
        due=fmt_date(found.due_date),
        late=late,
    )
    if task.status == TaskStatus.RETURNED and task.return_reason:
        text += T.CAMPAIGN_REMIND_RETURNED.format(reason=task.return_reason)
    replies: list[Reply] = []
    reached = recipients(leads, reach)
    if reached:
        button = Button(T.BTN_REPORT, ReportButton(found.id).pack(), f"/report {found.code} <说明>")
        replies.append(Reply(text=text, buttons=((button,),), people=reached, about=card_key(found)))
    for lead in leads:
        if reach(lead):
            continue
        if await reminders.claim(session, subject, f"mention:{lead.id}", found.created_at.date(), now):
            name = f"@{lead.username}" if lead.username else lead.display_name
            said = T.CAMPAIGN_REMIND_GROUP.format(name=name, code=found.code)  # never the enterprise
            replies.append(Reply(text=said, to_groups=True, about=card_key(found)))
    return replies
