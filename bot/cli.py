"""The `safetybot` command: run on Telegram, DingTalk and/or WeCom, try on the console, migrate, import
enterprises, the emergency roster and supplies, check photos."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot import footprint
from bot.app import App, NotMigrated, build_app, jobs
from bot.clock import SystemClock
from bot.config import ConfigError, Settings, load_settings
from bot.enterprise_csv import CsvError
from bot.supply_table import CsvError as SupplyFileError
from storage.db import HEAD, current_revision, is_unavailable

if TYPE_CHECKING:
    from bot.scheduler import Scheduler
    from bot.web.server import WebServer

logger = logging.getLogger("safetybot")


def _settings(args: argparse.Namespace) -> Settings:
    path: Path | None = args.config
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")
    return load_settings(path)


class PlatformAdapter(Protocol):
    """What `safetybot run` needs of a platform adapter: start (raising on a refusal) and stop."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class StartupRefused(RuntimeError):
    """A platform refused to start for a reason the operator must fix (said in one line)."""


async def _run_platforms(settings: Settings, migrate: bool, config: Path | None) -> None:
    """Run every configured platform (Telegram, DingTalk, WeCom) on one database until SIGINT or SIGTERM."""
    app = build_app(settings, SystemClock())
    adapters: list[PlatformAdapter] = []
    scheduler: Scheduler | None = None
    refusals: list[type[BaseException]] = []
    try:
        await _prepare_when_reachable(app, migrate, config)
        # Each platform's library is imported only when that platform is configured.
        if settings.telegram.token is not None:
            with footprint.without("cryptography", "trio"):  # the adapter's HTTP clients load httpcore
                from bot.adapters import telegram

                adapters.append(telegram.TelegramAdapter(settings.telegram, app.dispatcher, app.inbox))
            refusals.append(telegram.StartupError)
        if settings.dingtalk.configured:
            from bot.adapters import dingtalk

            adapters.append(dingtalk.DingTalkAdapter(settings.dingtalk, app.dispatcher, app.inbox))
            refusals.append(dingtalk.StartupError)
        if settings.wecom.configured:
            from bot.adapters import wecom

            adapters.append(wecom.WeComAdapter(settings.wecom, app.dispatcher, app.inbox))
            refusals.append(wecom.StartupError)
        # Jobs write to the outbox; the sender retries while a platform is still being reached.
        scheduler = await _start_schedules(app)
        desk = await _start_desk(app)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        starting = [asyncio.create_task(a.start()) for a in adapters]
        stopping = asyncio.create_task(stop.wait())
        try:
            pending: set[asyncio.Task[Any]] = {*starting, stopping}
            settled = False
            while stopping in pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task is not stopping:
                        try:
                            task.result()
                        except tuple(refusals) as exc:
                            raise StartupRefused(str(exc)) from None
                if not settled and all(t.done() for t in starting):
                    settled = True
                    footprint.settle()
        finally:
            for task in [*starting, stopping]:
                task.cancel()
            if desk is not None:
                await desk.stop()
            if scheduler is not None:
                await scheduler.stop()
            for adapter in adapters:
                await adapter.stop()
    finally:
        await app.close()


async def _start_schedules(app: App) -> Scheduler | None:
    """Start the periodic jobs (digest, overdue, reminders) alongside the inbox, unless switched off."""
    if not app.settings.schedule.enabled:
        return None
    from bot.scheduler import Scheduler

    scheduler = Scheduler(
        settings=app.settings, clock=app.clock, db=app.db, dispatcher=app.dispatcher, jobs=jobs(app.settings)
    )
    await scheduler.start()
    return scheduler


async def _start_desk(app: App) -> WebServer | None:
    """Serve the web desk in this process when `[web] listen` is set (its modules load only then)."""
    if not app.settings.web.enabled:
        return None
    from bot.app import build_desk
    from bot.web.server import WebServer

    server = WebServer(build_desk(app))
    await server.start()
    return server


async def _prepare_when_reachable(app: App, migrate: bool, config: Path | None) -> None:
    """Prepare the database, waiting with backoff (and saying so in one line) while it cannot be reached;
    pending migrations are applied by a child process, so Alembic and Mako never load in the bot's."""
    delay = 1.0
    while True:
        try:
            # Only the revision is read here: listing what is pending would load Alembic.
            if migrate and await current_revision(app.db.engine) != HEAD:
                await _migrate_in_child(config)
            await app.prepare(migrate=False)
            return
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            if delay == 1.0:
                where = app.settings.database.url.split("@")[-1]
                reason = " ".join(str(exc).split())[:200]
                logging.getLogger(__name__).warning(
                    "database %s cannot be reached (%s: %s); retrying with backoff",
                    where,
                    type(exc).__name__,
                    reason,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)


async def _migrate_in_child(config: Path | None) -> None:
    """Run `safetybot db upgrade` with the same config file and environment; raise when it fails."""
    logger.info("applying migrations in a child process")
    where = ["--config", str(config)] if config is not None else []
    child = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", *where, "db", "upgrade")
    status = await child.wait()
    if status != 0:
        raise StartupRefused(f"applying migrations failed (`safetybot db upgrade` exited with {status})")


def _console_files(settings: Settings, verbose: bool) -> Path:
    """Send log lines to a file beside the photo directory (not into the chat); return that folder."""
    folder = settings.storage.photo_dir.parent
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / "console.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)
    return folder


def _line_editing(history: Path) -> Callable[[], None]:
    """Turn on line editing and history with the stdlib `readline` when it exists; return a saver."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: plain input() still works
        return lambda: None
    with contextlib.suppress(OSError):  # no history yet
        readline.read_history_file(history)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(history)

    return save


async def _run_console(settings: Settings, demo: bool, verbose: bool) -> None:
    from bot.adapters.console import CONSOLE_HELP, ConsoleAdapter, ConsoleSession
    from bot.demo import console_people, load_demo
    from storage import cards

    folder = _console_files(settings, verbose)
    save_history = _line_editing(folder / "console_history")
    app = build_app(settings, SystemClock())
    scheduler = None
    desk: WebServer | None = None
    try:
        await app.prepare()
        async with app.db.unit_of_work() as session:
            if demo and await load_demo(session, app.clock.now()):
                print("已载入演示园区（4 家企业、7 位人员、1 个园区群）。")
            first_id = await cards.last_card_message_id(session, "console") + 1
        adapter = ConsoleAdapter(print, first_id, numbers=folder / "console_last_message")
        app.dispatcher.attach(adapter)
        scheduler = await _start_schedules(app)
        desk = await _start_desk(app)  # `/web` links open on this machine while the console runs
        repl = ConsoleSession(app.dispatcher, adapter, console_people())
        print(f"{settings.park.name} 安全生产机器人 · 本地控制台（数据库：{settings.database.url}）")
        print(f"日志写在 {folder / 'console.log'}。")
        print(CONSOLE_HELP)
        print(f"现在以 {repl.person.name} 的身份在园区群发言。")
        while True:
            try:
                line = await asyncio.to_thread(input, f"{repl.person.name}> ")
            except EOFError:
                break
            if not await repl.line(line):
                break
    finally:
        save_history()
        if desk is not None:
            await desk.stop()
        if scheduler is not None:
            await scheduler.stop()
        await app.close()


async def _db_upgrade(settings: Settings) -> None:
    app = build_app(settings, SystemClock())
    try:
        await app.prepare(migrate=True)
        print(f"database at {settings.database.url.split('@')[-1]} is up to date")
    finally:
        await app.close()


async def _import_enterprises(settings: Settings, path: Path) -> None:
    from bot.enterprise_csv import officer_problem, read_enterprises
    from domain.outcome import Refused
    from domain.park import operations as park_ops

    rows = read_enterprises(path)
    app = build_app(settings, SystemClock())
    try:
        await app.prepare()
        try:
            async with app.db.unit_of_work() as session:
                created, updated = await park_ops.import_enterprises(session, rows, app.clock.now())
        except Refused as refused:  # nothing was imported: the whole file is one transaction
            raise CsvError(officer_problem(path, refused)) from None
        print(f"imported {path}: {created} created, {updated} updated")
    finally:
        await app.close()


async def _import_roster(settings: Settings, path: Path) -> None:
    from domain.emergency import operations as emergency_ops
    from domain.emergency.roster_file import RosterFileError, read_roster
    from domain.outcome import Refused

    try:
        lines = read_roster(await asyncio.to_thread(path.read_bytes), path.name)
    except RosterFileError as exc:
        raise CsvError(f"{path}: {exc}; nothing was imported") from None
    app = build_app(settings, SystemClock())
    try:
        await app.prepare()
        try:
            async with app.db.unit_of_work() as session:
                added, changed = await emergency_ops.import_members(session, None, lines, app.clock.now())
        except Refused as refused:  # nothing was imported: every line is checked before the first is kept
            detail = refused.detail
            raise CsvError(
                f"{path}: line {detail.get('line')}: {refused.reason} "
                f"({', '.join(f'{k}={v}' for k, v in detail.items() if k != 'line')}); nothing was imported"
            ) from None
        print(f"imported {path}: {added} added, {changed} changed")
    finally:
        await app.close()


async def _import_supplies(settings: Settings, path: Path) -> None:
    from bot.supply_table import read_supplies
    from domain.outcome import Refused
    from domain.supplies import operations as supply_ops

    rows = read_supplies(path)
    app = build_app(settings, SystemClock())
    try:
        await app.prepare()
        try:
            async with app.db.unit_of_work() as session:
                now = app.clock.now()
                added, updated = await supply_ops.import_rows(session, rows, None, now, settings.park.day(now))
        except Refused as refused:  # nothing was imported: the whole file is one transaction
            said = ", ".join(f"{k}={v!r}" for k, v in refused.detail.items())
            raise SupplyFileError(f"{path}: {refused.reason} ({said}); nothing was imported") from None
        print(f"imported {path}: {added} added, {updated} updated")
    finally:
        await app.close()


async def _storage_check(settings: Settings, fix: bool, grace: timedelta) -> int:
    from storage.files import check_photo_files

    app = build_app(settings, SystemClock())
    try:
        await app.prepare(migrate=False)
        result = await check_photo_files(
            app.db, settings.storage.photo_dir, app.clock.now(), fix=fix, grace=grace
        )
    finally:
        await app.close()
    tz = settings.park.tz
    for o in result.orphans:
        when = o.modified.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        print(f"orphan file {o.path}: {o.size} bytes, modified {when}, no photo or document row; {o.action}")
    for m in result.missing:
        when = m.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        used = f"used by {', '.join(m.hazards)}" if m.hazards else "used by no hazard"
        print(f"missing file {m.path}: {m.kind} #{m.photo_id} of {when}, {used}; row kept as evidence")
    removed = f" ({result.removed} removed)" if fix else ""
    print(
        f"summary: {result.files} files, {result.rows} photo and document rows; orphan files: {len(result.orphans)}{removed}; "
        f"rows without their file: {len(result.missing)}"
    )
    return 0 if result.clean else 1


async def _export(settings: Settings, year: int | None, start: str | None, end: str | None, out: Path) -> int:
    from datetime import date

    from handlers.reports.ledger_xlsx import write_ledger

    app = build_app(settings, SystemClock())
    try:
        await app.prepare(migrate=False)
        now = app.clock.now()
        if year is not None:
            first, last = date(year, 1, 1), date(year, 12, 31)
        else:
            first = date.fromisoformat(start or "")
            last = date.fromisoformat(end or "")
        async with app.db.reading() as session:
            done = await write_ledger(session, settings, out, first, last, now)
    finally:
        await app.close()
    print(
        f"wrote {out}: {done.hazards} hazards found {first} to {last}; chain head #{done.head.event_id} {done.head.hash}"
    )
    return 0


async def _ledger_verify(settings: Settings, posted: str | None) -> int:
    from domain.hazards import chain

    app = build_app(settings, SystemClock())
    try:
        await app.prepare(migrate=False)
        async with app.db.reading() as session:
            result = await chain.verify(session)
            anchored = await chain.verify_head(session, posted) if posted else None
    finally:
        await app.close()
    code = 0
    if result.broken is None:
        print(
            f"ledger intact: {result.events} hazard events; head #{result.head.event_id} {result.head.hash}"
        )
    else:
        b = result.broken
        where = f"event #{b.event_id}" + (f" ({b.code})" if b.code else "")
        fields = ", ".join(b.fields)
        problems = {
            "altered": f"{where} was altered: its content does not match its hash",
            "missing_before": f"{where} does not follow the event before it: a row before it is missing or was altered",
            "missing_after": f"the chain head names {where}, but the ledger ends earlier: rows at its end are missing",
            "row_changed": f"hazard {b.code} differs from what its events sealed ({fields}): the row was changed outside the bot",
            "no_events": f"hazard {b.code} has no events: its history was deleted",
            "file_moved": f"{fields} points at a file other than its own digest",
        }
        print(f"ledger BROKEN: {problems[b.problem]}")
        code = 1
    if posted is not None and anchored is not None:
        if anchored.found:
            print(
                f"posted head {posted} found: event {anchored.events} of the chain; the ledger still extends it"
            )
        else:
            print(
                f"posted head {posted} NOT found: the ledger no longer contains what was posted"
                " (events were deleted, altered or the chain was rewritten)"
            )
            code = 1
    return code


def _date_arg(value: str) -> str:
    """Check a YYYY-MM-DD date for --from / --to."""
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None
    return value


def _minutes(value: str) -> timedelta:
    """Parse a whole number of minutes (0 or more) for --grace."""
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of minutes, got {value!r}")
    return timedelta(minutes=int(value))


def parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    p = argparse.ArgumentParser(prog="safetybot", description="Park safety-production group bot")
    p.add_argument(
        "--config", type=Path, default=None, help="TOML config file (default: ./config.toml if present)"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="run the bot on every configured platform (Telegram long polling, DingTalk Stream mode, WeCom long connection)"
    )
    run.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    run.add_argument("--no-migrate", action="store_true", help="refuse to start if migrations are pending")
    console = sub.add_parser("console", help="try the bot locally in this terminal")
    console.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    console.add_argument(
        "--no-demo", action="store_true", help="do not load the demo park into an empty database"
    )
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply pending migrations")
    up.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    ent = sub.add_parser("enterprises", help="manage the enterprise list")
    ent_sub = ent.add_subparsers(dest="ent_command", required=True)
    imp = ent_sub.add_parser("import", help="import enterprises from a CSV file (see bot/enterprise_csv.py)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    ros = sub.add_parser("roster", help="the emergency command's roster (应急救援指挥部)")
    ros_sub = ros.add_subparsers(dest="roster_command", required=True)
    rimp = ros_sub.add_parser(
        "import", help="import the roster from a CSV or .xlsx file (see domain/emergency/roster_file.py)"
    )
    rimp.add_argument("file", type=Path)
    rimp.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    sup = sub.add_parser("supplies", help="manage the emergency supplies (应急物资)")
    sup_sub = sup.add_subparsers(dest="sup_command", required=True)
    sup_imp = sup_sub.add_parser("import", help="import supplies from a CSV or .xlsx file (see bot/supply_table.py)")
    sup_imp.add_argument("file", type=Path)
    sup_imp.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    storage = sub.add_parser("storage", help="photo files on disk")
    storage_sub = storage.add_subparsers(dest="storage_command", required=True)
    check = storage_sub.add_parser(
        "check",
        help="report photo files no row points to and photo rows whose file is missing "
        "(exit status 1 when any is left)",
    )
    check.add_argument(
        "--fix",
        action="store_true",
        help="remove orphan files untouched for the grace period; rows are never removed",
    )
    check.add_argument(
        "--grace",
        type=_minutes,
        default=timedelta(hours=1),
        metavar="MINUTES",
        help="spare orphan files younger than this: updates in flight write the file first (default 60)",
    )
    check.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    exp = sub.add_parser("export", help="write the hazard ledger (隐患台账) of a year or a period as .xlsx")
    when = exp.add_mutually_exclusive_group(required=True)
    when.add_argument("--year", type=int, help="the year, e.g. 2026")
    when.add_argument(
        "--from", dest="start", type=_date_arg, metavar="YYYY-MM-DD", help="first day (with --to)"
    )
    exp.add_argument("--to", dest="end", type=_date_arg, metavar="YYYY-MM-DD", help="last day (with --from)")
    exp.add_argument("-o", "--output", type=Path, required=True, help="the .xlsx file to write")
    exp.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    led = sub.add_parser("ledger", help="the hazard ledger's hash chain")
    led_sub = led.add_subparsers(dest="ledger_command", required=True)
    ver = led_sub.add_parser(
        "verify", help="recompute the hash chain; name the first altered or missing row (exit status 1)"
    )
    ver.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    ver.add_argument(
        "--head",
        metavar="HASH",
        help="a chain head posted in the park groups (the weekly digest's 台账校验码): prove the ledger still extends it",
    )
    return p


def _outage_in_one_line(record: logging.LogRecord) -> bool:
    """SQLAlchemy's pool logs a broken connection it could not reset or close with a traceback; during a
    database outage that is expected, and said like every other outage: one line, a warning."""
    exc = record.exc_info[1] if record.exc_info else None
    if exc is not None and record.name.startswith("sqlalchemy") and is_unavailable(exc):
        record.msg = f"{record.getMessage()}: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        record.args = None
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    # httpx imports its own command-line tool when `rich` and `click` happen to be installed (a development
    # tool brings them): about 5 MB of resident memory the bot never uses. Without it httpx is unchanged.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO if args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_outage_in_one_line)
    try:
        settings = _settings(args)
        if args.command == "run":
            if settings.telegram.token is None and not settings.dingtalk.configured and not settings.wecom.configured:
                raise ConfigError(
                    f"config error: no platform configured in {args.config or 'config.toml'}: set telegram.token "
                    "(the bot token from @BotFather, or SAFETYBOT_TELEGRAM__TOKEN) and/or dingtalk.client_id with "
                    "dingtalk.client_secret (or SAFETYBOT_DINGTALK__CLIENT_SECRET) and/or wecom.bot_id with wecom.secret "
                    "(or SAFETYBOT_WECOM__SECRET); to try the bot without one, "
                    "run `safetybot console`"
                )
            try:
                asyncio.run(_run_platforms(settings, migrate=not args.no_migrate, config=args.config))
            except StartupRefused as exc:
                print(f"safetybot: {exc}", file=sys.stderr)
                return 2
        elif args.command == "console":
            asyncio.run(_run_console(settings, demo=not args.no_demo, verbose=args.verbose))
        elif args.command == "db":
            asyncio.run(_db_upgrade(settings))
        elif args.command == "enterprises":
            asyncio.run(_import_enterprises(settings, args.file))
        elif args.command == "roster":
            asyncio.run(_import_roster(settings, args.file))
        elif args.command == "supplies":
            asyncio.run(_import_supplies(settings, args.file))
        elif args.command == "storage":
            return asyncio.run(_storage_check(settings, args.fix, args.grace))
        elif args.command == "export":
            if args.year is None and args.end is None:
                raise ConfigError("safetybot export: --from needs --to (or use --year)")
            return asyncio.run(_export(settings, args.year, args.start, args.end, args.output))
        elif args.command == "ledger":
            return asyncio.run(_ledger_verify(settings, args.head))
    except (ConfigError, NotMigrated, CsvError, SupplyFileError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
