"""Responsibility letters (目标责任状): `/letter <年度> <标题>` with its document issues the year's letter to
every enterprise (a card counting 签订 n/N); each enterprise's lead returns it signed (a photo or a PDF scan)
by `/sign`, by the 上传签字件 button (the bot asks), or by replying to the card; `/letters` lists who has
not signed and who signed when.

The card is `card.py`; the operations and their rules are `domain/letters/`; the broadcast and the files are
`handlers/broadcast.py`, shared with notices and campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, ButtonPress, Incoming, Reply, clean_text
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from domain.letters import operations as letter_ops
from domain.letters import queries as letter_queries
from domain.letters.rules import Refusal, is_signed, may_issue, may_sign
from domain.outcome import Refused
from domain.park.queries import get_person
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import (
    broadcast,
    files_to_broadcast,
    keep_held,
    private_chat,
    privately,
    store_files,
    with_held,
)
from handlers.letters.card import (
    CARD_KIND,
    TITLE_LIMIT,
    SignButton,
    build_card,
    card_key_of,
    letter_edit,
    letter_id_of,
    refusal_text,
)
from handlers.util import Reach, fmt_time, is_answer, recipient, recipients, refuse
from storage.models import Letter, Person

router = Router("letters.letters")


@dataclass(frozen=True)
class LetterScan(Question, kind="letter_scan", ttl=timedelta(hours=24)):
    """The signed scan the bot asked for on 上传签字件: a photo or a PDF."""

    letter_id: int


async def _find(session: AsyncSession, text: str) -> Letter | str:
    """Return the letter of the year written (the newest one when none is), or say why not."""
    text = text.strip()
    if not text:
        found = await letter_queries.latest(session)
        return found if found is not None else T.LETTER_NONE
    if not text.isdigit():
        return T.LETTER_BAD_YEAR.format(text=text[:20])
    found = await letter_queries.of_year(session, int(text))
    return found if found is not None else T.LETTER_NOT_FOUND.format(year=int(text))


@router.command("letter", perm=Perm.VIEW, help_text=T.HELP["letter"])
async def letter(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: Question | None,
) -> HandlerResult:
    """Issue the year's letter with its document (`/letter <年度> <标题>`, managers), or show one (`/letter [年度]`).

    Files a manager sent just before (held for the next notice or campaign) go with the letter issued."""
    await keep_held(session, msg.chat, actor, question, now)
    words = clean_text(msg.args, TITLE_LIMIT * 2).split(maxsplit=1)
    if len(words) <= 1 and not attachments:
        found = await _find(session, words[0] if words else "")
        if isinstance(found, str):
            return Reply(text=T.LETTER_USAGE if not words and may_issue(actor) else found)
        return Reply(card=await build_card(session, found, settings))
    if not may_issue(actor):
        return Reply(text=T.LETTER_ONLY_MANAGERS)
    if len(words) < 2:
        return Reply(text=T.LETTER_USAGE)
    if not words[0].isdigit():
        return Reply(text=T.LETTER_BAD_YEAR.format(text=words[0][:20]))
    stored = await files_to_broadcast(session, attachments, settings, now)
    if isinstance(stored, Reply):
        return stored
    files, held = await with_held(session, stored, question)
    try:
        change = await letter_ops.issue(
            session,
            actor=actor,
            year=int(words[0]),
            title=words[1][:TITLE_LIMIT],
            photos=files.photos,
            documents=files.documents,
            at=now,
        )
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor, None, settings))
    issued = change.subject
    card = await build_card(session, issued, settings)
    total = (await letter_queries.progress(session, issued.id)).total
    done = T.LETTER_ISSUED.format(total=total, year=issued.year)
    if held:
        await drop(session, msg.chat, actor)
        done += "\n" + held
    return await broadcast(session, card, ("letter", issued.id), msg.chat, settings, done, files.problem)


@router.command("sign", perm=Perm.LETTER_SIGN, help_text=T.HELP["sign"])
async def sign_command(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Return the enterprise's signed letter: `/sign [年度]` with the scan, or as a reply to the letter card."""
    letter_id = letter_id_of(card_key)
    found: Letter | str | None = (
        await letter_queries.get(session, letter_id) if letter_id is not None else None
    )
    if found is None:
        found = await _find(session, clean_text(msg.args, 20))
    if isinstance(found, str):
        return Reply(text=found)
    if not attachments:
        return Reply(text=T.LETTER_SIGN_USAGE)
    return await _sign(session, actor, found, attachments, settings, now, reach)


@router.button(SignButton, perm=Perm.PUBLIC)
async def sign_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: SignButton,
    reach: Reach,
) -> HandlerResult:
    """Ask the enterprise's lead for the signed scan on 上传签字件 (privately when the bot can write there)."""
    found = await letter_queries.get(session, button.letter_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if not may_sign(actor, actor.enterprise_id):
        return Reply(text=refusal_text(Refused(Refusal.NOT_ALLOWED), actor, found, settings), toast=True)
    assert actor.enterprise_id is not None
    signature = await letter_queries.signature_of(session, found.id, actor.enterprise_id)
    if signature is None:
        return Reply(text=refusal_text(Refused(Refusal.NOT_LISTED), actor, found, settings), toast=True)
    if is_signed(signature):
        return Reply(
            text=refusal_text(Refused(Refusal.SIGNED, signature), actor, found, settings), toast=True
        )
    asked = T.LETTER_ASK.format(year=found.year, title=found.title)
    private = private_chat(actor, reach) if press.chat.is_group else None
    if private is not None:
        await ask(session, private, actor, LetterScan(found.id), now)
        return [
            Reply(text=asked, people=(recipient(actor),), about=card_key_of(found)),
            Reply(text=T.LETTER_ASK_TOAST, toast=True),
        ]
    await ask(session, press.chat, actor, LetterScan(found.id), now)
    return [Reply(text=asked, about=card_key_of(found)), Reply(text=T.LETTER_ASK_TOAST_HERE, toast=True)]


@router.question(LetterScan, perm=Perm.LETTER_SIGN)
async def scan_answer(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: LetterScan,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Take the signed scan the bot asked for; words alone are answered with what is needed."""
    if letter_id_of(card_key) != question.letter_id and not is_answer(msg, card_key):
        return NOT_MINE
    found = await letter_queries.get(session, question.letter_id)
    if found is None:
        await drop(session, msg.chat, actor)
        return Reply(text=T.BUTTON_STALE)
    if not attachments:
        return Reply(text=T.LETTER_NEED_SCAN)
    replies = await _sign(session, actor, found, attachments, settings, now, reach)
    signature = await letter_queries.signature_of(session, found.id, actor.enterprise_id or 0)
    # Signed (or nothing to sign): stop asking; a refused file (not a scan) keeps the question open.
    if signature is None or is_signed(signature):
        await drop(session, msg.chat, actor)
    return replies


@router.card_reply(CARD_KIND, perm=Perm.PUBLIC)
async def reply_to_letter(
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
    """Take a lead's reply to the letter card with a photo or a PDF as the signed scan; ignore other chatter."""
    found = await letter_queries.get(session, letter_id_of(card_key) or 0)
    if found is None or not attachments or not may_sign(actor, actor.enterprise_id):
        return [] if msg.chat.is_group else Reply(text=T.CARD_REPLY_HINT)
    return await _sign(session, actor, found, attachments, settings, now, reach)


@router.command("letters", perm=Perm.LETTER_SEND, help_text=T.HELP["letters"])
async def letters(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, reach: Reach
) -> HandlerResult:
    """List privately who has not signed a year's letter (the newest one by default), and who signed when."""
    found = await _find(session, clean_text(msg.args, 20))
    if isinstance(found, str):
        return Reply(text=found)
    rows = await letter_queries.signatures(session, found.id)
    signed = [r for r in rows if is_signed(r)]
    unsigned = [r.enterprise.name for r in rows if not is_signed(r)]
    lines = [T.LETTERS_TITLE.format(year=found.year, title=found.title, signed=len(signed), total=len(rows))]
    if unsigned:
        lines.append(T.LETTERS_UNSIGNED.format(count=len(unsigned), names="、".join(unsigned)))
    else:
        lines.append(T.LETTERS_ALL_SIGNED)
    if signed:
        lines.append(T.LETTERS_SIGNED_HEAD)
        for r in sorted(signed, key=lambda r: r.id):
            person = await get_person(session, r.person_id) if r.person_id is not None else None
            when = fmt_time(r.signed_at, settings.park.tz) if r.signed_at else ""
            name = person.display_name if person else T.NONE
            lines.append(T.LETTERS_SIGNED_LINE.format(enterprise=r.enterprise.name, when=when, person=name))
    return privately(actor, msg.chat, reach, Reply(text="\n".join(lines)))


async def _sign(
    session: AsyncSession,
    actor: Person,
    found: Letter,
    attachments: list[Attachment],
    settings: Settings,
    now: datetime,
    reach: Reach,
) -> list[Reply]:
    """Store the scan and sign; the card counts it in place, the signer is thanked, managers are told."""
    photos, documents, problem = await store_files(session, attachments, settings, now)
    try:
        change = await letter_ops.sign(session, found, actor, now, photos=photos, documents=documents)
    except Refused as exc:
        text = refusal_text(exc, actor, found, settings)
        return [Reply(text=f"{text}\n{problem}" if problem and exc.reason == Refusal.NO_SCAN else text)]
    signature = change.subject
    progress = await letter_queries.progress(session, found.id)
    enterprise = signature.enterprise.name
    managers = [person for _, person in change.told()]
    told = T.LETTER_SIGNED_MANAGERS.format(
        enterprise=enterprise,
        year=found.year,
        person=actor.display_name,
        signed=progress.signed,
        total=progress.total,
    )
    replies = [await letter_edit(session, found, settings)]
    if managers:
        replies.append(Reply(text=told, people=recipients(managers, reach), about=card_key_of(found)))
    said = T.LETTER_SIGNED.format(enterprise=enterprise, year=found.year)
    if problem:
        said += "\n" + T.NOTICE_FILES_REFUSED.format(problem=problem)
    replies.append(Reply(text=said, about=card_key_of(found)))
    return replies
