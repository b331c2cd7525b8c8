"""Settings: plain dataclasses checked as they are built; environment over the TOML file over defaults.

Built once by `load_settings` at start and passed down; nothing reads settings at import time.
Environment variables use the prefix `SAFETYBOT_` and `__` between section and key, e.g.
`SAFETYBOT_TELEGRAM__TOKEN`, `SAFETYBOT_DINGTALK__CLIENT_SECRET` or `SAFETYBOT_WECOM__SECRET`.
A value from the environment is text: numbers and true/false are read from it, lists as JSON.

The checks are this module's own (no pydantic): types, bounds and each key's own rule, every value
checked where the section is built, so a section made in code is checked as one read from the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tomllib
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV_PREFIX = "SAFETYBOT_"
UNKNOWN_KEY = "unknown key; see config.example.toml for the keys that exist"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming key, file and expectation."""


class Invalid(ValueError):
    """A value that does not fit its key: where it is (keys from the section it was found in) and why."""

    def __init__(self, loc: tuple[str, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


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


def rules(
    check: Callable[[Any], Any] | None = None,
    *,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
) -> dict[str, Any]:
    """Return a key's rules for its field's metadata: bounds, and a check that may also tidy the value."""
    given = {"check": check, "ge": ge, "le": le, "gt": gt}
    return {k: v for k, v in given.items() if v is not None}


_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


def _number(value: Any, kind: type[int] | type[float]) -> int | float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value.strip()) if kind is int else float(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"Input should be a valid {'integer' if kind is int else 'number'}")
    if kind is int and value != int(value):
        raise ValueError("Input should be a valid integer, got a number with a fractional part")
    return kind(value)


def _from_json(value: Any, kind: type) -> Any:
    """Read a list or table given as text (from the environment) as JSON."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if not isinstance(value, kind):
        raise ValueError(f"Input should be a valid {'list' if kind is list else 'dictionary'}")
    return value


def _coerce(value: Any, hint: Any) -> Any:
    """Return the value as the type its key holds (text from the environment read as that type)."""
    if hint is str:
        if not isinstance(value, str):
            raise ValueError("Input should be a valid string")
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower() if isinstance(value, str | int) else None
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError("Input should be a valid boolean")
    if hint is int or hint is float:
        return _number(value, hint)
    if hint is Path:
        if not isinstance(value, str | os.PathLike):
            raise ValueError("Input should be a valid path")
        return Path(value)
    if hint == list[str]:
        items = _from_json(value, list)
        if not all(isinstance(item, str) for item in items):
            raise ValueError("Input should be a list of strings")
        return items
    if hint == SecretStr | None:
        if value is None or isinstance(value, SecretStr):
            return value
        return SecretStr(_coerce(value, str))
    if isinstance(hint, type) and issubclass(hint, Section):
        return value if isinstance(value, hint) else build(hint, _from_json(value, dict))
    if typing.get_origin(hint) is dict:
        section = typing.get_args(hint)[1]
        table = _from_json(value, dict)
        built = {}
        for key, item in table.items():
            try:
                built[key] = item if isinstance(item, section) else build(section, _from_json(item, dict))
            except Invalid as exc:
                raise Invalid((str(key), *exc.loc), exc.msg) from None
        return built
    raise TypeError(f"no rule for a setting of type {hint!r}")  # a key declared with a new type


_HINTS: dict[type, dict[str, Any]] = {}  # each section's keys and their types, read once


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


class Section:
    """A group of keys (one TOML table); its values are converted and checked when it is built."""

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            try:
                value = _coerce(getattr(self, f.name), hints[f.name])
                _within(value, f.metadata)
                check = f.metadata.get("check")
                if check is not None:
                    value = check(value)
            except Invalid as exc:
                raise Invalid((f.name, *exc.loc), exc.msg) from None
            except ValueError as exc:
                raise Invalid((f.name,), str(exc)) from None
            object.__setattr__(self, f.name, value)


def _within(value: Any, rules: Mapping[str, Any]) -> None:
    if "ge" in rules and value < rules["ge"]:
        raise ValueError(f"Input should be greater than or equal to {rules['ge']}")
    if "gt" in rules and value <= rules["gt"]:
        raise ValueError(f"Input should be greater than {rules['gt']}")
    if "le" in rules and value > rules["le"]:
        raise ValueError(f"Input should be less than or equal to {rules['le']}")


S = typing.TypeVar("S", bound=Section)


def build(cls: type[S], data: Mapping[str, Any]) -> S:
    """Build a section from a table, refusing keys it does not have."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in names:
            raise Invalid((str(key),), UNKNOWN_KEY)
    return cls(**data)


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


@dataclass
class ParkSettings(Section):
    name: str = "示范工业园区"
    timezone: str = field(default="Asia/Shanghai", metadata=rules(_check_timezone))
    chats: list[str] = field(default_factory=list, metadata=rules(_check_chats))
    # Working days (Saturdays and Sundays skipped) after the day it was found that an immediate fix
    # (立即整改) may take before it counts as overdue: 1 means by the end of the next working day.
    immediate_grace_days: int = field(default=1, metadata=rules(ge=0, le=30))
    # Park-time hours in which nobody is reminded privately ("HH:MM-HH:MM"; may run past midnight).
    quiet_hours: str = field(default="22:00-07:00", metadata=rules(_check_quiet))
    # Hours after a notice (通知, not a meeting) is issued before enterprises that have not answered are
    # reminded (then at most once a day, for `notice_reminder_days` days).
    notice_reminder_hours: int = field(default=24, metadata=rules(ge=1, le=24 * 14))
    notice_reminder_days: int = field(default=3, metadata=rules(ge=1, le=30))
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


@dataclass
class AccessSettings(Section):
    admins: list[str] = field(default_factory=list, metadata=rules(_check_admins))


@dataclass
class DatabaseSettings(Section):
    url: str = field(default="sqlite+aiosqlite:///./data/safetybot.db", metadata=rules(_check_database_url))


@dataclass
class StorageSettings(Section):
    photo_dir: Path = Path("./data/photos")
    max_photo_bytes: int = field(default=20 * 1024 * 1024, metadata=rules(gt=0))
    # Largest image accepted, in pixels (width × height), read from the header before decoding. 120 MP
    # takes the largest common phone photos (108 MP, 12000 × 9000); a 200 MP photo is over 20 MB anyway.
    # Decoding costs about 4 bytes a pixel for formats other than JPEG (480 MB at this limit).
    max_pixels: int = field(default=120_000_000, metadata=rules(gt=0))

    @property
    def reports_dir(self) -> Path:
        """Return the folder of generated files (charts, workbooks): beside the photo directory, not in it."""
        return self.photo_dir.parent / "reports"

    def new_report_path(self, name: str, suffix: str, at: datetime) -> Path:
        """Return a path for a new generated file, never one already used (two exports in a second differ)."""
        return self.reports_dir / f"{name}-{at:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}{suffix}"


@dataclass
class TelegramSettings(Section):
    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    poll_timeout: int = field(default=30, metadata=rules(ge=0, le=50))


@dataclass
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


@dataclass
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


@dataclass
class PlatformLimits(Section):
    """How fast the bot may write on one platform; the defaults are Telegram's published limits."""

    overall_per_second: float = field(default=30.0, metadata=rules(gt=0))  # every chat together
    per_group_per_minute: float = field(default=20.0, metadata=rules(gt=0))  # one group
    private_per_second: float = field(default=1.0, metadata=rules(gt=0))  # one private chat, on average
    # Messages a private chat may get at once (one answer's parts).
    private_burst: int = field(default=3, metadata=rules(ge=1))


def _default_limits() -> dict[str, PlatformLimits]:
    return {
        "telegram": PlatformLimits(),
        "dingtalk": PlatformLimits(overall_per_second=20.0, private_per_second=20.0, private_burst=20),
        # WeCom's 智能机器人: 30 messages a minute in one chat (replies and proactive sends together).
        "wecom": PlatformLimits(
            overall_per_second=10.0, per_group_per_minute=30.0, private_per_second=0.5, private_burst=3
        ),
    }


@dataclass
class SendingSettings(Section):
    """The outbox sender: pacing per platform, retries of failed sends."""

    # Platforms not named here are not paced (the console). DingTalk allows 20 calls a second per API and
    # app; a batch of private messages is one call.
    limits: dict[str, PlatformLimits] = field(default_factory=_default_limits)
    # Tries after the first, on 5xx, timeouts, network errors.
    retries: int = field(default=6, metadata=rules(ge=0, le=20))
    # Seconds before the first retry; doubles, with jitter.
    retry_base: float = field(default=1.0, metadata=rules(gt=0))
    retry_max: float = field(default=60.0, metadata=rules(gt=0))  # longest pause between two tries
    chats_at_once: int = field(default=64, metadata=rules(ge=1))  # chats sent to side by side


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(
            f'expected a crontab line "minute hour day month weekday" such as "30 8 * * mon", got {value!r}'
        ) from exc
    return value


@dataclass
class ScheduleSettings(Section):
    """When the periodic jobs run: crontab lines read in the park's time zone."""

    enabled: bool = True
    # The weekly digest (周报), to every park group.
    digest: str = field(default="30 8 * * mon", metadata=rules(_check_cron))
    # Overdue cards re-rendered, leads reminded, managers told.
    overdue: str = field(default="0 9 * * *", metadata=rules(_check_cron))
    # Private reminders held back by quiet hours go out.
    reminders: str = field(default="*/10 * * * *", metadata=rules(_check_cron))
    # Days overdue before managers are told.
    escalate_after_days: int = field(default=3, metadata=rules(ge=1, le=60))
    # A run missed this recently is made at start.
    catch_up_hours: int = field(default=48, metadata=rules(ge=0, le=24 * 14))
    # Roll calls (应急点名, /alert): the job that reminds silent members runs this often; a member who has not
    # answered is reminded every `alert_remind_minutes`, at most `alert_reminders` times. Quiet hours never
    # hold an alert back.
    alerts: str = field(default="* * * * *", metadata=rules(_check_cron))
    alert_remind_minutes: int = field(default=3, metadata=rules(ge=1, le=120))
    alert_reminders: int = field(default=2, metadata=rules(ge=0, le=10))


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


@dataclass
class WebSettings(Section):
    """The web desk (`bot/web/`): where it listens, and the address people open it at."""

    listen: str = field(default="", metadata=rules(_check_listen))  # "127.0.0.1:8080"; empty: no web desk
    # "https://desk.example.org" behind a TLS proxy; links in the chat and the export
    base_url: str = field(default="", metadata=rules(_check_base_url))

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


@dataclass
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
    """Put `top`'s values over `base`'s, table by table."""
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _overlay(base[key], value)
        elif isinstance(value, Mapping):
            base[key] = dict(value)
        else:
            base[key] = value


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
    _overlay(data, _environment({f.name for f in dataclasses.fields(Settings)}))
    try:
        return build(Settings, data)
    except Invalid as exc:
        key = ".".join(exc.loc) or "(top level)"
        raise ConfigError(f"config error: {key} in {where}: {exc.msg}") from None
