"""Settings: one pydantic-settings model; environment over the TOML file over defaults.

Built once by `load_settings` at start and passed down; nothing reads settings at import time.
Environment variables use the prefix `SAFETYBOT_` and `__` between section and key, e.g.
`SAFETYBOT_TELEGRAM__TOKEN` or `SAFETYBOT_DINGTALK__CLIENT_SECRET`.
"""

from __future__ import annotations

import tomllib
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming key, file and expectation."""


def _check_platform_ids(values: list[str], what: str) -> list[str]:
    for value in values:
        platform, sep, ident = value.partition(":")
        if not sep or not platform.isalpha() or not platform.islower() or not ident:
            raise ValueError(f'expected {what} as "telegram:<id>" strings, got {value!r}')
        if platform == "telegram" and not ident.lstrip("-").isdigit():
            raise ValueError(f'expected a numeric Telegram id after "telegram:", got {value!r}')
    return values


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParkSettings(_Section):
    name: str = "示范工业园区"
    timezone: str = "Asia/Shanghai"
    chats: list[str] = Field(default_factory=list)
    # Working days (Saturdays and Sundays skipped) after the day it was found that an immediate fix
    # (立即整改) may take before it counts as overdue: 1 means by the end of the next working day.
    immediate_grace_days: int = Field(default=1, ge=0, le=30)
    # Park-time hours in which nobody is reminded privately ("HH:MM-HH:MM"; may run past midnight).
    quiet_hours: str = "22:00-07:00"
    # Hours after a notice (通知, not a meeting) is issued before enterprises that have not answered are
    # reminded (then at most once a day, for `notice_reminder_days` days).
    notice_reminder_hours: int = Field(default=24, ge=1, le=24 * 14)
    notice_reminder_days: int = Field(default=3, ge=1, le=30)
    # Whether the inspector (检查专家) who found a hazard may also do its re-check (复查): accept or reject
    # the fix, as a manager does, and get the fix to check. Off: managers verify; the inspector is told
    # when it is closed either way.
    inspector_recheck: bool = False

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        _quiet_window(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"expected an IANA time zone such as Asia/Shanghai, got {value!r}") from exc
        return value

    @field_validator("chats")
    @classmethod
    def _chats(cls, value: list[str]) -> list[str]:
        return _check_platform_ids(value, "park group chats")

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


class AccessSettings(_Section):
    admins: list[str] = Field(default_factory=list)

    @field_validator("admins")
    @classmethod
    def _admins(cls, value: list[str]) -> list[str]:
        return _check_platform_ids(value, "admins")


class DatabaseSettings(_Section):
    url: str = "sqlite+aiosqlite:///./data/safetybot.db"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db, "
                f"got {value.split('://')[0]!r}"
            )
        return value


class StorageSettings(_Section):
    photo_dir: Path = Path("./data/photos")
    max_photo_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    # Largest image accepted, in pixels (width × height), read from the header before decoding. 120 MP
    # takes the largest common phone photos (108 MP, 12000 × 9000); a 200 MP photo is over 20 MB anyway.
    # Decoding costs about 4 bytes a pixel for formats other than JPEG (480 MB at this limit).
    max_pixels: int = Field(default=120_000_000, gt=0)

    @property
    def reports_dir(self) -> Path:
        """Return the folder of generated files (charts, workbooks): beside the photo directory, not in it."""
        return self.photo_dir.parent / "reports"

    def new_report_path(self, name: str, suffix: str, at: datetime) -> Path:
        """Return a path for a new generated file, never one already used (two exports in a second differ)."""
        return self.reports_dir / f"{name}-{at:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}{suffix}"


class TelegramSettings(_Section):
    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    poll_timeout: int = Field(default=30, ge=0, le=50)


class DingTalkSettings(_Section):
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


class PlatformLimits(_Section):
    """How fast the bot may write on one platform; the defaults are Telegram's published limits."""

    overall_per_second: float = Field(default=30.0, gt=0)  # every chat together
    per_group_per_minute: float = Field(default=20.0, gt=0)  # one group
    private_per_second: float = Field(default=1.0, gt=0)  # one private chat, on average
    private_burst: int = Field(
        default=3, ge=1
    )  # messages a private chat may get at once (one answer's parts)


class SendingSettings(_Section):
    """The outbox sender: pacing per platform, retries of failed sends."""

    # Platforms not named here are not paced (the console). DingTalk allows 20 calls a second per API and
    # app; a batch of private messages is one call.
    limits: dict[str, PlatformLimits] = Field(
        default_factory=lambda: {
            "telegram": PlatformLimits(),
            "dingtalk": PlatformLimits(overall_per_second=20.0, private_per_second=20.0, private_burst=20),
        }
    )
    retries: int = Field(default=6, ge=0, le=20)  # tries after the first, on 5xx, timeouts, network errors
    retry_base: float = Field(default=1.0, gt=0)  # seconds before the first retry; doubles, with jitter
    retry_max: float = Field(default=60.0, gt=0)  # longest pause between two tries
    chats_at_once: int = Field(default=64, ge=1)  # chats sent to side by side


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(
            f'expected a crontab line "minute hour day month weekday" such as "30 8 * * mon", got {value!r}'
        ) from exc
    return value


class ScheduleSettings(_Section):
    """When the periodic jobs run: crontab lines read in the park's time zone."""

    enabled: bool = True
    digest: str = "30 8 * * mon"  # the weekly digest (周报) of the week before, to every park group
    overdue: str = "0 9 * * *"  # overdue cards re-rendered, leads reminded, managers told
    reminders: str = "*/10 * * * *"  # private reminders held back by quiet hours go out
    escalate_after_days: int = Field(default=3, ge=1, le=60)  # days overdue before managers are told
    catch_up_hours: int = Field(default=48, ge=0, le=24 * 14)  # a run missed this recently is made at start
    # Roll calls (应急点名, /alert): the job that reminds silent members runs this often; a member who has not
    # answered is reminded every `alert_remind_minutes`, at most `alert_reminders` times. Quiet hours never
    # hold an alert back.
    alerts: str = "* * * * *"
    alert_remind_minutes: int = Field(default=3, ge=1, le=120)
    alert_reminders: int = Field(default=2, ge=0, le=10)

    @field_validator("digest", "overdue", "reminders", "alerts")
    @classmethod
    def _cron(cls, value: str) -> str:
        return _check_cron(value)


class Settings(BaseSettings):
    """Everything the bot is configured with."""

    model_config = SettingsConfigDict(
        env_prefix="SAFETYBOT_",
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    park: ParkSettings = Field(default_factory=ParkSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    dingtalk: DingTalkSettings = Field(default_factory=DingTalkSettings)
    sending: SendingSettings = Field(default_factory=SendingSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Let the environment win over the TOML values handed in as init arguments."""
        return (env_settings, init_settings)


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
    try:
        return Settings(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            msg = "unknown key; see config.example.toml for the keys that exist"
        else:
            msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"config error: {key} in {where}: {msg}") from None
