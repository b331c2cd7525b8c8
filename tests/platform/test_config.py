"""Configuration: the example loads, environment wins, bad values name key, file and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

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
    assert "222:env-secret" not in repr(s) and "222:env-secret" not in str(s.model_dump())


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
