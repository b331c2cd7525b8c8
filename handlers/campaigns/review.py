"""Review of submissions: 审核通过 / 退回 on a submission's card, their commands /report_accept and
/report_return, and the reason asked for when a submission is returned without one.

The cards are `card.py`; the operations and their rules are `domain/campaigns/operations.accept` /
`return_submission` and `rules.py` (managers review, never their own submission).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Button, ButtonPress, Incoming, Reply, clean_text
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.campaigns import operations as campaign_ops
from domain.campaigns import queries as campaign_queries
from domain.campaigns.rules import Step, check_review, may_step
from domain.outcome import Refused
from domain.park import queries as park_queries
from domain.park import rules as park_rules
from domain.park.rules import Perm
from handlers import texts as T
from handlers.campaigns.card import (
    CODE_WORD,
    NOTE_LIMIT,
    ReviewButton,
    build_submission_card,
    campaign_edit,
    card_key_of,
    refusal_text,
    submission_key,
    task_id_of,
    wrong_status,
)
from handlers.util import Reach, is_answer, recipients, refuse
from storage.models import CampaignTask, Person

router = Router("campaigns.review")


@dataclass(frozen=True)
class ReturnReason(Question, kind="campaign_return", ttl=timedelta(hours=24)):
    """The reason a manager returns a submission."""

    task_id: int


async def _task_named(
    session: AsyncSession, args: str, card: str | None, usage: str, decision: Literal["ok", "back"]
) -> tuple[CampaignTask | None, str, Reply | None]:
    """Find the submission a review command names: the submission card replied to, or `ZX-… <企业>`; a
    near enterprise name gets the review buttons of the submissions it may mean."""
    task_id = task_id_of(card)
    if task_id is not None:
        return await campaign_queries.get_task(session, task_id), args, None
    words = args.split(maxsplit=2)
    if len(words) < 2 or not CODE_WORD.match(words[0]):
        return None, args, Reply(text=usage)
    found = await campaign_queries.by_code(session, words[0])
    if found is None:
        return None, args, Reply(text=T.CAMPAIGN_NOT_FOUND.format(text=words[0][:20].upper()))
    near = await park_queries.match_enterprises(session, words[1])
    matches = [e for e in near if park_rules.is_exact(e, words[1])]
    if len(matches) != 1:
        # A near name (路味 for 鲁味) is offered as buttons on its submission, never acted on by itself.
        offered = [(e, await campaign_queries.task_of(session, found.id, e.id)) for e in near]
        label = T.BTN_REPORT_ACCEPT if decision == "ok" else T.BTN_REPORT_RETURN
        buttons = tuple(
            (Button(f"{label}：{e.name}", ReviewButton(t.id, decision).pack()),) for e, t in offered if t is not None
        )
        if buttons:
            return None, args, Reply(text=T.ENTERPRISE_PICK.format(text=words[1][:30]), buttons=buttons)
        return None, args, Reply(text=T.ENTERPRISE_NOT_FOUND.format(text=words[1][:30]))
    task = await campaign_queries.task_of(session, found.id, matches[0].id)
    if task is None:
        return None, args, Reply(text=T.REPORT_NOT_LISTED.format(enterprise=matches[0].name, code=found.code))
    return task, words[2] if len(words) > 2 else "", None


async def _review(
    session: AsyncSession,
    actor: Person,
    task: CampaignTask,
    step: Step,
    reason: str,
    settings: Settings,
    now: datetime,
    reach: Reach,
    *,
    toast: bool,
) -> list[Reply]:
    """Accept or return a submission; edit both cards, tell the enterprise side, confirm to the reviewer."""
    try:
        change = await (
            campaign_ops.accept(session, task, actor, now)
            if step == Step.ACCEPT
            else campaign_ops.return_submission(session, task, actor, reason, now)
        )
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor, step=step), toast=toast)]
    campaign, enterprise = task.campaign, task.enterprise.name
    replies = [
        Reply(card=await build_submission_card(session, task, settings), edit=True),
        await campaign_edit(session, campaign, settings, now),
    ]
    if step == Step.ACCEPT:
        said = T.REPORT_ACCEPTED.format(enterprise=enterprise, code=campaign.code)
        told = T.REPORT_ACCEPTED_NOTICE.format(enterprise=enterprise, code=campaign.code, title=campaign.title)
    else:
        said = T.REPORT_RETURNED.format(enterprise=enterprise, code=campaign.code, reason=reason)
        told = T.REPORT_RETURNED_NOTICE.format(
            enterprise=enterprise, code=campaign.code, title=campaign.title, reason=reason
        )
    people = recipients((person for _, person in change.told()), reach)
    if people:
        replies.append(Reply(text=told, people=people, about=card_key_of(campaign)))
    replies.append(Reply(text=said, toast=toast, about=submission_key(task)))
    return replies


def _ask_reason(task: CampaignTask) -> Reply:
    """Ask the reviewer why the submission goes back, as a reply about its card."""
    asked = T.REPORT_RETURN_ASK.format(code=task.campaign.code, enterprise=task.enterprise.name)
    return Reply(text=asked, about=submission_key(task))


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
    """Accept a submission on 审核通过; ask the reason on 退回."""
    task = await campaign_queries.get_task(session, button.task_id)
    if task is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if button.decision == "ok":
        return await _review(session, actor, task, Step.ACCEPT, "", settings, now, reach, toast=True)
    if not may_step(task, Step.RETURN):
        return Reply(text=wrong_status(task, Step.RETURN), toast=True)
    try:
        check_review(actor, task)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor, step=Step.RETURN), toast=True)
    await ask(session, press.chat, actor, ReturnReason(task.id), now)
    return [_ask_reason(task), Reply(text=T.REPORT_RETURN_ASK_TOAST, toast=True)]


@router.question(ReturnReason, perm=Perm.CAMPAIGN_VERIFY)
async def return_reason(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    question: ReturnReason,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Take the reason a submission is returned."""
    if task_id_of(card_key) != question.task_id and not is_answer(msg, card_key):
        return NOT_MINE
    reason = clean_text(msg.text, NOTE_LIMIT)
    if not reason:
        return Reply(text=T.REPORT_RETURN_NEED)
    await drop(session, msg.chat, actor)
    task = await campaign_queries.get_task(session, question.task_id)
    if task is None:
        return Reply(text=T.BUTTON_STALE)
    return await _review(session, actor, task, Step.RETURN, reason, settings, now, reach, toast=False)


@router.command("report_accept", perm=Perm.CAMPAIGN_VERIFY, help_text=T.HELP["report_accept"])
async def accept_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Accept a submission by command: `/report_accept ZX-… 华油` (or as a reply to the submission's card)."""
    task, _, problem = await _task_named(session, msg.args, card_key, T.REPORT_ACCEPT_USAGE, "ok")
    if task is None:
        return problem
    return await _review(session, actor, task, Step.ACCEPT, "", settings, now, reach, toast=False)


@router.command("report_return", perm=Perm.CAMPAIGN_VERIFY, help_text=T.HELP["report_return"])
async def return_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Return a submission by command: `/report_return ZX-… 华油 原因` (without a reason the bot asks for it)."""
    task, reason, problem = await _task_named(session, msg.args, card_key, T.REPORT_RETURN_USAGE, "back")
    if task is None:
        return problem
    reason = clean_text(reason, NOTE_LIMIT)
    if not reason:
        if not may_step(task, Step.RETURN):
            return Reply(text=wrong_status(task, Step.RETURN))
        await ask(session, msg.chat, actor, ReturnReason(task.id), now)
        return _ask_reason(task)
    return await _review(session, actor, task, Step.RETURN, reason, settings, now, reach, toast=False)
