"""Configuration: the example loads, environment wins, bad values name key, file and expectation."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from msgspec.structs import replace

from bot.config import ConfigError, PlatformLimits, SecretStr, TelegramSettings, WebSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_loads_with_documented_defaults() -> None:
    s = load_settings(ROOT / "config.example.toml")
    assert s.park.timezone == "Asia/Shanghai" and s.park.chats == [] and s.access.admins == []
    assert s.database.url.startswith("sqlite+aiosqlite:///")
    assert s.telegram.token is None and s.telegram.base_url == "https://api.telegram.org/bot"
    assert str(s.storage.photo_dir) == "data/photos"


def test_environment_overrides_file_and_token_stays_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[telegram]\ntoken = "111:file"\n[park]\nname = "甲园区"\n', encoding="utf-8")
    monkeypatch.setenv("SAFETYBOT_TELEGRAM__TOKEN", "222:env-secret")
    monkeypatch.setenv("SAFETYBOT_PARK__TIMEZONE", "Asia/Urumqi")
    s = load_settings(cfg)
    assert s.telegram.token is not None and s.telegram.token.get_secret_value() == "222:env-secret"
    assert s.park.name == "甲园区" and s.park.timezone == "Asia/Urumqi"
    assert "222:env-secret" not in repr(s)
    assert "222:env-secret" not in str(msgspec.to_builtins(s, enc_hook=str))


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[park]\ntimezone = "Mars/Base"', "park.timezone in {file}: expected an IANA time zone"),
        ('[park]\nchats = ["-100123"]', 'park.chats in {file}: expected park group chats as "telegram:<id>"'),
        ('[access]\nadmins = ["telegram:abc"]', "access.admins in {file}: expected a numeric Telegram id"),
        ('[database]\nurl = "mysql://x"', "database.url in {file}: expected sqlite+aiosqlite"),
        ("[telegram]\npoll_timeout = 999", "telegram.poll_timeout in {file}"),
        ("[park]\nnmae = 1", "park.nmae in {file}: unknown key"),
        ("[park\n", "{file} is not valid TOML"),
    ],
)
def test_bad_value_names_key_file_and_expectation(tmp_path: Path, toml: str, expected: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    message = str(err.value)
    assert expected.format(file=cfg) in message
    assert "\n" not in message


def test_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found; copy config\.example\.toml"):
        load_settings(tmp_path / "nope.toml")


def test_environment_values_are_read_as_their_keys_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[sending.limits.telegram]\nprivate_burst = 5\n", encoding="utf-8")
    monkeypatch.setenv("SAFETYBOT_TELEGRAM__POLL_TIMEOUT", "12")
    monkeypatch.setenv("SAFETYBOT_SCHEDULE__ENABLED", "false")
    monkeypatch.setenv("safetybot_park__chats", '["telegram:-100123"]')
    monkeypatch.setenv("SAFETYBOT_SENDING__LIMITS__TELEGRAM__OVERALL_PER_SECOND", "2.5")
    monkeypatch.setenv("SAFETYBOT_NOT_A_SECTION", "ignored")
    s = load_settings(cfg)
    assert s.telegram.poll_timeout == 12 and s.schedule.enabled is False
    assert s.park.chats == ["telegram:-100123"]
    telegram = s.sending.limits["telegram"]
    assert (
        telegram.overall_per_second == 2.5
        and telegram.private_burst == 5
        and telegram.private_per_second == 1.0
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "SAFETYBOT_TELEGRAM__POLL_TIMEOUT",
            "soon",
            "telegram.poll_timeout in (defaults): Expected `int`, got `str`",
        ),
        (
            "SAFETYBOT_SCHEDULE__ENABLED",
            "maybe",
            "schedule.enabled in (defaults): Expected `bool`, got `str`",
        ),
        (
            "SAFETYBOT_SENDING__RETRIES",
            "21",
            "sending.retries in (defaults): Expected `int` <= 20",
        ),
        ("SAFETYBOT_PARK__NMAE", "x", "park.nmae in (defaults): unknown key"),
        (
            "SAFETYBOT_SENDING__LIMITS__TELEGRAM__PRIVATE_BURST",
            "0",
            "sending.limits.telegram.private_burst in",
        ),
    ],
)
def test_a_bad_environment_value_names_its_key(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings(None)
    assert expected in str(err.value)


def test_a_bounded_number_from_the_environment_is_read_and_held_to_its_bounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[schedule]\nalert_reminders = 1\n", encoding="utf-8")
    monkeypatch.setenv("SAFETYBOT_SCHEDULE__ALERT_REMINDERS", "10")
    assert load_settings(cfg).schedule.alert_reminders == 10
    monkeypatch.setenv("SAFETYBOT_SCHEDULE__ALERT_REMINDERS", "11")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert str(err.value) == f"config error: schedule.alert_reminders in {cfg}: Expected `int` <= 10"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[sending.limits.wecom]\nprivate_per_second = 0",
            "sending.limits.wecom.private_per_second in {file}: Expected `float` > 0.0",
        ),
        (
            "[sending.limits.wecom]\nprivat_burst = 2",
            "sending.limits.wecom.privat_burst in {file}: unknown key",
        ),
        ('[access]\nadmins = ["telegram:1", 2]', "access.admins[1] in {file}: Expected `str`, got `int`"),
        ("[telegram]\ntoken = 5", "telegram.token in {file}: Expected `str`, got `int`"),
        ('[schedule]\ndigest = "monday"', 'schedule.digest in {file}: expected a crontab line "minute hour'),
        ("park = 1", "park in {file}: Expected `object`, got `int`"),
    ],
)
def test_a_bad_value_message_is_one_line_naming_key_file_and_why(
    tmp_path: Path, toml: str, expected: str
) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert str(err.value).startswith("config error: " + expected.format(file=cfg))
    assert "\n" not in str(err.value)


def test_a_section_made_in_code_is_checked_and_a_secret_never_printed() -> None:
    with pytest.raises(ValueError, match=r"Expected `float` > 0\.0 - at `\$\.overall_per_second`"):
        PlatformLimits(overall_per_second=0)
    with pytest.raises(ValueError, match="host:port"):
        WebSettings(listen="nowhere")
    secret = TelegramSettings(token="333:code")  # type: ignore[arg-type]  # text is read as a secret
    assert secret.token == SecretStr("333:code") and "333:code" not in f"{secret!r} {secret.token}"
    assert replace(secret, poll_timeout="7").poll_timeout == 7
    with pytest.raises(ValueError, match="Expected `int` <= 50"):
        replace(secret, poll_timeout=51)
    assert WebSettings(base_url="https://desk.example.org/").base_url == "https://desk.example.org"
