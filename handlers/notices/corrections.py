"""Correcting a notice or meeting notice after it went out: /notice_edit (/修改通知: the title, the text or
agenda, the place or time, files added or removed) and /notice_withdraw (/撤回: taken back as a mistake);
a notice's kind is changed in `kinds.py`.

The card is edited in place wherever it was posted; receipts stand when only the wording or the files
change, and whoever answered is told of a change that matters (place, time, withdrawal). Who may correct
and in which state is `domain/notices/rules.py`; each correction is an event (`domain/notices/operations.py`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import CallbackData
from bot.config import Settings
from bot.messages import Attachment, Button, ButtonPress, Incoming, Reply, clean_text
from bot.routing import HandlerResult, Router
from domain.notices import operations as notice_ops
from domain.notices import queries as notice_queries
from domain.notices import rules as notice_rules
from domain.notices.rules import Refusal
from domain.outcome import Refused
from domain.park import queries as park_queries
from domain.park.rules import Perm
from handlers import texts as T
from handlers.broadcast import store_files
from handlers.notices.card import (
    BODY_LIMIT,
    CODE_WORD,
    REASON_LIMIT,
    TITLE_LIMIT,
    card_edit,
    card_key_of,
    fmt_when,
    notice_id_of,
    parse_when,
    refusal_text,
    tell_change,
)
from handlers.util import Reach, refuse
from storage import attachments as attachment_rows
from storage.enums import NoticeKind
from storage.models import BroadcastFile, Notice, Person

router = Router("notices.corrections")


@dataclass(frozen=True)
class CorrectButton(CallbackData, prefix="ntfix"):
    """Under the correction menu: take file `file_id` off notice `notice_id` (`rm`), or withdraw the
    notice (`wd` asks again, `wdok` does it)."""

    notice_id: int
    action: Literal["rm", "wd", "wdok"]
    file_id: int = 0


MENU_FILE_BUTTONS = 8  # more files than this are removed by command (their numbers are listed)

# What a correction names first, as people write it (`内容：…` or `内容 …`), and the field it means.
FIELDS = {
    "标题": "title",
    "主题": "title",
    "会议名称": "title",
    "名称": "title",
    "内容": "body",
    "正文": "body",
    "议程": "body",
    "地点": "place",
    "时间": "time",
    "添加附件": "add",
    "补充附件": "add",
    "加附件": "add",
    "附件": "add",
    "删除附件": "remove",
    "删附件": "remove",
    "去掉附件": "remove",
}
FIELD_RE = re.compile(rf"^({'|'.join(sorted(FIELDS, key=len, reverse=True))})\s*[:：]?\s*(.*)$", re.DOTALL)


async def named(
    session: AsyncSession, args: str, card_key: str | None, usage: str
) -> tuple[Notice | None, str, str]:
    """Find the notice a correction names: a code first, else the card replied to; never the newest by guess.

    Return the notice and the rest of the text, or None and what to say (ending with `usage`).
    """
    words = args.split(maxsplit=1)
    if words and CODE_WORD.match(words[0]):
        found = await notice_queries.by_code(session, words[0])
        if found is None:
            return None, args, T.NOTICE_NOT_FOUND.format(code=words[0][:20].upper()) + "\n" + usage
        return found, words[1] if len(words) > 1 else "", ""
    notice_id = notice_id_of(card_key)
    found = await notice_queries.get(session, notice_id) if notice_id is not None else None
    if found is not None:
        return found, args, ""
    codes = [f"{n.code}（{n.title}）" for n in (await notice_queries.open_notices(session))[-5:]]
    recent = T.NOTICE_EDIT_RECENT.format(codes="、".join(codes)) if codes else ""
    return None, args, T.NOTICE_EDIT_WHICH.format(recent=recent, usage=usage)


@router.command("notice_edit", perm=Perm.NOTICE_SEND, help_text=T.HELP["notice_edit"])
async def notice_edit(
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
    """Correct a notice: `/notice_edit TZ-… 内容 <新内容>`, `… 地点 …`, `… 删除附件 2`, or with files to add them."""
    text = clean_text(msg.args, BODY_LIMIT * 2)
    found, rest, problem = await named(session, text, card_key, T.NOTICE_EDIT_USAGE)
    if found is None:
        return Reply(text=problem)
    match = FIELD_RE.match(rest)
    field, value = (FIELDS[match.group(1)], match.group(2).strip()) if match else (None, rest)
    try:
        notice_rules.check_corrector(found, actor)
        if field is None and attachments:
            return await _add_files(session, found, actor, attachments, settings, now)
        if field is None and not rest:
            return await _menu(session, found)
        if field is None:
            return Reply(text=T.NOTICE_EDIT_UNKNOWN.format(text=rest[:20]))
        if field == "add":
            return await _add_files(session, found, actor, attachments, settings, now)
        if not value:
            said = next(word for word, f in FIELDS.items() if f == field and rest.startswith(word))
            return Reply(text=T.NOTICE_EDIT_NEED_VALUE.format(field=said, code=found.code))
        if field in ("title", "body"):
            return await _edit_text(session, found, actor, field, value, settings, now)
        if field == "remove":
            return await _remove_file(session, found, actor, value, settings, now)
        if field == "place":
            place = value.split()[0][: TITLE_LIMIT * 2]
            return await _set_place(session, found, actor, place, settings, now, reach)
        return await _move(session, found, actor, value, settings, now, reach)
    except Refused as exc:
        return Reply(text=_refused(exc, actor))


def _refused(exc: Refused, actor: Person) -> str:
    """Say why a correction was refused: a withdrawn or cancelled notice is corrected no more."""
    if exc.reason in (Refusal.WITHDRAWN, Refusal.NO_CHANGE_ALLOWED) and exc.subject is not None:
        status = T.NOTICE_STATUS_WITHDRAWN if exc.reason == Refusal.WITHDRAWN else T.NOTICE_STATUS_CANCELLED
        return T.NOTICE_NOT_OPEN.format(code=exc.subject.code, status=status.removeprefix("已"))
    return refusal_text(exc, actor)


async def _receipts(session: AsyncSession, notice: Notice) -> str:
    tally = notice_rules.tally(await notice_queries.receipts(session, notice.id))
    return T.RECEIPTS_COUNT.format(answered=tally.answered, total=tally.total)


async def _edit_text(
    session: AsyncSession, notice: Notice, actor: Person, field: str, value: str, settings: Settings, now: datetime
) -> list[Reply]:
    """Fix the title or the text; the card changes everywhere, the receipts stand."""
    what = T.NOTICE_EDIT_WHAT["agenda" if field == "body" and notice.kind == NoticeKind.MEETING else field]
    if field == "title" and len(value) > TITLE_LIMIT:
        return [Reply(text=T.NOTICE_TITLE_TOO_LONG.format(limit=TITLE_LIMIT, length=len(value)))]
    if field == "body" and len(value) > BODY_LIMIT:
        return [Reply(text=T.NOTICE_TOO_LONG.format(limit=BODY_LIMIT, length=len(value)))]
    changes = {"title": value} if field == "title" else {"body": value}
    change = await notice_ops.edit_text(session, notice, actor, now, **changes)
    if not change.changed:
        return [Reply(text=T.NOTICE_EDIT_SAME.format(code=notice.code, what=what))]
    done = T.NOTICE_EDITED.format(code=notice.code, what=what, receipts=await _receipts(session, notice))
    return [await card_edit(session, notice, settings, now), Reply(text=done, about=card_key_of(notice))]


async def add_files(
    session: AsyncSession,
    notice: Notice,
    actor: Person,
    attachments: list[Attachment],
    settings: Settings,
    now: datetime,
) -> list[Reply]:
    """Add files to a notice (sent with /notice_edit, right after the notice, or as a reply to its card);
    post the new ones to the park groups under a line naming the notice; a refusal is said."""
    try:
        return await _add_files(session, notice, actor, attachments, settings, now)
    except Refused as exc:
        return [Reply(text=_refused(exc, actor))]


async def _add_files(
    session: AsyncSession,
    notice: Notice,
    actor: Person,
    attachments: list[Attachment],
    settings: Settings,
    now: datetime,
) -> list[Reply]:
    """Add the files sent with the command; post the new ones to the park groups under a line naming the notice."""
    stored = await store_files(session, attachments, settings, now)
    if not stored.photos and not stored.documents:
        return [Reply(text=T.NOTICE_FILES_NONE.format(problem=stored.problem or T.NOTICE_FILE_KINDS))]
    change = await notice_ops.add_files(session, notice, actor, stored.photos, stored.documents, now)
    if not change.changed:
        return [Reply(text=T.NOTICE_FILES_SAME.format(code=notice.code))]
    new = [f for f in await attachment_rows.files(session, "notice", notice.id) if change.event is not None and f.event_id == change.event.id]
    said = _names(new)
    posted = T.NOTICE_FILES_POSTED.format(code=notice.code, title=notice.title, files=said)
    root = settings.storage.photo_dir
    files = Reply(
        text=posted,
        photos=tuple(root / f.photo.path for f in new if f.photo is not None),
        documents=tuple(root / f.document.path for f in new if f.document is not None),
        document_names=tuple(f.document.file_name for f in new if f.document is not None),
        about=card_key_of(notice),
    )
    groups = await park_queries.park_group_keys(session)
    replies = [await card_edit(session, notice, settings, now)]
    replies.append(replace(files, to_groups=True) if groups else files)
    done = T.NOTICE_FILES_ADDED.format(code=notice.code, files=said, receipts=await _receipts(session, notice))
    replies.append(Reply(text=done, about=card_key_of(notice)))
    if stored.problem:
        replies.append(Reply(text=T.NOTICE_FILES_REFUSED.format(problem=stored.problem)))
    return replies


def _names(files: Sequence[BroadcastFile]) -> str:
    """Name files as the card does: documents by name, then photos counted."""
    names = [f"《{f.document.file_name}》" for f in files if f.document is not None]
    photos = sum(f.photo is not None for f in files)
    return "、".join(names + ([T.CORRECTION_PHOTOS.format(count=photos)] if photos else []))


def _listed(files: Sequence[BroadcastFile]) -> list[str]:
    """Number a notice's files as the menu and the removal read them: `1. 《自查表.xlsx》`, `2. 图片1`."""
    lines, photo = [], 0
    for n, f in enumerate(files, 1):
        if f.document is not None:
            name = f"《{f.document.file_name}》"
        else:
            photo += 1
            name = T.NOTICE_EDIT_MENU_PHOTO.format(n=photo)
        lines.append(T.NOTICE_EDIT_MENU_FILE.format(n=n, name=name))
    return lines


async def _remove_file(
    session: AsyncSession, notice: Notice, actor: Person, which: str, settings: Settings, now: datetime
) -> list[Reply]:
    """Take one file off the notice, named by its number (as the menu lists them) or words of its name."""
    files = await attachment_rows.files(session, "notice", notice.id)
    if not files:
        return [Reply(text=T.NOTICE_NO_FILES.format(code=notice.code))]
    listed = "；".join(_listed(files))
    word = which.strip("《》 ")
    if word.isdigit():
        picked = [files[int(word) - 1]] if 1 <= int(word) <= len(files) else []
    else:
        picked = [f for f in files if f.document is not None and word.lower() in f.document.file_name.lower()]
    if not picked:
        return [Reply(text=T.NOTICE_FILE_NOT_FOUND.format(code=notice.code, text=word[:30], files=listed))]
    if len(picked) > 1:
        return [Reply(text=T.NOTICE_FILE_MANY.format(code=notice.code, text=word[:30], files=listed))]
    name = _names(picked)
    await notice_ops.remove_file(session, notice, actor, picked[0], now)
    done = Reply(text=T.NOTICE_FILE_REMOVED.format(code=notice.code, file=name), about=card_key_of(notice))
    return [await card_edit(session, notice, settings, now), done]


async def _set_place(
    session: AsyncSession,
    notice: Notice,
    actor: Person,
    place: str,
    settings: Settings,
    now: datetime,
    reach: Reach,
) -> list[Reply]:
    """Move a meeting to another place (its time stands); whoever answered is told."""
    change = await notice_ops.set_place(session, notice, actor, place, now)
    if not change.changed:
        return [Reply(text=T.NOTICE_PLACE_SAME.format(code=notice.code))]
    when = fmt_when(notice.starts_at or now, settings)
    told = T.NOTICE_PLACE_NOTICE.format(code=notice.code, title=notice.title, place=place, when=when)
    replies, count = await tell_change(session, notice, change, told, settings, now, reach)
    done = T.NOTICE_PLACE_SET.format(code=notice.code, title=notice.title, place=place, count=count)
    return [*replies, Reply(text=done)]


async def _move(
    session: AsyncSession,
    notice: Notice,
    actor: Person,
    value: str,
    settings: Settings,
    now: datetime,
    reach: Reach,
) -> list[Reply]:
    """Move a meeting to another time (and place), as /meeting_move does; whoever answered is told."""
    parsed = parse_when(clean_text(value, 200), settings, now, T.MEETING_MOVE_USAGE)
    if isinstance(parsed, str):
        return [Reply(text=parsed)]
    when, place = parsed
    notice_rules.check_corrector(notice, actor)
    change = await notice_ops.move(session, notice, actor, when, place.split()[0] if place else None, now)
    if not change.changed:
        return [Reply(text=T.MEETING_MOVE_SAME.format(code=notice.code))]
    shown, where = fmt_when(when, settings), notice.place or ""
    told = T.MEETING_MOVE_NOTICE.format(code=notice.code, title=notice.title, when=shown, place=where)
    replies, count = await tell_change(session, notice, change, told, settings, now, reach)
    done = T.MEETING_MOVED.format(code=notice.code, title=notice.title, when=shown, place=where, count=count)
    return [*replies, Reply(text=done)]


async def _menu(session: AsyncSession, notice: Notice) -> Reply:
    """Say what can be corrected in a notice and how, with its files numbered for removal."""
    files = await attachment_rows.files(session, "notice", notice.id)
    meeting = T.NOTICE_EDIT_MENU_MEETING.format(code=notice.code) if notice.kind == NoticeKind.MEETING else ""
    body = T.NF_AGENDA if notice.kind == NoticeKind.MEETING else T.NF_BODY
    how = T.NOTICE_EDIT_MENU_HOW.format(code=notice.code, body=body, meeting=meeting)
    card_photo = await notice_queries.card_photo_file_id(session, notice.id)
    removable = [(n, f) for n, f in enumerate(files, 1) if f.id != card_photo][:MENU_FILE_BUTTONS]
    rows = [
        (
            Button(
                T.BTN_NOTICE_FILE_REMOVE.format(n=n),
                CorrectButton(notice.id, "rm", f.id).pack(),
                f"/notice_edit {notice.code} 删除附件 {n}",
            ),
        )
        for n, f in removable
    ]
    withdraw = Button(T.BTN_NOTICE_WITHDRAW, CorrectButton(notice.id, "wd").pack(), f"/notice_withdraw {notice.code}")
    rows.append((withdraw,))
    return Reply(
        text=T.NOTICE_EDIT_MENU.format(
            kind=T.NOTICE_KIND_NAMES[notice.kind],
            code=notice.code,
            title=notice.title,
            files="；".join(_listed(files)) or T.NONE,
            how=how,
        ),
        buttons=tuple(rows),
        about=card_key_of(notice),
    )




@router.command("notice_withdraw", perm=Perm.NOTICE_SEND, help_text=T.HELP["notice_withdraw"])
async def notice_withdraw(
    msg: Incoming,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    card_key: str | None,
    reach: Reach,
) -> HandlerResult:
    """Withdraw a notice issued by mistake: `/notice_withdraw TZ-… [原因]` (or as a reply to its card)."""
    text = clean_text(msg.args, REASON_LIMIT * 2)
    found, reason, problem = await named(session, text, card_key, T.NOTICE_WITHDRAW_USAGE)
    if found is None:
        return Reply(text=problem)
    return await _withdraw(session, found, actor, clean_text(reason, REASON_LIMIT), settings, now, reach)


async def _withdraw(
    session: AsyncSession,
    found: Notice,
    actor: Person,
    reason: str,
    settings: Settings,
    now: datetime,
    reach: Reach,
    *,
    toast: bool = False,
) -> list[Reply]:
    """Withdraw the notice; edit its card, tell whoever answered, say how many were told."""
    try:
        change = await notice_ops.withdraw(session, found, actor, reason, now)
    except Refused as exc:
        return [Reply(text=refusal_text(exc, actor), toast=toast)]
    if not change.changed:
        return [Reply(text=T.NOTICE_ALREADY_WITHDRAWN.format(code=found.code), toast=toast)]
    kind = T.NOTICE_KIND_NAMES[found.kind]
    meeting = T.NOTICE_WITHDRAW_MEETING if found.kind == NoticeKind.MEETING else ""
    told = T.NOTICE_WITHDRAW_NOTICE.format(
        kind=kind,
        code=found.code,
        title=found.title,
        name=actor.display_name,
        meeting=meeting,
        reason=T.REASON_LINE.format(reason=reason) if reason else "",
    )
    replies, count = await tell_change(session, found, change, told, settings, now, reach)
    done = T.NOTICE_WITHDRAWN.format(kind=kind, code=found.code, title=found.title, count=count)
    toasted = [Reply(text=T.NOTICE_WITHDRAWN_TOAST.format(code=found.code), toast=True)] if toast else []
    return [*replies, Reply(text=done, about=card_key_of(found)), *toasted]


@router.button(CorrectButton, perm=Perm.NOTICE_SEND)
async def correct_button(
    press: ButtonPress,
    *,
    session: AsyncSession,
    actor: Person,
    settings: Settings,
    now: datetime,
    button: CorrectButton,
    reach: Reach,
) -> HandlerResult:
    """A button under the correction menu: remove one file, or withdraw (asked once more, then done)."""
    found = await notice_queries.get(session, button.notice_id)
    if found is None:
        return await refuse(session, actor, press, now, T.BUTTON_STALE)
    if button.action == "wd":
        confirm = Button(
            T.BTN_NOTICE_WITHDRAW_CONFIRM.format(code=found.code),
            CorrectButton(found.id, "wdok").pack(),
            f"/notice_withdraw {found.code}",
        )
        ask = T.NOTICE_WITHDRAW_CONFIRM.format(kind=T.NOTICE_KIND_NAMES[found.kind], code=found.code, title=found.title)
        return [
            Reply(text=ask, buttons=((confirm,),), about=card_key_of(found)),
            Reply(text=T.NOTICE_WITHDRAW_CONFIRM_TOAST, toast=True),
        ]
    if button.action == "wdok":
        return await _withdraw(session, found, actor, "", settings, now, reach, toast=True)
    files = await attachment_rows.files(session, "notice", found.id)
    picked = next((f for f in files if f.id == button.file_id), None)
    if picked is None:
        return Reply(text=T.NOTICE_FILE_GONE.format(code=found.code), toast=True)
    try:
        replies = await _remove_file(session, found, actor, str(files.index(picked) + 1), settings, now)
    except Refused as exc:
        return Reply(text=_refused(exc, actor), toast=True)
    if len(replies) == 1:  # not removed: the reason, as a popup
        return [replace(replies[0], toast=True)]
    removed = T.NOTICE_FILE_REMOVED_TOAST.format(code=found.code, file=_names([picked]))
    return [*replies, Reply(text=removed, toast=True)]
