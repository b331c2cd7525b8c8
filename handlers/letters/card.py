"""The responsibility letter card (目标责任状): the year's letter, its document and 签订 n/N, with the
上传签字件 button; its button data, and refusals in words.

No routes here: `letters.py` (/letter, /sign, /letters, the button, the question and the card reply) builds
on it. The rules are `domain/letters/rules.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Button, Card, CardField, CardStatus, Reply
from domain.letters import queries as letter_queries
from domain.letters.rules import Refusal
from domain.outcome import Refused
from handlers import texts as T
from handlers.broadcast import files_line, id_in_key
from handlers.util import fmt_time, own_enterprise
from storage.attachments import files as stored_files
from storage.models import Letter, LetterSignature, Person

CARD_KIND = "letter"
TITLE_LIMIT = 100


@dataclass(frozen=True)
class SignButton(CallbackData, prefix="zrsign"):
    """上传签字件 on a letter card: ask the enterprise's lead for the signed scan."""

    letter_id: int


def card_key_of(letter: Letter) -> str:
    """Return the card key of a letter."""
    return f"{CARD_KIND}:{letter.id}"


def letter_id_of(key: str | None) -> int | None:
    """Return the letter id named by a card key (the card itself, or a message about it)."""
    return id_in_key(key, CARD_KIND)


async def build_card(session: AsyncSession, letter: Letter, settings: Settings) -> Card:
    """Build a letter card: its title, document, who issued it and how many enterprises signed (签订 n/N)."""
    progress = await letter_queries.progress(session, letter.id)
    fields = [CardField("title", T.LF_TITLE, letter.title)]
    attached = await stored_files(session, "letter", letter.id)
    if attached:
        fields.append(CardField("files", T.LF_FILES, files_line(attached)))
    fields.append(CardField("author", T.LF_AUTHOR, letter.author.display_name))
    counted = T.LETTER_PROGRESS.format(signed=progress.signed, total=progress.total)
    fields.append(CardField("signed", T.LF_SIGNED, counted))
    done = progress.signed >= progress.total
    actions: tuple[tuple[Button, ...], ...] = ()
    if done:
        status = CardStatus("done", T.LETTER_STATUS_DONE, T.F_STATUS)
    else:
        fields.append(CardField("how", T.LF_HOW, T.LETTER_HOW))
        status = CardStatus("open", T.LETTER_STATUS_OPEN, T.F_STATUS)
        sign = Button(T.BTN_LETTER_SIGN, SignButton(letter.id).pack(), f"/sign {letter.year}")
        actions = ((sign,),)
    photos = tuple(settings.storage.photo_dir / f.photo.path for f in attached if f.photo is not None)
    return Card(
        key=card_key_of(letter),
        kind=CARD_KIND,
        title=T.LETTER_CARD_TITLE.format(year=letter.year),
        fields=tuple(fields),
        status=status,
        photos=photos[:1],
        actions=actions,
    )


async def letter_edit(session: AsyncSession, letter: Letter, settings: Settings) -> Reply:
    """Return an in-place edit of every copy of a letter's card."""
    return Reply(card=await build_card(session, letter, settings), edit=True)


def refusal_text(exc: Refused, actor: Person, letter: Letter | None, settings: Settings) -> str:
    """Say why a letter operation was refused."""
    year = letter.year if letter is not None else ""
    enterprise = own_enterprise(actor)
    match exc.reason:
        case Refusal.SIGNED:
            signature: LetterSignature = exc.subject
            when = fmt_time(signature.signed_at, settings.park.tz) if signature.signed_at else ""
            return T.LETTER_ALREADY_SIGNED.format(enterprise=signature.enterprise.name, when=when, year=year)
        case Refusal.NO_SCAN:
            return T.LETTER_NEED_SCAN
        case Refusal.NOT_LISTED:
            return T.LETTER_NOT_LISTED.format(enterprise=enterprise, year=year)
        case Refusal.NO_DOCUMENT:
            return T.LETTER_NEED_DOCUMENT
        case Refusal.EXISTS:
            existing: Letter = exc.subject
            return T.LETTER_EXISTS.format(year=existing.year, title=existing.title)
        case Refusal.BAD_YEAR:
            return T.LETTER_BAD_YEAR.format(text=year)
        case _:
            return T.LETTER_NOT_LEAD
