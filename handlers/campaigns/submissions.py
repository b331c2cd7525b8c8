"""Submissions (自查报告): an enterprise's lead answers a campaign with text, photos or files, by /report, by
the 提交自查报告 button (the bot asks), or by replying to the campaign card; managers get the
submission's card to review (`review.py`). Hazards a submission names (YH-…) are linked to the campaign.

The cards are `card.py`; the operation and its rules are `domain/campaigns/operations.submit` and
`rules.py`. The commands keep their names (/report); in code a campaign's report is a submission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, ButtonPress, ChatRef, Incoming, Reply, clean_text
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.campaigns import operations as campaign_ops
from domain.campaigns import queries as campaign_queries
from domain.campaigns.rules import Refusal, Step, is_submitter, may_step, may_submit
from domain.codes import normal_code
from domain.hazards import queries as hazard_queries
from domain.outcome import Refused
from domain.park.rules import Perm, is_manager
from handlers import texts as T
from handlers.broadcast import file_views, private_chat, store_files
from handlers.campaigns.card import (
    CARD_KIND,
    CODE_WORD,
    NOTE_LIMIT,
    SUBMISSION_KIND,
    SubmitButton,
    build_submission_card,
    campaign_edit,
    campaign_id_of,
    card_key_of,
    find_campaign,
    refusal_text,
    submission_key,
    task_id_of,
    wrong_status,
)
from handlers.util import (
    ADD_MINUTES,
    ADD_WINDOW,
    Reach,
    added_what,
    adds_to,
    is_answer,
    recipient,
    recipients,
    refuse,
)
from storage import cards
from storage.enums import CampaignStatus
from storage.models import Campaign, CampaignTask, Document, Person, Photo

router = Router("campaigns.submissions")

HAZARD_CODE = re.compile(r"YH-\d{4}-\d{1,6}", re.IGNORECASE)


@dataclass(frozen=True)
class SubmissionContent(Question, kind="campaign_report", ttl=timedelta(hours=24)):
    """The self-inspection the bot asked for: text, photos or files (an album's photos gathered first)."""

    campaign_id: int
    photo_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class SubmissionMore(Question, kind="campaign_report_more", ttl=ADD_WINDOW):
    """A short while after a submission: the submitter's next photos and files in that chat join it
    (the rest of the album it came with joins its event; anything else is an addition, 补充材料)."""

    task_id: int
    event_id: int
    media_group_id: str | None = None

    tell_expiry = False  # nobody was asked; the confirmation said how long it lasts

    def expects(self, msg: Incoming) -> bool:
        """Only photos and files: addressed to the bot, or the rest of the submission's album."""
        return adds_to(msg, self.media_group_id)


@router.command("report", perm=Perm.CAMPAIGN_REPORT, help_text=T.HELP["report"])
async def submit_command(
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
    """Submit the enterprise's self-inspection: `/report ZX-… 说明` (or a title), or as a reply to the campaign card."""
    text = clean_text(msg.args, NOTE_LIMIT * 2)
    campaign_id = campaign_id_of(card_key)
    if campaign_id is None and isinstance(question, SubmissionContent):
        campaign_id = question.campaign_id
    found: Campaign | None = await campaign_queries.get(session, campaign_id) if campaign_id is not None else None
    note = text
    guessed: str | None = None  # the first word, when it named no campaign and the only open one was taken
    if found is None:
        words = text.split(maxsplit=1)
        if not words:
            return Reply(text=T.REPORT_USAGE)
        named = await find_campaign(session, words[0])
        if isinstance(named, str):
            opened = await campaign_queries.open_campaigns(session)
            if len(opened) == 1 and not CODE_WORD.match(words[0]):
                named = opened[0]  # the park runs one campaign: the whole text is the submission
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
        if isinstance(question, SubmissionContent) and question.campaign_id == found.id
        else []
    )
    photos = await _photos(session, earlier) + photos
    if not note and not photos and not documents:
        if problem:
            return Reply(text=problem)
        return await _ask(session, actor, found, msg.chat, now, reach, toast=False)
    return await submit(
        session, actor, found, note, photos, documents, msg, settings, now, reach, problem, guessed
    )


async def _photos(session: AsyncSession, ids: list[int]) -> list[Photo]:
    """Return the photo rows of an album gathered so far (those still there)."""
    return [p for p in [await session.get(Photo, i) for i in ids] if p is not None]


async def _ask(
    session: AsyncSession,
    actor: Person,
    found: Campaign,
    chat: ChatRef,
    now: datetime,
    reach: Reach,
    *,
    toast: bool,
) -> list[Reply]:
    """Ask for the submission (or, while it is in review, what to add to it): privately when the bot can
    write to the person, else as a reply here."""
    asked = T.REPORT_ASK.format(code=found.code, title=found.title)
    owned = await campaign_queries.task_of(session, found.id, actor.enterprise_id) if actor.enterprise_id else None
    if owned is not None and may_step(owned, Step.ADD):
        asked = T.REPORT_ASK_MORE.format(code=found.code, title=found.title)
    private = private_chat(actor, reach) if chat.is_group else None
    if private is not None:
        await ask(session, private, actor, SubmissionContent(found.id), now)
        replies = [Reply(text=asked, people=(recipient(actor),), about=card_key_of(found))]
        return replies + ([Reply(text=T.REPORT_ASK_TOAST, toast=True)] if toast else [])
    await ask(session, chat, actor, SubmissionContent(found.id), now)
    replies = [Reply(text=asked, about=card_key_of(found))]
    return replies + ([Reply(text=T.REPORT_ASK_TOAST_HERE, toast=True)] if toast else [])


@router.button(SubmitButton, perm=Perm.PUBLIC)
async def submit_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    now: datetime,
    button: SubmitButton,
    reach: Reach,
) -> HandlerResult:
    """Ask the enterprise's lead for the submission on 提交自查报告 (others hear who answers)."""
    found = await campaign_queries.get(session, button.campaign_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if actor.enterprise_id is None or not may_submit(actor, actor.enterprise_id):
        return Reply(text=refusal_text(Refused(Refusal.NOT_ALLOWED), actor, found), toast=True)
    task = await campaign_queries.task_of(session, found.id, actor.enterprise_id)
    if task is None:
        return Reply(text=refusal_text(Refused(Refusal.NOT_LISTED), actor, found), toast=True)
    if found.status != CampaignStatus.OPEN:
        return Reply(text=T.REPORT_CLOSED.format(code=found.code), toast=True)
    if not may_step(task, Step.SUBMIT):
        return Reply(text=wrong_status(task, Step.SUBMIT), toast=True)
    return await _ask(session, actor, found, press.chat, now, reach, toast=True)


@router.question(SubmissionContent, perm=Perm.CAMPAIGN_REPORT)
async def submission_answer(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: SubmissionContent,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Take the submission the bot asked for: its text and its photos or files."""
    if campaign_id_of(card_key) != question.campaign_id and not is_answer(msg, card_key):
        return NOT_MINE
    found = await campaign_queries.get(session, question.campaign_id)
    if found is None:
        await drop(session, msg.chat, actor)
        return Reply(text=T.BUTTON_STALE)
    note = clean_text(msg.text, NOTE_LIMIT * 2)
    if len(note) > NOTE_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=NOTE_LIMIT, length=len(note)))
    photos, documents, problem = await store_files(session, attachments, settings, now)
    earlier = await _photos(session, question.photo_ids)
    if not note and not documents:
        if photos and msg.media_group_id:  # the rest of an album may carry the words: keep waiting
            gathered = replace(question, photo_ids=[*question.photo_ids, *(p.id for p in photos)])
            await ask(session, msg.chat, actor, gathered, now)
            return []
        if not photos:
            return Reply(text=problem or T.REPORT_NEED_CONTENT)
    await drop(session, msg.chat, actor)
    return await submit(session, actor, found, note, earlier + photos, documents, msg, settings, now, reach, problem)


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
    """Take a lead's reply to the campaign card with photos or files as the submission; ignore other chatter."""
    found = await campaign_queries.get(session, campaign_id_of(card_key) or 0)
    if found is None or not is_submitter(actor) or not (attachments or msg.chat.is_group is False):
        return [] if msg.chat.is_group else Reply(text=T.CARD_REPLY_HINT)
    photos, documents, problem = await store_files(session, attachments, settings, now)
    note = clean_text(msg.text, NOTE_LIMIT)
    if not photos and not documents:
        return [] if msg.chat.is_group else Reply(text=problem or T.REPORT_USAGE)
    return await submit(session, actor, found, note, photos, documents, msg, settings, now, reach, problem)


async def submit(
    session: AsyncSession,
    actor: Person,
    found: Campaign,
    note: str,
    photos: list[Photo],
    documents: list[Document],
    msg: Incoming,
    settings: Settings,
    now: datetime,
    reach: Reach,
    problem: str | None = None,
    guessed: str | None = None,
) -> list[Reply]:
    """Submit the self-inspection; the campaign card counts it, managers get the submission's card to review.

    A submission still in review is added to instead (补充材料): nothing sent is refused or replaces it.
    `guessed`: the first word of `/report`, which named no campaign, so the only open one was taken; the
    submitter is told which campaign the submission was filed under. For a short while afterwards the
    submitter's next photos and files in this chat (the rest of an album first) join the submission.
    """
    chat = msg.chat
    owned = await campaign_queries.task_of(session, found.id, actor.enterprise_id) if actor.enterprise_id else None
    if owned is not None and may_step(owned, Step.ADD) and may_submit(actor, owned.enterprise_id):
        return await add(session, actor, owned, note, photos, documents, msg, settings, now, reach, problem)
    try:
        change = await campaign_ops.submit(session, found, actor, note, now, photos=photos, documents=documents)
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor, found))]
    task = change.subject
    linked = await _link_named_hazards(session, found, actor, note, now)
    replies = [await campaign_edit(session, found, settings, now)]
    card = await build_submission_card(session, task, settings)
    views = await file_views(session, "task", task.id)
    documents_sent = tuple(settings.storage.photo_dir / v.path for v in views)
    names = tuple(v.name for v in views)
    has_copy = {(p.platform, p.chat_id) for p in await cards.card_posts(session, card.key, None)}
    managers = [person for _, person in change.told()]
    fresh = [m for m in managers if (m.platform, m.private_chat_id) not in has_copy]
    again = [m for m in managers if (m.platform, m.private_chat_id) in has_copy]
    if has_copy:
        replies.append(Reply(card=card, edit=True))
    if fresh:
        replies.append(
            Reply(card=card, people=recipients(fresh, reach), documents=documents_sent, document_names=names)
        )
    if again:
        text = T.REPORT_RESUBMITTED_NOTE.format(enterprise=task.enterprise.name, code=found.code)
        replies.append(Reply(text=text, people=recipients(again, reach), about=submission_key(task)))
    said = T.REPORT_SUBMITTED.format(enterprise=task.enterprise.name, code=found.code)
    if guessed is not None:
        said += "\n" + T.REPORT_FILED_UNDER.format(code=found.code, title=found.title, text=guessed[:20])
    notes = [said, *linked] + ([T.NOTICE_FILES_REFUSED.format(problem=problem)] if problem else [])
    notes.append(T.REPORT_ADD_WINDOW.format(minutes=ADD_MINUTES))
    replies.append(Reply(text="\n".join(notes), about=submission_key(task)))
    assert change.event is not None
    await ask(session, chat, actor, SubmissionMore(task.id, change.event.id, msg.media_group_id), now)
    return replies


@router.question(SubmissionMore, perm=Perm.CAMPAIGN_REPORT)
async def more_for_submission(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: SubmissionMore,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Add the photos and files sent shortly after a submission to it (the rest of its album joins its event)."""
    album = msg.media_group_id is not None and msg.media_group_id == question.media_group_id
    if not question.expects(msg) or not (album or task_id_of(card_key) == question.task_id or is_answer(msg, card_key)):
        return NOT_MINE  # text, a reply to another card, or group chatter: routed as usual
    task = await campaign_queries.get_task(session, question.task_id)
    if task is None:
        await drop(session, msg.chat, actor)
        return NOT_MINE
    photos, documents, problem = await store_files(session, attachments, settings, now)
    note = "" if album else clean_text(msg.text, NOTE_LIMIT * 2)
    if may_step(task, Step.SUBMIT):  # returned meanwhile: what comes now is the resubmission
        return await submit(session, actor, task.campaign, note, photos, documents, msg, settings, now, reach, problem)
    event_id = question.event_id if album else None
    return await add(session, actor, task, note, photos, documents, msg, settings, now, reach, problem, event_id)


@router.card_reply(SUBMISSION_KIND, perm=Perm.PUBLIC)
async def reply_to_submission(
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
    """Take a reply to a submission's card (or to its confirmation): the enterprise adds to it (补充材料)
    until it is decided, or submits again after a return; a manager is shown how to review."""
    task = await campaign_queries.get_task(session, task_id_of(card_key) or 0)
    if task is None or not may_submit(actor, task.enterprise_id):
        if task is not None and is_manager(actor):
            return Reply(text=T.REPORT_CARD_REPLY_MANAGER)
        return [] if msg.chat.is_group else Reply(text=T.CARD_REPLY_HINT)
    photos, documents, problem = await store_files(session, attachments, settings, now)
    note = clean_text(msg.text, NOTE_LIMIT * 2)
    if not note and not photos and not documents:
        return Reply(text=problem or T.REPORT_NEED_CONTENT)
    if len(note) > NOTE_LIMIT:
        return Reply(text=T.NOTICE_TOO_LONG.format(limit=NOTE_LIMIT, length=len(note)))
    if may_step(task, Step.ADD):
        return await add(session, actor, task, note, photos, documents, msg, settings, now, reach, problem)
    return await submit(session, actor, task.campaign, note, photos, documents, msg, settings, now, reach, problem)


async def add(
    session: AsyncSession,
    actor: Person,
    task: CampaignTask,
    note: str,
    photos: list[Photo],
    documents: list[Document],
    msg: Incoming,
    settings: Settings,
    now: datetime,
    reach: Reach,
    problem: str | None = None,
    event_id: int | None = None,
) -> list[Reply]:
    """Add text, photos or files to a submission in review; its card changes everywhere, managers get what came.

    With `event_id` (the rest of the album the submission came with) the submitter is told nothing more.
    """
    if len(note) > NOTE_LIMIT:
        return [Reply(text=T.NOTICE_TOO_LONG.format(limit=NOTE_LIMIT, length=len(note)))]
    if not note and not photos and not documents:
        return [] if event_id is not None else [Reply(text=problem or T.REPORT_NEED_CONTENT)]
    try:
        change = await campaign_ops.add_to_submission(
            session, task, actor, note, now, photos=photos, documents=documents, event_id=event_id
        )
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor, task.campaign, step=Step.ADD))]
    if change.event is None:
        return [] if event_id is not None else [Reply(text=T.ADD_NOTHING)]
    replies = [Reply(card=await build_submission_card(session, task, settings), edit=True)]
    campaign, enterprise = task.campaign, task.enterprise.name
    what = added_what(note, photos, documents)
    # Managers get what came (the card shows one photo): an addition with a line, the rest of an album as such.
    told = recipients((person for _, person in change.told()), reach)
    if told:
        root = settings.storage.photo_dir
        line = T.REPORT_ALBUM_MORE if event_id is not None else T.REPORT_ADDED_NOTE
        replies.append(
            Reply(
                text=line.format(enterprise=enterprise, code=campaign.code, what=what),
                people=told,
                photos=tuple(root / p.path for p in photos),
                documents=tuple(root / d.path for d in documents),
                document_names=tuple(d.file_name for d in documents),
                about=submission_key(task),
            )
        )
    if event_id is not None:  # the submitter heard about the submission already
        return replies + ([Reply(text=T.NOTICE_FILES_REFUSED.format(problem=problem))] if problem else [])
    said = [T.REPORT_ADDED.format(enterprise=enterprise, code=campaign.code, what=what)]
    said += await _link_named_hazards(session, campaign, actor, note, now)
    said += [T.NOTICE_FILES_REFUSED.format(problem=problem)] if problem else []
    replies.append(Reply(text="\n".join(said), about=submission_key(task)))
    # Photos sent one by one (or another album) go on joining it for a short while.
    assert change.event is not None
    await ask(session, msg.chat, actor, SubmissionMore(task.id, change.event.id, msg.media_group_id), now)
    return replies


async def _link_named_hazards(
    session: AsyncSession, found: Campaign, actor: Person, text: str, now: datetime
) -> list[str]:
    """Link the hazards a submission names (YH-…) to the campaign; return what to tell the submitter."""
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
