"""The campaign card, the card of one enterprise's submission (自查报告), and what every campaign module
reads: their buttons, the campaign a command names, and refusals in words.

No routes here: `launch.py` (/campaign), `submissions.py` (/report and its button, question and card
reply), `review.py` (审核通过 / 退回, /report_accept, /report_return), `matrix.py` (/campaigns) and the
reminders (`reminders.py`, sent by `schedules/campaigns.py`) build on it. The rules are in
`domain/campaigns/rules.py`. A self-inspection report is a "submission" in code; the stored names
(button prefix `zxrep`, card kind `report`, question kind `campaign_report`) stay as they were.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Button, Card, CardField, CardStatus, Reply
from domain.campaigns import queries as campaign_queries
from domain.campaigns.rules import Refusal, Step
from domain.outcome import Refused
from domain.park.rules import is_manager
from handlers import texts as T
from handlers.broadcast import files_line, id_in_key
from handlers.util import fmt_date, fmt_time, own_enterprise
from storage.attachments import files as stored_files
from storage.enums import CampaignStatus, Role, TaskStatus
from storage.models import BroadcastFile, Campaign, CampaignTask, Person

CARD_KIND = "campaign"
SUBMISSION_KIND = "report"  # the card kind of a submission, as stored with its posts
TITLE_LIMIT = 60
TEXT_LIMIT = 2000
NOTE_LIMIT = 2000
CODE_WORD = re.compile(r"^ZX-\d{4}-\d{1,4}$", re.IGNORECASE)


@dataclass(frozen=True)
class SubmitButton(CallbackData, prefix="zxrep"):
    """提交自查报告 on a campaign card (and on a reminder): ask for the submission."""

    campaign_id: int


@dataclass(frozen=True)
class ReviewButton(CallbackData, prefix="zxrev"):
    """审核通过 / 退回 on a submission card."""

    task_id: int
    decision: Literal["ok", "back"]


def card_key_of(campaign: Campaign) -> str:
    """Return the card key of a campaign."""
    return f"{CARD_KIND}:{campaign.id}"


def submission_key(task: CampaignTask) -> str:
    """Return the card key of one enterprise's submission."""
    return f"{SUBMISSION_KIND}:{task.id}"


def campaign_id_of(key: str | None) -> int | None:
    """Return the campaign id named by a card key (the card itself, or a message about it)."""
    return id_in_key(key, CARD_KIND)


def task_id_of(key: str | None) -> int | None:
    """Return the task id named by a submission card's key."""
    return id_in_key(key, SUBMISSION_KIND)


def submit_button(campaign: Campaign) -> Button:
    """Return the 提交自查报告 button of a campaign, with its command."""
    return Button(T.BTN_REPORT, SubmitButton(campaign.id).pack(), f"/report {campaign.code} <说明>")


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
    return Card(
        key=card_key_of(campaign),
        kind=CARD_KIND,
        title=T.CAMPAIGN_CARD_TITLE.format(code=campaign.code),
        fields=tuple(fields),
        status=status,
        photos=photos[:1],
        actions=((submit_button(campaign),),) if open_ else (),
    )


async def build_submission_card(session: AsyncSession, task: CampaignTask, settings: Settings) -> Card:
    """Build the card of one enterprise's submission: what it says, its files, the review and its buttons."""
    campaign, enterprise = task.campaign, task.enterprise
    fields = [
        CardField("campaign", T.RF_CAMPAIGN, f"{campaign.code} {campaign.title}"),
        CardField("enterprise", T.RF_ENTERPRISE, enterprise.name),
    ]
    if task.reporter_id is not None:
        submitter = await session.get(Person, task.reporter_id)
        fields.append(CardField("reporter", T.RF_REPORTER, submitter.display_name if submitter else T.NONE))
    if task.submitted_at is not None:
        fields.append(CardField("submitted", T.RF_SUBMITTED, fmt_time(task.submitted_at, settings.park.tz)))
    attached = await stored_files(session, "task", task.id)
    notes = await notes_shown(session, task, settings, attached)
    if notes:
        fields.append(CardField("note", T.RF_NOTE, notes))
    if attached:
        fields.append(CardField("files", T.RF_FILES, files_line(attached)))
    linked = await campaign_queries.linked_hazards(session, campaign.id)
    hazards = [h.code for h in linked if h.enterprise_id == enterprise.id]
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
        accept = Button(
            T.BTN_REPORT_ACCEPT, ReviewButton(task.id, "ok").pack(), f"/report_accept {campaign.code} {short}"
        )
        back = Button(
            T.BTN_REPORT_RETURN,
            ReviewButton(task.id, "back").pack(),
            f"/report_return {campaign.code} {short} <原因>",
        )
        actions = ((accept, back),)
    photos = tuple(settings.storage.photo_dir / f.photo.path for f in attached if f.photo is not None)
    return Card(
        key=submission_key(task),
        kind=SUBMISSION_KIND,
        title=T.REPORT_CARD_TITLE.format(code=campaign.code, enterprise=enterprise.name),
        fields=tuple(fields),
        status=CardStatus(task.status.value, T.TASK_STATUS_NAMES[task.status], T.F_STATUS),
        photos=photos[:1],
        actions=actions,
    )


async def notes_shown(
    session: AsyncSession, task: CampaignTask, settings: Settings, attached: Sequence[BroadcastFile]
) -> str:
    """Return what a submission says: its one text, or every text it was given and every addition
    (补充材料, with the files it brought), newest first, each with when and how it came; an earlier text is
    never replaced."""
    events = await campaign_queries.submission_events(session, task.id)
    brought: dict[int, list[BroadcastFile]] = {}
    for f in attached:
        if f.event_id is not None:
            brought.setdefault(f.event_id, []).append(f)
    shown = [e for e in events if e.note or (e.action == "add" and e.id in brought)]
    if len(shown) <= 1 and not any(e.action == "add" for e in shown):
        return shown[0].note or "" if shown else (task.note or "")
    first_submit = min((e.id for e in events if e.action == "submit"), default=None)
    lines = []
    for e in shown:
        what = "first" if e.id == first_submit else e.action
        note = e.note or ""
        if e.action == "add" and e.id in brought:
            files = files_line(brought[e.id])
            note = T.RF_NOTE_WITH_FILES.format(note=note, files=files) if note else files
        when = fmt_time(e.at, settings.park.tz)[5:]
        lines.append(T.RF_NOTE_LINE.format(when=when, what=T.RF_NOTE_WHAT.get(what, what), note=note))
    return "\n".join(lines)


async def campaign_edit(session: AsyncSession, campaign: Campaign, settings: Settings, now: datetime) -> Reply:
    """Return an in-place edit of every copy of a campaign's card."""
    return Reply(card=await build_card(session, campaign, settings, now), edit=True)


async def find_campaign(session: AsyncSession, text: str) -> Campaign | str:
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
    return T.CAMPAIGN_AMBIGUOUS.format(text=text[:30], codes="、".join(f"{c.code}（{c.title}）" for c in matches))


def refusal_text(exc: Refused, actor: Person, campaign: Campaign | None = None, step: Step = Step.SUBMIT) -> str:
    """Say why a campaign operation was refused (`step`: what was tried, for a task in the wrong status)."""
    task: CampaignTask | None = exc.subject
    code = task.campaign.code if task is not None else (campaign.code if campaign is not None else "")
    enterprise = task.enterprise.name if task is not None else own_enterprise(actor)
    match exc.reason:
        case Refusal.WRONG_STATUS if task is not None:
            return wrong_status(task, step)
        case Refusal.NOT_LISTED:
            return T.REPORT_NOT_LISTED.format(enterprise=enterprise, code=code)
        case Refusal.CLOSED:
            return T.REPORT_CLOSED.format(code=code)
        case Refusal.OWN_SUBMISSION:
            return T.REPORT_OWN
        case Refusal.NOT_ALLOWED if actor.enterprise_id is None and is_manager(actor):
            return T.REPORT_MANAGER.format(code=code)
        case Refusal.NOT_ALLOWED if actor.enterprise_id is None:
            return T.REPORT_NO_ENTERPRISE
        case Refusal.NOT_ALLOWED if actor.role == Role.MEMBER:
            return T.REPORT_NOT_LEAD
        case _:
            return T.need_role(["admin", "manager"], actor.role)


def wrong_status(task: CampaignTask, step: Step) -> str:
    """Say why a task's status does not allow the step (already accepted, in review…)."""
    if step == Step.ACCEPT and task.status == TaskStatus.ACCEPTED:
        return T.REPORT_ALREADY_ACCEPTED.format(enterprise=task.enterprise.name, code=task.campaign.code)
    return T.REPORT_WRONG_STATUS.format(
        enterprise=task.enterprise.name,
        code=task.campaign.code,
        status=T.REPORT_STATUS_NAMES[task.status],
        what=T.REPORT_WHAT[step],
    )
