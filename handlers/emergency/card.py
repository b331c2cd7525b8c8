"""The roll call card (应急点名): who answered 到 within how many minutes, who is silent (and how often
reminded), who has no chat account; with the 到 button while it is open. Its button data, the private ask and
reminder, and refusals in words. No phone number is ever on the card: it is posted in the park groups.

No routes here: `alert.py` (/alert, /here, the button) and `schedules/emergency.py` (reminders) build on it.
The rules are `domain/emergency/rules.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Button, Card, CardField, CardStatus, Recipient, Reply
from domain.emergency import queries as emergency_queries
from domain.emergency.rules import Refusal, answered, drill_topic, is_open, minutes_taken
from domain.outcome import Refused
from handlers import texts as T
from handlers.util import fmt_time
from storage.models import RollCall, RollCallAnswer

CARD_KIND = "rollcall"


@dataclass(frozen=True)
class HereButton(CallbackData, prefix="rchere"):
    """到 on a roll call's private ask, reminder or card: the presser answers for their own line."""

    call_id: int


def card_key_of(call: RollCall) -> str:
    """Return the card key of a roll call."""
    return f"{CARD_KIND}:{call.id}"


def here_button(call: RollCall) -> Button:
    """Return the 到 button of a roll call (with /here where a platform has no buttons)."""
    return Button(T.BTN_HERE, HereButton(call.id).pack(), "/here")


def _kind(call: RollCall) -> str:
    return T.ALERT_KIND_DRILL if call.drill else T.ALERT_KIND


def build_card(call: RollCall, rows: Sequence[RollCallAnswer], settings: Settings) -> Card:
    """Build the roll call card from its answer rows."""
    here = sorted((r for r in rows if answered(r)), key=lambda r: r.answered_at or call.started_at)
    silent = [r for r in rows if not answered(r) and r.person_id is not None]
    no_account = [r for r in rows if not answered(r) and r.person_id is None]
    tz = settings.park.tz
    fields = [
        CardField("caller", T.AF_CALLER, T.AF_CALLER_VALUE.format(name=call.caller.display_name, when=fmt_time(call.started_at, tz))),
        CardField("answered", T.AF_ANSWERED, T.AF_ANSWERED_VALUE.format(answered=len(here), total=len(rows))),
    ]
    if here:
        said = "、".join(
            T.AF_HERE_LINE.format(name=r.member.name, minutes=minutes_taken(call.started_at, r.answered_at))
            for r in here
            if r.answered_at is not None
        )
        fields.append(CardField("here", T.AF_HERE, said))
    if silent:
        said = "、".join(
            r.member.name + (T.AF_SILENT_REMINDED.format(times=r.reminded) if r.reminded else "") for r in silent
        )
        fields.append(CardField("silent", T.AF_SILENT, said))
    if no_account:
        names = "、".join(r.member.name for r in no_account)
        fields.append(CardField("no_account", T.AF_NO_ACCOUNT, T.AF_NO_ACCOUNT_VALUE.format(names=names)))
    if call.drill:
        fields.append(CardField("drill", T.AF_DRILL, T.AF_DRILL_VALUE.format(answered=len(here))))
    actions: tuple[tuple[Button, ...], ...] = ()
    if is_open(call):
        status = CardStatus("open", T.ALERT_STATUS_OPEN, T.F_STATUS)
        actions = ((here_button(call),),)
    else:
        took = minutes_taken(call.started_at, call.ended_at or call.started_at)
        status = CardStatus("done", T.ALERT_STATUS_DONE.format(minutes=took), T.F_STATUS)
    if call.drill:
        title = T.ALERT_CARD_TITLE_DRILL.format(note=drill_topic(call.note))
    else:
        title = T.ALERT_CARD_TITLE.format(note=call.note)
    return Card(key=card_key_of(call), kind=CARD_KIND, title=title, fields=tuple(fields), status=status, actions=actions)


async def call_card(session: AsyncSession, call: RollCall, settings: Settings) -> Card:
    """Build a roll call's card as it is now."""
    return build_card(call, await emergency_queries.answers(session, call.id), settings)


async def call_edit(session: AsyncSession, call: RollCall, settings: Settings) -> Reply:
    """Return an in-place edit of every copy of a roll call's card."""
    return Reply(card=await call_card(session, call, settings), edit=True)


def ask(call: RollCall, people: tuple[Recipient, ...]) -> Reply:
    """Return the private ask to answer 到, with its button."""
    note = drill_topic(call.note) if call.drill else call.note
    text = T.ALERT_ASK.format(kind=_kind(call), note=note, caller=call.caller.display_name)
    return Reply(text=text, buttons=((here_button(call),),), people=people, about=card_key_of(call))


def reminder(call: RollCall, people: tuple[Recipient, ...], now: datetime) -> Reply:
    """Return the private reminder to a silent member, with the 到 button."""
    note = drill_topic(call.note) if call.drill else call.note
    text = T.ALERT_REMIND.format(kind=_kind(call), note=note, minutes=minutes_taken(call.started_at, now))
    return Reply(text=text, buttons=((here_button(call),),), people=people, about=card_key_of(call))


def refusal_text(exc: Refused, settings: Settings) -> str:
    """Say why a roll call operation was refused."""
    match exc.reason:
        case Refusal.OPEN:
            call: RollCall = exc.subject
            return T.ALERT_OPEN.format(note=call.note, when=fmt_time(call.started_at, settings.park.tz))
        case Refusal.NONE_OPEN:
            return T.ALERT_NONE_OPEN
        case Refusal.NOBODY:
            return T.ALERT_NOBODY
        case Refusal.ENDED:
            return T.ALERT_ENDED
        case Refusal.NOT_ASKED:
            return T.ALERT_NOT_ASKED
        case _:
            return T.ALERT_ONLY_MANAGERS
