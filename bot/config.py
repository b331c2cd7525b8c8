"""Settings: msgspec Structs read from the TOML file and the environment; environment over file over defaults.

Built once by `load_settings` at start and passed down; nothing reads settings at import time.
Environment variables use the prefix `SAFETYBOT_` and `__` between section and key, e.g.
`SAFETYBOT_TELEGRAM__TOKEN`, `SAFETYBOT_DINGTALK__CLIENT_SECRET` or `SAFETYBOT_WECOM__SECRET`.
A value from the environment is text: msgspec reads numbers and true/false from it; lists are JSON.

msgspec converts and checks types and bounds (`Meta`); each key's own rule (a time zone, a crontab line)
is a function named in its section's `rules`. A section made in code is checked as one read from the file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import Meta, field

ENV_PREFIX = "SAFETYBOT_"
UNKNOWN_KEY = "unknown key; see config.example.toml for the keys that exist"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming key, file and expectation."""


class SecretStr:
    """A secret (a token, an app secret): printed as asterisks, read with `get_secret_value`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """Return the secret itself."""
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class BadValue(ValueError):
    """A key's own rule refused its value (msgspec names only the section: this names the key)."""

    def __init__(self, key: str, why: str) -> None:
        super().__init__(why)
        self.key = key


_reading: ContextVar[bool] = ContextVar("_reading", default=False)  # inside msgspec.convert


def _from_text(kind: type, value: Any) -> Any:
    """Read the types msgspec does not know (a path, a secret) from text."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str) and kind in (Path, SecretStr):
        return kind(value)
    raise TypeError(f"Expected `str`, got `{type(value).__name__}`")


T = TypeVar("T")


def _convert(data: Any, kind: type[T]) -> T:
    """Return `data` (tables, values or text) as `kind`; raise msgspec.ValidationError."""
    token = _reading.set(True)
    try:
        return msgspec.convert(data, kind, strict=False, dec_hook=_from_text)
    finally:
        _reading.reset(token)


class Section(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A group of keys (one TOML table); converted and checked by msgspec, then by its keys' own rules."""

    # Each key's own rule: it returns the value (perhaps tidied) or raises ValueError saying what it expects.
    rules: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def __post_init__(self) -> None:
        if not _reading.get():  # made in code: converted and checked as if read from the file
            checked = _convert(msgspec.structs.asdict(self), type(self))
            for name in self.__struct_fields__:
                setattr(self, name, getattr(checked, name))
            return
        for name, rule in self.rules.items():
            try:
                setattr(self, name, rule(getattr(self, name)))
            except ValueError as exc:
                raise BadValue(name, str(exc)) from None


def _check_platform_ids(values: list[str], what: str) -> list[str]:
    for value in values:
        platform, sep, ident = value.partition(":")
        if not sep or not platform.isalpha() or not platform.islower() or not ident:
            raise ValueError(f'expected {what} as "telegram:<id>" strings, got {value!r}')
        if platform == "telegram" and not ident.lstrip("-").isdigit():
            raise ValueError(f'expected a numeric Telegram id after "telegram:", got {value!r}')
    return values


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"expected an IANA time zone such as Asia/Shanghai, got {value!r}") from exc
    return value


def _check_chats(value: list[str]) -> list[str]:
    return _check_platform_ids(value, "park group chats")


def _check_admins(value: list[str]) -> list[str]:
    return _check_platform_ids(value, "admins")


def _check_quiet(value: str) -> str:
    _quiet_window(value)
    return value


class ParkSettings(Section):
    rules = {"timezone": _check_timezone, "chats": _check_chats, "quiet_hours": _check_quiet}

    name: str = "示范工业园区"
    timezone: str = "Asia/Shanghai"
    chats: list[str] = []
    # Working days (Saturdays and Sundays skipped) after the day it was found that an immediate fix
    # (立即整改) may take before it counts as overdue: 1 means by the end of the next working day.
    immediate_grace_days: Annotated[int, Meta(ge=0, le=30)] = 1
    # Park-time hours in which nobody is reminded privately ("HH:MM-HH:MM"; may run past midnight).
    quiet_hours: str = "22:00-07:00"
    # Hours after a notice (通知, not a meeting) is issued before enterprises that have not answered are
    # reminded (then at most once a day, for `notice_reminder_days` days).
    notice_reminder_hours: Annotated[int, Meta(ge=1, le=24 * 14)] = 24
    notice_reminder_days: Annotated[int, Meta(ge=1, le=30)] = 3
    # Whether the inspector (检查专家) who found a hazard may also do its re-check (复查): accept or reject
    # the fix, as a manager does, and get the fix to check. Off: managers verify; the inspector is told
    # when it is closed either way.
    inspector_recheck: bool = False

    @property
    def tz(self) -> ZoneInfo:
        """Return the park's time zone."""
        return ZoneInfo(self.timezone)

    def day(self, at: datetime) -> date:
        """Return the park's calendar day of a moment (its "today" when the moment is now)."""
        return at.astimezone(self.tz).date()

    def is_quiet(self, at: datetime) -> bool:
        """Tell whether a moment falls in the park's quiet hours."""
        start, end = _quiet_window(self.quiet_hours)
        local = at.astimezone(self.tz).time()
        if start <= end:
            return start <= local < end
        return local >= start or local < end

    def quiet_until(self, at: datetime) -> datetime:
        """Return the first moment at or after `at` that is outside the quiet hours."""
        if not self.is_quiet(at):
            return at
        _, end = _quiet_window(self.quiet_hours)
        local = at.astimezone(self.tz)
        candidate = datetime.combine(local.date(), end, tzinfo=self.tz)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=self.tz)
        return candidate.astimezone(at.tzinfo)


def _quiet_window(value: str) -> tuple[time, time]:
    try:
        first, second = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ValueError(f'expected quiet hours as "22:00-07:00", got {value!r}') from exc
    return first, second


def _check_database_url(value: str) -> str:
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(
            "expected sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db, "
            f"got {value.split('://')[0]!r}"
        )
    return value


class AccessSettings(Section):
    rules = {"admins": _check_admins}

    admins: list[str] = []


class DatabaseSettings(Section):
    rules = {"url": _check_database_url}

    url: str = "sqlite+aiosqlite:///./data/safetybot.db"


class StorageSettings(Section):
    photo_dir: Path = Path("./data/photos")
    max_photo_bytes: Annotated[int, Meta(gt=0)] = 20 * 1024 * 1024
    # Largest image accepted, in pixels (width × height), read from the header before decoding. 120 MP
    # takes the largest common phone photos (108 MP, 12000 × 9000); a 200 MP photo is over 20 MB anyway.
    # Decoding costs about 4 bytes a pixel for formats other than JPEG (480 MB at this limit).
    max_pixels: Annotated[int, Meta(gt=0)] = 120_000_000

    @property
    def reports_dir(self) -> Path:
        """Return the folder of generated files (charts, workbooks): beside the photo directory, not in it."""
        return self.photo_dir.parent / "reports"

    def new_report_path(self, name: str, suffix: str, at: datetime) -> Path:
        """Return a path for a new generated file, never one already used (two exports in a second differ)."""
        return self.reports_dir / f"{name}-{at:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}{suffix}"


class TelegramSettings(Section):
    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    poll_timeout: Annotated[int, Meta(ge=0, le=50)] = 30


class DingTalkSettings(Section):
    """The DingTalk enterprise internal app whose robot runs in Stream mode (keys as the developer console names them)."""

    client_id: str = ""  # the AppKey; also the robot's robotCode
    client_secret: SecretStr | None = None  # the AppSecret; prefer SAFETYBOT_DINGTALK__CLIENT_SECRET
    card_template_id: str = ""  # the interactive card template built from docs/dingtalk/card_template.json
    api_base_url: str = "https://api.dingtalk.com"
    oapi_base_url: str = "https://oapi.dingtalk.com"

    @property
    def configured(self) -> bool:
        """Tell whether the bot should run on DingTalk (both the client id and its secret are set)."""
        return (
            bool(self.client_id)
            and self.client_secret is not None
            and bool(self.client_secret.get_secret_value())
        )


class WeComSettings(Section):
    """The WeCom 智能机器人 in API mode over its long connection (keys as the admin console names them)."""

    bot_id: str = ""  # the bot's Bot ID
    secret: SecretStr | None = None  # the bot's Secret; prefer SAFETYBOT_WECOM__SECRET
    ws_url: str = "wss://openws.work.weixin.qq.com"
    # Cards as template cards with buttons; off: markdown with the commands spelled out.
    template_cards: bool = True

    @property
    def configured(self) -> bool:
        """Tell whether the bot should run on WeCom (both the bot id and its secret are set)."""
        return bool(self.bot_id) and self.secret is not None and bool(self.secret.get_secret_value())


class PlatformLimits(Section):
    """How fast the bot may write on one platform; the defaults are Telegram's published limits."""

    overall_per_second: Annotated[float, Meta(gt=0)] = 30.0  # every chat together
    per_group_per_minute: Annotated[float, Meta(gt=0)] = 20.0  # one group
    private_per_second: Annotated[float, Meta(gt=0)] = 1.0  # one private chat, on average
    # Messages a private chat may get at once (one answer's parts).
    private_burst: Annotated[int, Meta(ge=1)] = 3


def _default_limits() -> dict[str, PlatformLimits]:
    return {
        "telegram": PlatformLimits(),
        "dingtalk": PlatformLimits(overall_per_second=20.0, private_per_second=20.0, private_burst=20),
        # WeCom's 智能机器人: 30 messages a minute in one chat (replies and proactive sends together).
        "wecom": PlatformLimits(
            overall_per_second=10.0, per_group_per_minute=30.0, private_per_second=0.5, private_burst=3
        ),
    }


class SendingSettings(Section):
    """The outbox sender: pacing per platform, retries of failed sends."""

    # Platforms not named here are not paced (the console). DingTalk allows 20 calls a second per API and
    # app; a batch of private messages is one call.
    limits: dict[str, PlatformLimits] = field(default_factory=_default_limits)
    # Tries after the first, on 5xx, timeouts, network errors.
    retries: Annotated[int, Meta(ge=0, le=20)] = 6
    # Seconds before the first retry; doubles, with jitter.
    retry_base: Annotated[float, Meta(gt=0)] = 1.0
    retry_max: Annotated[float, Meta(gt=0)] = 60.0  # longest pause between two tries
    chats_at_once: Annotated[int, Meta(ge=1)] = 64  # chats sent to side by side


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(
            f'expected a crontab line "minute hour day month weekday" such as "30 8 * * mon", got {value!r}'
        ) from exc
    return value


class ScheduleSettings(Section):
    """When the periodic jobs run: crontab lines read in the park's time zone."""

    rules = dict.fromkeys(("digest", "overdue", "reminders", "alerts"), _check_cron)

    enabled: bool = True
    # The weekly digest (周报), to every park group.
    digest: str = "30 8 * * mon"
    # Overdue cards re-rendered, leads reminded, managers told.
    overdue: str = "0 9 * * *"
    # Private reminders held back by quiet hours go out.
    reminders: str = "*/10 * * * *"
    # Days overdue before managers are told.
    escalate_after_days: Annotated[int, Meta(ge=1, le=60)] = 3
    # A run missed this recently is made at start.
    catch_up_hours: Annotated[int, Meta(ge=0, le=24 * 14)] = 48
    # Roll calls (应急点名, /alert): the job that reminds silent members runs this often; a member who has not
    # answered is reminded every `alert_remind_minutes`, at most `alert_reminders` times. Quiet hours never
    # hold an alert back.
    alerts: str = "* * * * *"
    alert_remind_minutes: Annotated[int, Meta(ge=1, le=120)] = 3
    alert_reminders: Annotated[int, Meta(ge=0, le=10)] = 2


def _check_listen(value: str) -> str:
    if value:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f'expected "host:port" such as "127.0.0.1:8080", got {value!r}')
    return value


def _check_base_url(value: str) -> str:
    if value and not value.startswith(("https://", "http://")):
        raise ValueError(f'expected an address such as "https://desk.example.org", got {value!r}')
    return value.rstrip("/")


class WebSettings(Section):
    """The web desk (`bot/web/`): where it listens, and the address people open it at."""

    rules = {"listen": _check_listen, "base_url": _check_base_url}

    listen: str = ""  # "127.0.0.1:8080"; empty: no web desk
    # "https://desk.example.org" behind a TLS proxy; links in the chat and the export
    base_url: str = ""

    @property
    def enabled(self) -> bool:
        """Tell whether the desk is served."""
        return bool(self.listen)

    @property
    def host_port(self) -> tuple[str, int]:
        """Return the address to listen on."""
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def public_url(self) -> str:
        """Return the address people open (base_url, else the listening address itself)."""
        return self.base_url or (f"http://{self.listen}" if self.listen else "")

    @property
    def secure(self) -> bool:
        """Tell whether cookies carry Secure (the desk is reached over https)."""
        return self.base_url.startswith("https://")


class Settings(Section):
    """Everything the bot is configured with."""

    park: ParkSettings = field(default_factory=ParkSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    dingtalk: DingTalkSettings = field(default_factory=DingTalkSettings)
    wecom: WeComSettings = field(default_factory=WeComSettings)
    sending: SendingSettings = field(default_factory=SendingSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    web: WebSettings = field(default_factory=WebSettings)


def _environment(sections: set[str]) -> dict[str, Any]:
    """Return the `SAFETYBOT_SECTION__KEY` variables (any case) as nested tables, for known sections."""
    found: dict[str, Any] = {}
    for name, value in os.environ.items():
        if not name.upper().startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        if path[0] not in sections or len(path) < 2 or not all(path):
            continue
        node = found
        for part in path[:-1]:
            nested = node.setdefault(part, {})
            if not isinstance(nested, dict):
                break
            node = nested
        else:
            node[path[-1]] = value
    return found


def _overlay(base: dict[str, Any], top: Mapping[str, Any]) -> None:
    """Put the environment's values over `base`'s, table by table; a list or table given as JSON is read."""
    for key, value in top.items():
        if isinstance(value, Mapping):
            if not isinstance(base.get(key), dict):
                base[key] = {}
            _overlay(base[key], value)
        else:
            base[key] = value
            if value.lstrip().startswith(("[", "{")):
                with contextlib.suppress(msgspec.DecodeError):
                    base[key] = msgspec.json.decode(value)


_UNKNOWN = re.compile(r"Object contains unknown field `(?P<key>.*)`")


def _read(data: Any, kind: type[T], where: str, at: str = "") -> T:
    """Convert a table to a section, or raise ConfigError naming the key (`at` is where the table is)."""
    try:
        return _convert(data, kind)
    except msgspec.ValidationError as exc:
        why, _, path = str(exc).partition(" - at `$")  # "Expected `int` >= 1 - at `$.park.chats[0]`"
        keys = [at, path.rstrip("`").lstrip(".")]
        if isinstance(exc.__cause__, BadValue):
            keys.append(exc.__cause__.key)
        elif unknown := _UNKNOWN.fullmatch(why):
            why = UNKNOWN_KEY
            keys.append(unknown["key"])
        key = ".".join(k for k in keys if k) or "(top level)"
        raise ConfigError(f"config error: {key} in {where}: {why}") from None


def load_settings(path: Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    """Read the TOML file (if any), apply environment overrides and validate; raise ConfigError."""
    where = str(path) if path else "(defaults)"
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} not found; copy config.example.toml and edit it") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update(values)
    _overlay(data, _environment(set(Settings.__struct_fields__)))
    sending = data.get("sending")
    if isinstance(sending, dict) and isinstance(sending.get("limits"), dict):
        # msgspec's error path does not name table keys ("limits[...]"): each platform's is read on its own.
        limits = sending["limits"]
        for platform, table in limits.items():
            limits[platform] = _read(table, PlatformLimits, where, f"sending.limits.{platform}")
    return _read(data, Settings, where)
