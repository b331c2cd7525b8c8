"""Emergency supplies (应急物资) in the chat: `/supply add …` adds or updates an item (managers), `/supply
import` with an Excel workbook imports a list, `/supply <编号>` shows one item with its latest checks,
`/supplies` lists what a person may see with when each falls due, and `/check <编号或名称> [备注]` with a
photo records a check (a lead for their own enterprise's items, managers any), which moves the next due date.

The rules are `domain/supplies/`; the words are `handlers/texts.py` (`# --- supplies ---`); the reminders
`reminders.py` beside this, sent by `schedules/supplies.py`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Attachment, Incoming, Reply, clean_text
from bot.questions import Question, ask, drop
from bot.routing import NOT_MINE, HandlerResult, Router
from bot.supply_table import CsvError, read_supplies
from domain.outcome import Refused
from domain.park.queries import find_people
from domain.park.rules import Perm, is_enterprise_staff
from domain.supplies import operations as supply_ops
from domain.supplies import queries as supply_queries
from domain.supplies.rules import Action, Refusal, check_refusal, code_of, days_left, may_manage, may_see
from handlers import texts as T
from handlers.broadcast import private_chat, store_files
from handlers.supplies.parse import Unreadable, expiry_in, parse_add
from handlers.util import ADD_WINDOW, Reach, fmt_time, is_answer, recipient, recipients
from storage.models import Person, Supply, SupplyCheck

router = Router("supplies.supplies")

IMPORT_WORDS = ("import", "导入")
ADD_WORDS = ("add", "添加", "登记", "新增")


def place_text(supply: Supply) -> str:
    """Say where an item is kept: 园区仓库 一号库, 华油装备制造有限公司 二车间."""
    where = supply.enterprise.name if supply.enterprise is not None else T.SUPPLY_PARK_STORE
    return f"{where} {supply.place}" if supply.place else where


def due_text(supply: Supply, today: date) -> str:
    """Say when an item falls due: 下次检查 2026-12-30（还有 7 天） / 有效期至 … （已逾期 3 天）."""
    due = supply_queries.due(supply)
    if due is None:
        return T.NONE
    left = days_left(due, today)
    when = T.SUPPLY_LEFT.format(days=left) if left > 0 else T.SUPPLY_TODAY if left == 0 else T.SUPPLY_LATE.format(days=-left)
    label = T.SUPPLY_DUE_EXPIRY if due.expiry else T.SUPPLY_DUE_CHECK
    return f"{label} {due.day.isoformat()}（{when}）"


def item_line(supply: Supply, today: date) -> str:
    """One line of the list: WZ-001 灭火器 20具｜园区仓库｜每月｜下次检查 …｜负责人 李干部."""
    cycle = T.SUPPLY_CYCLE_NAMES[supply.cycle] if supply.cycle is not None else T.SUPPLY_NO_CYCLE
    who = supply.responsible.display_name if supply.responsible is not None else T.NONE
    return T.SUPPLY_LINE.format(
        code=code_of(supply.id),
        name=supply.name,
        quantity=supply.quantity,
        unit=supply.unit or "",
        place=place_text(supply),
        cycle=cycle,
        due=due_text(supply, today),
        person=who,
    )


def refusal_text(exc: Refused, actor: Person) -> str:
    """Say why a supplies operation was refused."""
    match exc.reason:
        case Refusal.NOT_YOURS:
            return T.SUPPLY_NOT_YOURS.format(code=code_of(exc.subject.id), place=place_text(exc.subject))
        case Refusal.NO_PHOTO:
            return T.SUPPLY_CHECK_NEED_PHOTO.format(code=code_of(exc.subject.id), name=exc.subject.name)
        case Refusal.NO_DUE:
            return T.SUPPLY_NO_DUE
        case Refusal.BAD_QUANTITY:
            return T.SUPPLY_BAD_QUANTITY
        case Refusal.RETIRED:
            return T.SUPPLY_RETIRED
        case Refusal.UNKNOWN_PLACE:
            return T.SUPPLY_IMPORT_PLACE.format(line=exc.detail.get("line"), place=exc.detail.get("place"))
        case Refusal.UNKNOWN_PERSON:
            return T.SUPPLY_IMPORT_PERSON.format(line=exc.detail.get("line"), person=exc.detail.get("person"))
        case Refusal.AMBIGUOUS_PERSON:
            return T.SUPPLY_IMPORT_PEOPLE.format(line=exc.detail.get("line"), person=exc.detail.get("person"))
        case Refusal.NOT_ALLOWED if isinstance(exc.subject, Supply):
            return T.SUPPLY_CHECK_NOT_ALLOWED
        case _:
            return T.SUPPLY_ONLY_MANAGERS


async def find_item(session: AsyncSession, actor: Person, text: str) -> Supply | str:
    """Return the item a person names by code or by name (among those they see), or say why not."""
    text = clean_text(text, 50)
    supply_id = supply_queries.id_of_code(text)
    if supply_id is not None:
        found = await supply_queries.get(session, supply_id)
        if found is None or not found.active or not may_see(actor, found):
            return T.SUPPLY_NOT_FOUND.format(text=text)
        return found
    matches = [s for s in await supply_queries.named(session, text) if may_see(actor, s)]
    if is_enterprise_staff(actor) and len(matches) > 1:  # a lead means their own enterprise's
        own = [s for s in matches if s.enterprise_id == actor.enterprise_id]
        matches = own or matches
    if not matches:
        return T.SUPPLY_NOT_FOUND.format(text=text)
    if len(matches) > 1:
        names = "；".join(f"{code_of(s.id)} {s.name}（{place_text(s)}）" for s in matches[:8])
        return T.SUPPLY_WHICH.format(text=text, items=names)
    return matches[0]


@router.command("supply", perm=Perm.VIEW, help_text=T.HELP["supply"])
async def supply(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
) -> HandlerResult:
    """Add or update an item (`/supply add …`), import a workbook (`/supply import`), or show one item."""
    words = clean_text(msg.args, 300).split(maxsplit=1)
    if not words:
        return Reply(text=T.SUPPLY_USAGE if may_manage(actor) else T.SUPPLY_USAGE_VIEW)
    today = settings.park.day(now)
    head, rest = words[0].lower(), words[1] if len(words) > 1 else ""
    if head in ADD_WORDS:
        if not may_manage(actor):
            return Reply(text=T.SUPPLY_ONLY_MANAGERS)
        return await _add(session, actor, rest, now, today)
    if head in IMPORT_WORDS:
        if not may_manage(actor):
            return Reply(text=T.SUPPLY_ONLY_MANAGERS)
        return await _import(session, actor, attachments, settings, now, today)
    found = await find_item(session, actor, clean_text(msg.args, 50))
    if isinstance(found, str):
        return Reply(text=found)
    lines = [T.SUPPLY_SHOW_TITLE.format(code=code_of(found.id), name=found.name), item_line(found, today)]
    checks = await supply_queries.checks_of(session, found.id)
    if checks:
        lines.append(T.SUPPLY_CHECKS_HEAD)
        for c in checks:
            who = c.person.display_name if c.person is not None else T.NONE
            note = f"：{c.note}" if c.note else ""
            lines.append(T.SUPPLY_CHECK_LINE.format(when=fmt_time(c.at, settings.park.tz), person=who, note=note))
    else:
        lines.append(T.SUPPLY_NO_CHECKS)
    return Reply(text="\n".join(lines))


async def _add(session: AsyncSession, actor: Person, text: str, now: datetime, today: date) -> Reply:
    """Add or update one item from `/supply add …`."""
    try:
        args = parse_add(text)
    except Unreadable as exc:
        return Reply(text=f"{T.SUPPLY_ADD_PROBLEMS[exc.reason].format(text=exc.text)}\n{T.SUPPLY_ADD_HOW}")
    place = await supply_queries.place_of(session, args.place)
    if place is None:
        return Reply(text=f"{T.SUPPLY_PLACE_UNKNOWN.format(place=args.place)}\n{T.SUPPLY_ADD_HOW}")
    responsible = None
    if args.responsible:
        people = await find_people(session, actor.platform, args.responsible)
        if len(people) != 1:
            said = T.SUPPLY_PERSON_UNKNOWN if not people else T.SUPPLY_PERSON_SEVERAL
            return Reply(text=said.format(person=args.responsible))
        responsible = people[0]
    spec = supply_ops.ItemSpec(
        name=args.name,
        quantity=args.quantity,
        enterprise=place.enterprise,
        unit=args.unit,
        place=place.detail or None,
        cycle=args.cycle,
        expires_on=args.expires_on,
        last_checked=args.last_checked,
        responsible=responsible,
    )
    try:
        change = await supply_ops.upsert(session, spec, actor, now, today)
    except Refused as exc:
        return Reply(text=refusal_text(exc, actor))
    said = T.SUPPLY_ADDED if change.event == Action.ADDED else T.SUPPLY_UPDATED
    return Reply(text=f"{said.format(code=code_of(change.subject.id))}\n{item_line(change.subject, today)}")


async def _import(
    session: AsyncSession,
    actor: Person,
    attachments: list[Attachment],
    settings: Settings,
    now: datetime,
    today: date,
) -> Reply:
    """Import the Excel workbook or CSV file sent with `/supply import` (one transaction: all rows or none)."""
    stored = await store_files(session, attachments, settings, now)
    sheets = [d for d in stored.documents if d.path.lower().endswith((".xlsx", ".csv"))]
    if not sheets:
        return Reply(text=T.SUPPLY_IMPORT_USAGE)
    try:
        rows = await asyncio.to_thread(read_supplies, settings.storage.photo_dir / sheets[0].path)
    except CsvError as exc:
        column = T.SUPPLY_IMPORT_COLUMNS.get(exc.column, exc.column)
        return Reply(text=T.SUPPLY_IMPORT_BAD.format(line=exc.line, column=column, value=exc.value))
    try:
        added, updated = await supply_ops.import_rows(session, rows, actor, now, today)
    except Refused as exc:
        return Reply(text=f"{refusal_text(exc, actor)}\n{T.SUPPLY_IMPORT_NOTHING}")
    return Reply(text=T.SUPPLY_IMPORTED.format(added=added, updated=updated, name=sheets[0].file_name))


@router.command("supplies", perm=Perm.VIEW, help_text=T.HELP["supplies"], read_only=True)
async def supplies(
    msg: Incoming, *, session: AsyncSession, actor: Person, settings: Settings, now: datetime, reach: Reach
) -> HandlerResult:
    """List the items a person sees (enterprise staff: their own and the park store's), soonest due first
    marked; privately from a group."""
    today = settings.park.day(now)
    own = actor.enterprise_id if is_enterprise_staff(actor) else None
    items = [s for s in await supply_queries.listed(session, own) if may_see(actor, s)]
    if not items:
        return Reply(text=T.SUPPLIES_NONE if may_manage(actor) else T.SUPPLIES_NONE_VIEW)
    lines = [T.SUPPLIES_TITLE.format(count=len(items), pieces=sum(s.quantity for s in items))]
    lines += [item_line(s, today) for s in items]
    late = sum(1 for s in items if (d := supply_queries.due(s)) is not None and d.day < today)
    if late:
        lines.append(T.SUPPLIES_LATE.format(count=late))
    lines.append(T.SUPPLIES_HOW)
    listing = Reply(text="\n".join(lines))
    if not msg.chat.is_group:
        return listing
    if private_chat(actor, reach) is None:
        return Reply(text=T.SUPPLIES_NEED_PRIVATE.format(name=actor.display_name))
    return [
        replace(listing, people=(recipient(actor),)),
        Reply(text=T.SUPPLIES_SENT_PRIVATELY.format(name=actor.display_name)),
    ]


@dataclass(frozen=True)
class CheckPhoto(Question, kind="supply_check_photo", ttl=timedelta(hours=24)):
    """`/check <item>` came without a photo: the next photo the person sends here records the check."""

    supply_id: int
    note: str | None = None
    expires_on: str | None = None  # ISO date of a new expiry written with it


@dataclass(frozen=True)
class CheckMore(Question, kind="supply_check_more", ttl=ADD_WINDOW):
    """A check recorded with the first photo of an album: the album's other photos join it."""

    check_id: int
    media_group_id: str

    tell_expiry = False  # nobody was asked

    def expects(self, msg: Incoming) -> bool:
        """Only the rest of the album."""
        return msg.media_group_id == self.media_group_id and bool(msg.files)


@router.command("check", perm=Perm.SUPPLY_CHECK, help_text=T.HELP["check"])
async def check(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    reach: Reach,
) -> HandlerResult:
    """Record a check of an item with its photo: `/check <编号或名称> [备注] [有效期至 …]` as a photo's caption;
    without a photo the bot asks for one (the next photo here records it)."""
    text = clean_text(msg.args, 300)
    try:
        expires_on, text = expiry_in(text)
    except Unreadable as exc:
        return Reply(text=f"{T.SUPPLY_ADD_PROBLEMS['bad_date'].format(text=exc.text)}\n{T.CHECK_USAGE}")
    words = text.split(maxsplit=1)
    if not words:
        return Reply(text=T.CHECK_USAGE)
    found = await find_item(session, actor, words[0])
    if isinstance(found, str):
        return Reply(text=f"{found}\n{T.CHECK_USAGE}")
    note = words[1] if len(words) > 1 else None
    if not attachments:
        refusal = check_refusal(actor, found)
        if refusal is not None:
            return Reply(text=refusal_text(Refused(refusal, found), actor))
        iso = expires_on.isoformat() if expires_on else None
        await ask(session, msg.chat, actor, CheckPhoto(found.id, note, iso), now)
        return Reply(text=T.SUPPLY_ASK_PHOTO.format(code=code_of(found.id), name=found.name))
    return await _check(session, actor, found, attachments, note, expires_on, msg, settings, now, reach)


@router.question(CheckPhoto, perm=Perm.SUPPLY_CHECK)
async def check_photo(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: CheckPhoto,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Take the photo the bot asked for after `/check <item>`; words alone are answered with what is needed."""
    if not is_answer(msg, card_key):
        return NOT_MINE
    found = await supply_queries.get(session, question.supply_id)
    if found is None:
        await drop(session, msg.chat, actor)
        return Reply(text=T.BUTTON_STALE)
    if not attachments:
        return Reply(text=T.SUPPLY_CHECK_NEED_PHOTO.format(code=code_of(found.id), name=found.name))
    await drop(session, msg.chat, actor)
    note = clean_text(msg.text, 200) or question.note
    expires_on = date.fromisoformat(question.expires_on) if question.expires_on else None
    return await _check(session, actor, found, attachments, note, expires_on, msg, settings, now, reach)


@router.question(CheckMore, perm=Perm.SUPPLY_CHECK)
async def check_album(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    attachments: list[Attachment],
    question: CheckMore,
) -> HandlerResult:
    """Add the rest of a check's album to it, quietly (the check was confirmed already)."""
    if not question.expects(msg):
        return NOT_MINE
    row = await session.get(SupplyCheck, question.check_id)
    stored = await store_files(session, attachments, settings, now)
    if row is None or not stored.photos:
        return []
    try:
        await supply_ops.add_photos(session, row, actor, stored.photos, now)
    except Refused:
        return NOT_MINE
    await ask(session, msg.chat, actor, question, now)  # more of the album may follow
    return []


async def _check(
    session: AsyncSession,
    actor: Person,
    found: Supply,
    attachments: list[Attachment],
    note: str | None,
    expires_on: date | None,
    msg: Incoming,
    settings: Settings,
    now: datetime,
    reach: Reach,
) -> list[Reply]:
    """Store the photos and record the check; the person is told the next due date, the keeper too."""
    stored = await store_files(session, attachments, settings, now)
    today = settings.park.day(now)
    try:
        change = await supply_ops.check(
            session, found, actor, now, today, photos=stored.photos, note=note, expires_on=expires_on
        )
    except Refused as exc:
        said = refusal_text(exc, actor)
        return [Reply(text=f"{said}\n{stored.problem}" if stored.problem else said)]
    if msg.media_group_id:
        await ask(session, msg.chat, actor, CheckMore(change.subject.id, msg.media_group_id), now)
    replies = [
        Reply(
            text=T.SUPPLY_CHECKED.format(
                code=code_of(found.id), name=found.name, photos=len(stored.photos), due=due_text(found, today)
            )
        )
    ]
    told = [person for _, person in change.told()]
    people = recipients(told, reach)
    if people:
        said = T.SUPPLY_CHECKED_TOLD.format(
            person=actor.display_name, code=code_of(found.id), name=found.name, due=due_text(found, today)
        )
        replies.append(Reply(text=said, people=people))
    return replies
