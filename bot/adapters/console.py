"""Console adapter: try the bot locally, speaking as any person of the demo park.

Lines starting with `:` are console controls (`:as 张伟`, `:group`, `:private`, `:photo PATH…
caption`, `:press N`, `:reply N text`, `:people`, `:quit`); everything else is sent to the bot as
the current person in the current chat. Each bot message is printed with the chat it went to and
a number, so it can be replied to; each button gets a number, so it can be pressed. Numbers are
never reused: the last one is kept in a small file, so a restart goes on after it.
"""

from __future__ import annotations

import asyncio
import itertools
import shlex
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.adapters.shared import addressed_text
from bot.dispatcher import Dispatcher
from bot.messages import Button, ButtonPress, Capabilities, Card, ChatRef, FileRef, Incoming, Reply, Sender

PLATFORM = "console"
GROUP = ChatRef(PLATFORM, "park-group", is_group=True, title="园区安全生产群")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"}
BOT_USERNAME = "safetybot"  # `/help@safetybot` is for this bot; `/help@other_bot` is ignored, as on Telegram


def read_last_number(path: Path | None) -> int:
    """Return the last message number a console run recorded in the file (0 if none)."""
    try:
        text = path.read_text(encoding="utf-8").strip() if path is not None else ""
    except OSError:
        return 0
    return int(text) if text.isdigit() else 0


def render_card(card: Card) -> list[str]:
    """Render a card as plain text lines."""
    lines = [f"┌ {card.title}"]
    lines += [f"│ {f.label}：{f.value}" for f in card.fields]
    if card.status:
        lines.append(f"│ {card.status.label}：{card.status.text}")
    lines += [f"│ [图片] {p.name}" for p in card.photos]
    lines.append("└")
    return lines


@dataclass
class Shown:
    """A message the console printed: its chat and its buttons."""

    chat: ChatRef
    buttons: list[Button] = field(default_factory=list)


class ConsoleAdapter:
    """Renders replies as text on a writer function; attachments are local file paths."""

    platform = PLATFORM
    capabilities = Capabilities(replies=True, buttons=True, edits=True, private_to_anyone=False)

    def __init__(self, write: Callable[[str], None], first_id: int = 1, numbers: Path | None = None) -> None:
        self.write = write
        self.shown: dict[str, Shown] = {}
        self.button_list: list[tuple[str, Button]] = []
        # Numbers go on from the last run's (cards in the database, every message in `numbers`),
        # so a new run never reuses a message number.
        self._numbers = numbers
        self._ids = itertools.count(max(first_id, read_last_number(numbers) + 1))
        self.names: dict[str, str] = {}  # private chat id -> person name, for "私聊 → 张伟"

    def _where(self, chat: ChatRef) -> str:
        if chat.is_group:
            return f"群聊·{chat.title or (GROUP.title if chat.chat_id == GROUP.chat_id else chat.chat_id)}"
        return f"私聊→{self.names.get(chat.chat_id, chat.chat_id)}"

    def _buttons(self, message_id: str, rows: tuple[tuple[Button, ...], ...]) -> list[str]:
        out = []
        for row in rows:
            labels = []
            for button in row:
                self.button_list.append((message_id, button))
                self.shown[message_id].buttons.append(button)
                labels.append(f"[{len(self.button_list)}] {button.label}")
            out.append("   " + "  ".join(labels))
        return out

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Print a reply with its chat, a message number and numbered buttons."""
        number = next(self._ids)
        if self._numbers is not None:
            self._numbers.parent.mkdir(parents=True, exist_ok=True)
            self._numbers.write_text(f"{number}\n", encoding="utf-8")
        message_id = str(number)
        self.shown[message_id] = Shown(chat)
        lines = [f"#{message_id} [{self._where(chat)}] 机器人："]
        if reply.card is not None:
            lines += render_card(reply.card)
        if reply.text:
            lines += reply.text.splitlines()
        lines += [f"[图片] {p}" for p in reply.photos]
        names = reply.document_names
        lines += [f"[文件] {names[i]}（{p}）" if i < len(names) else f"[文件] {p}" for i, p in enumerate(reply.documents)]
        lines += self._buttons(message_id, reply.card.actions if reply.card else reply.buttons)
        self.write("\n".join(lines))
        return message_id

    async def edit_card(self, chat_id: str, message_id: str, card: Card) -> None:
        """Print the card again, marked as an in-place update of message N."""
        shown = self.shown.get(message_id)
        if shown is None:
            return
        shown.buttons.clear()
        lines = [f"#{message_id} [{self._where(shown.chat)}] 卡片已更新："]
        lines += render_card(card)
        lines += self._buttons(message_id, card.actions)
        self.write("\n".join(lines))

    async def fetch_file(self, ref: FileRef) -> bytes:
        """Read the attachment from the local path the console user named."""
        return await asyncio.to_thread(Path(ref.file_id).read_bytes)


@dataclass(frozen=True)
class ConsolePerson:
    """Someone the console user can speak as."""

    user_id: str
    name: str


class ConsoleSession:
    """A REPL state: who is speaking, in which chat; turns input lines into updates."""

    def __init__(self, dispatcher: Dispatcher, adapter: ConsoleAdapter, people: list[ConsolePerson]) -> None:
        self.dispatcher = dispatcher
        self.adapter = adapter
        self.people = people
        self.person = people[0]
        self.chat = GROUP
        self._updates = itertools.count(1)
        self._run_id = uuid.uuid4().hex[:12]  # update keys of an earlier run are never repeated
        for p in people:
            adapter.names[f"private-{p.user_id}"] = p.name

    async def _settle(self) -> None:
        """Wait until the bot's answers are printed (they go out through the outbox after the commit)."""
        if self.dispatcher.delivery is not None:
            await self.dispatcher.delivery.settle()

    def _sender(self) -> Sender:
        return Sender(PLATFORM, self.person.user_id, self.person.name)

    def _key(self) -> str:
        return f"console:{self._run_id}:{next(self._updates)}"

    async def line(self, text: str) -> bool:
        """Handle one input line; False when the user asked to quit."""
        text = text.strip()
        if not text:
            return True
        if text.startswith(":"):
            return await self._control(text[1:])
        await self.say(text)
        return True

    async def say(
        self,
        text: str,
        files: tuple[FileRef, ...] = (),
        reply_to: str | None = None,
        media_group_id: str | None = None,
        echo: bool = True,
    ) -> None:
        """Send a message as the current person in the current chat (`/cmd@other_bot` goes nowhere)."""
        if echo:
            self.adapter.write(f"[{self.adapter._where(self.chat)}] {self.person.name}：{text}")
        ours = addressed_text(text, BOT_USERNAME)
        if ours is None:
            self.adapter.write(f"（这条命令是发给其他机器人的，{BOT_USERNAME} 收不到）")
            return
        await self.dispatcher.handle(
            Incoming(
                update_key=self._key(),
                sender=self._sender(),
                chat=self.chat,
                text=ours,
                sent_at=self.dispatcher.clock.now(),
                files=files,
                message_id=f"u{next(self._updates)}",
                reply_to_message_id=reply_to,
                addressed=(
                    not self.chat.is_group
                    or ours.startswith("/")
                    or (reply_to is not None and reply_to in self.adapter.shown)
                ),
                media_group_id=media_group_id,
            )
        )
        await self._settle()

    async def forge(self, data: str) -> None:
        """Send arbitrary button data in the current chat, as a tampered client could."""
        self.adapter.write(f"[{self.adapter._where(self.chat)}] {self.person.name} 伪造按钮数据「{data}」")
        outcome = await self.dispatcher.handle(
            ButtonPress(self._key(), self._sender(), self.chat, data, None, self.dispatcher.clock.now())
        )
        await self._settle()
        if outcome.toast:
            self.adapter.write(f"（提示）{outcome.toast}")

    async def press(self, number: int) -> None:
        """Press button N as the current person."""
        if not 1 <= number <= len(self.adapter.button_list):
            self.adapter.write(f"没有编号为 {number} 的按钮。")
            return
        message_id, button = self.adapter.button_list[number - 1]
        shown = self.adapter.shown[message_id]
        if not shown.chat.is_group and shown.chat.chat_id != f"private-{self.person.user_id}":
            # As on a real platform: nobody can press buttons in someone else's private chat.
            self.adapter.write(
                f"按钮 {number} 在{self.adapter._where(shown.chat)}里，{self.person.name} 看不到。"
            )
            return
        self.adapter.write(f"[{self.adapter._where(shown.chat)}] {self.person.name} 按下了「{button.label}」")
        outcome = await self.dispatcher.handle(
            ButtonPress(
                update_key=self._key(),
                sender=self._sender(),
                chat=shown.chat,
                data=button.data,
                message_id=message_id,
                sent_at=self.dispatcher.clock.now(),
            )
        )
        await self._settle()
        if outcome.toast:
            self.adapter.write(f"（提示）{outcome.toast}")

    async def _control(self, text: str) -> bool:
        try:
            words = shlex.split(text)
        except ValueError:
            words = text.split()
        if not words:
            return True
        cmd, args = words[0], words[1:]
        write = self.adapter.write
        if cmd in ("quit", "q", "exit"):
            return False
        if cmd == "as" and args:
            match = [p for p in self.people if args[0] in (p.user_id, p.name)]
            if not match:
                match = [ConsolePerson(args[0], args[0])]
                self.people.append(match[0])
                self.adapter.names[f"private-{args[0]}"] = args[0]
            self.person = match[0]
            if not self.chat.is_group:  # nobody speaks in someone else's private chat
                self.chat = self._private()
            write(f"现在以 {self.person.name} 的身份发言（{self.adapter._where(self.chat)}）。")
        elif cmd == "group":
            self.chat = GROUP
            write(f"切换到 {self.adapter._where(self.chat)}。")
        elif cmd == "private":
            self.chat = self._private()
            write(f"切换到 {self.adapter._where(self.chat)}。")
        elif cmd == "press" and args and args[0].isdigit():
            await self.press(int(args[0]))
        elif cmd == "forge" and args:
            await self.forge(args[0])
        elif cmd == "reply" and len(args) >= 2:
            await self.say(" ".join(args[1:]), reply_to=args[0].lstrip("#"))
        elif cmd in ("photo", "file") and args:
            await self._attach(cmd, args)
        elif cmd == "people":
            write("可切换的身份：" + "、".join(f"{p.name}（{p.user_id}）" for p in self.people))
        else:
            write(CONSOLE_HELP)
        return True

    def _private(self) -> ChatRef:
        return ChatRef(PLATFORM, f"private-{self.person.user_id}", is_group=False)

    async def _attach(self, cmd: str, args: list[str]) -> None:
        """Send photos (paths until the first word that is not a file) with a caption, maybe as a reply.

        Several files go as one album, as a phone sends them: one message each with the same
        media group id, the caption (and the reply) on the first.
        """
        reply_to = None
        if args[0].startswith("#"):
            reply_to, args = args[0][1:], args[1:]
        paths = []
        while args and Path(args[0]).suffix.lower() in IMAGE_SUFFIXES | DOCUMENT_SUFFIXES:
            paths.append(Path(args.pop(0)))
        missing = [p for p in paths if not p.is_file()]
        if not paths or missing:
            self.adapter.write(f"找不到图片文件：{' '.join(map(str, missing)) or '(未指定)'}")
            return
        kind: Literal["photo", "document"] = "document" if cmd == "file" else "photo"
        files = tuple(
            FileRef(str(p.resolve()), kind, p.stat().st_size, None, p.name if kind == "document" else None)
            for p in paths
        )
        caption = " ".join(args)
        if len(files) == 1:
            await self.say(caption, files=files, reply_to=reply_to)
            return
        album = f"album-{self._run_id}-{next(self._updates)}"
        names = "、".join(p.name for p in paths)
        self.adapter.write(
            f"[{self.adapter._where(self.chat)}] {self.person.name}：（相册 {len(files)} 张：{names}）{caption}"
        )
        for i, ref in enumerate(files):
            first = i == 0
            await self.say(caption if first else "", (ref,), reply_to if first else None, album, echo=False)


# Files `:file` sends as documents besides pictures: PDFs, office files (work plans with notices) and CSV
# tables (a knowledge-quiz question bank).
DOCUMENT_SUFFIXES = {".pdf", ".docx", ".xlsx", ".pptx", ".doc", ".xls", ".ppt", ".csv"}

CONSOLE_HELP = """控制命令（以冒号开头）：
  :as <姓名或账号>        切换发言人（:people 列出演示园区的人员）
  :group / :private       切换到园区群 / 与机器人的私聊
  :photo [#N] 图片… 说明  发送图片（多张作为一个相册），例如 :photo a.jpg b.jpg /hazard 配电箱未关 7天内
  :file [#N] 文件 说明    以文件形式发送原图或 PDF、Word、Excel、CSV 文件
  :reply N 文字           回复编号为 N 的机器人消息，例如 :reply 3 /fix 已整改
  :press N                按下编号为 N 的按钮
  :forge 数据             发送伪造的按钮数据（测试权限检查），例如 :forge join:1:approve
  :quit                   退出
其他输入都作为消息发给机器人，例如 /help。"""
