"""A notice's kind after it went out: /notice_kind (/通知类别, /会议类别) and the buttons under the issuer's
confirmation (方案, 预案, …). A meeting is a 例会, 动员会（专题会）, 培训会 or 其他会议; a notice a 通知, 方案,
预案, 制度 or 通报. Issued, the kind is inferred from the title and the files' names
(`domain/notices/rules.infer_category`); who may change it is the issuer or a manager (`may_correct`).
Receipts stand and nobody is told; the card changes in place and the change is an event in its history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Button, ButtonPress, Incoming, Reply, clean_text
from bot.routing import HandlerResult, Router
from domain.notices import operations as notice_ops
from domain.notices import queries as notice_queries
from domain.notices import rules as notice_rules
from domain.notices.rules import Refusal
from domain.outcome import Refused
from domain.park.rules import Perm
from handlers import texts as T
from handlers.notices.card import card_edit, card_key_of, refusal_text
from handlers.notices.corrections import named
from handlers.util import refuse
from storage.enums import NoticeCategory, NoticeKind
from storage.models import Campaign, Notice, Person

router = Router("notices.kinds")
BUTTONS_PER_ROW = 3


@dataclass(frozen=True)
class KindButton(CallbackData, prefix="ntkind"):
    """A kind under the issuer's confirmation of a notice: change the notice to it."""

    notice_id: int
    category: str


def choices_text(kind: NoticeKind) -> str:
    """Name the kinds a meeting or a notice may have: 例会、动员会（专题会）、培训会、其他会议."""
    return "、".join(T.NOTICE_CATEGORY_NAMES[c] for c in notice_rules.categories_of(kind))


def kind_buttons(notice: Notice) -> tuple[tuple[Button, ...], ...]:
    """Return a button for each kind the notice may have, each with its command (the message stays as it was
    sent, so its current kind is among them: pressed, it says so and changes nothing)."""
    buttons = [
        Button(
            T.BTN_NOTICE_KIND.format(category=T.NOTICE_CATEGORY_NAMES[c]),
            KindButton(notice.id, c).pack(),
            f"/notice_kind {notice.code} {T.NOTICE_CATEGORY_NAMES[c].split('（')[0]}",
        )
        for c in notice_rules.categories_of(notice.kind)
    ]
    return tuple(tuple(buttons[i : i + BUTTONS_PER_ROW]) for i in range(0, len(buttons), BUTTONS_PER_ROW))


@router.command("notice_kind", perm=Perm.NOTICE_SEND, help_text=T.HELP["notice_kind"])
async def notice_kind(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
) -> HandlerResult:
    """Change a notice's kind: `/notice_kind TZ-2026-03 方案`, `/notice_kind HY-2026-02 动员会` (or on its card)."""
    found, rest, problem = await named(session, clean_text(msg.args, 100), card_key, T.NOTICE_KIND_USAGE)
    if found is None:
        return Reply(text=problem)
    words = rest.replace("：", " ").replace(":", " ").split()
    if not words or len(words) > 2:
        return Reply(text=T.NOTICE_KIND_USAGE)
    category = T.NOTICE_CATEGORY_WORDS.get(words[0])
    if category is None:
        kind, choices = T.NOTICE_KIND_NAMES[found.kind], choices_text(found.kind)
        return Reply(text=T.NOTICE_KIND_UNKNOWN.format(text=words[0][:20], kind=kind, choices=choices))
    campaign = None
    if len(words) == 2:  # 动员会 ZX-2026-01: the campaign it mobilises for
        campaign = await notice_queries.campaign_by_code(session, words[1])
        if campaign is None:
            return Reply(text=T.NOTICE_KIND_NO_CAMPAIGN.format(text=words[1][:20]))
    return await _set(
        session, found, actor, NoticeCategory(category), settings, now, toast=False, campaign=campaign
    )


@router.button(KindButton, perm=Perm.NOTICE_SEND)
async def kind_pressed(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: KindButton,
) -> HandlerResult:
    """改为<类别>: the same change as the command (checked again: the issuer or a manager)."""
    found = await notice_queries.get(session, button.notice_id)
    category = next((c for c in NoticeCategory if c.value == button.category), None)
    if found is None or category is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    return await _set(session, found, actor, category, settings, now, toast=True)


async def _set(
    session: AsyncSession,
    found: Notice,
    actor: Person,
    category: NoticeCategory,
    settings: Settings,
    now: datetime,
    *,
    toast: bool,
    campaign: Campaign | None = None,
) -> list[Reply]:
    """Change the kind; edit the card everywhere and say what changed (a toast for a button)."""
    before = found.category
    try:
        change = await notice_ops.set_category(session, found, actor, category, now, campaign=campaign)
    except Refused as exc:
        if exc.reason == Refusal.WRONG_CATEGORY:
            kind, choices = T.NOTICE_KIND_NAMES[found.kind], choices_text(found.kind)
            said = T.NOTICE_KIND_WRONG.format(code=found.code, kind=kind, choices=choices)
        elif exc.reason == Refusal.CAMPAIGN_MOBILISATION:
            said = T.NOTICE_KIND_CAMPAIGN_ONLY
        elif exc.reason == Refusal.WITHDRAWN:
            said = T.NOTICE_NOT_OPEN.format(code=found.code, status="撤回")
        else:
            said = refusal_text(exc, actor)
        return [Reply(text=said, toast=toast)]
    if not change.changed:
        return [
            Reply(
                text=T.NOTICE_KIND_SAME.format(code=found.code, category=T.NOTICE_CATEGORY_NAMES[category]),
                toast=toast,
            )
        ]
    if before == category:
        done = T.NOTICE_KIND_CAMPAIGN_DONE.format(
            code=found.code, campaign=f"{campaign.code} {campaign.title}" if campaign else ""
        )
    else:
        done = T.NOTICE_KIND_DONE.format(
            code=found.code,
            title=found.title,
            before=T.NOTICE_CATEGORY_NAMES[before],
            after=T.NOTICE_CATEGORY_NAMES[category],
        )
        if campaign is not None:
            done += T.NOTICE_KIND_CAMPAIGN_ADDED.format(campaign=f"{campaign.code} {campaign.title}")
    toasted = Reply(
        text=T.NOTICE_KIND_TOAST.format(code=found.code, category=T.NOTICE_CATEGORY_NAMES[category]),
        toast=True,
    )
    return [
        await card_edit(session, found, settings, now),
        toasted if toast else Reply(text=done, about=card_key_of(found)),
    ]
