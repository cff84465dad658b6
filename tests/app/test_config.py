"""Configuration: typed env vars, development secrets kept in instance/, production refuses
defaults."""

from __future__ import annotations

import importlib

import pytest

import config as config_module

KEYS = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "AUDIT_KEY")


def test_production_refuses_to_start_without_real_secrets(monkeypatch):
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(config_module.ConfigError, match="SECRET_KEY"):
        config_module.ProductionConfig()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(config_module.ConfigError, match="32"):
        config_module.ProductionConfig()


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        # The example environment file's values, and anything like them (issue 16, finding 2).
        ("SECRET_KEY", "change-me-to-64-random-hex-characters", "placeholder"),
        ("SECRET_KEY", "Change-Me-please-0123456789abcdef0123456789", "placeholder"),
        ("BLIND_INDEX_KEY", "x", "placeholder"),
        ("BLIND_INDEX_KEY", "0123456789abcdef0123456789abcdef", "32 random bytes"),  # 16 bytes
        ("AUDIT_KEY", "a" * 64, "32 random bytes"),
        ("SECRET_KEY", "x" * 40, "32 random bytes"),
        ("SECRET_KEY", "0123456789abcdef" * 4, "32 random bytes"),  # 8 distinct bytes
        ("SECRET_KEY", "nachtwacht-antwerpen-productie-2026-geheim", "32 random bytes"),
        (
            "AUDIT_KEY",
            "6c697665746573742d61756469742d6b65792d303132333435363738396162636465",
            "32 random bytes",
        ),  # hex of a sentence
        ("SECRET_KEY", "change me to 64 random hex characters", "32 random bytes"),
        ("FIELD_ENCRYPTION_KEYS", "7PpCq9B0kXJt6zmMZ2p2wVn0iVrM6oU0qVxE8bqv7mA=", "public"),
        ("FIELD_ENCRYPTION_KEYS", "change-me", "Fernet"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key", "Fernet"),
    ],
)
def test_production_refuses_placeholder_and_weak_keys(monkeypatch, name, value, why):
    for key, good in config_module.generate_keys().items():
        monkeypatch.setenv(key, good)
    monkeypatch.setenv(name, value)
    with pytest.raises(config_module.ConfigError, match=why):
        config_module.ProductionConfig()


def test_production_accepts_generated_keys(monkeypatch, runner):
    printed = runner.invoke(args=["keys", "generate"])
    assert printed.exit_code == 0
    values = dict(line.split("=", 1) for line in printed.output.strip().splitlines())
    assert set(values) == set(KEYS)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    cfg = config_module.ProductionConfig()
    assert cfg.SESSION_COOKIE_SECURE is True and values["AUDIT_KEY"] == cfg.AUDIT_KEY
    assert runner.invoke(args=["keys", "generate"]).output != printed.output  # fresh each time


def test_the_shipped_environment_example_holds_no_usable_key():
    example = config_module.ROOT / "deploy" / "systemd" / "env.example"
    lines = dict(
        line.split("=", 1)
        for line in example.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert all(lines[name].strip() == "" for name in KEYS)


def test_development_generates_secrets_once_and_reuses_them(monkeypatch, tmp_path):
    monkeypatch.setenv("NACHTWACHT_INSTANCE", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    module = importlib.reload(config_module)
    try:
        first, second = module.DevelopmentConfig(), module.DevelopmentConfig()
        assert first.SECRET_KEY == second.SECRET_KEY and len(first.SECRET_KEY) == 64
        assert first.FIELD_ENCRYPTION_KEYS == second.FIELD_ENCRYPTION_KEYS
        assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
        assert tmp_path.stat().st_mode & 0o777 == 0o700  # the folder is the owner's alone
    finally:
        monkeypatch.delenv("NACHTWACHT_INSTANCE")
        importlib.reload(config_module)


def test_environment_is_read_with_types(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@localhost/y")
    cfg = config_module.TestingConfig()
    assert cfg.PORT == 8123 and cfg.SQLALCHEMY_DATABASE_URI.startswith("postgresql")
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(config_module.ConfigError, match="PORT"):
        config_module.TestingConfig()


@pytest.mark.parametrize(
    ("start", "end", "settle", "why"),
    [
        ("24", "7", "0", "NIGHT_START_HOUR must be an hour"),
        ("22", "22", "7", "must differ"),
        ("22", "7", "0", "STATISTICS_SETTLE_DAYS must be at least 1"),
    ],
)
def test_the_night_the_statistics_count_by_must_be_a_night(monkeypatch, start, end, settle, why):
    monkeypatch.setenv("NIGHT_START_HOUR", start)
    monkeypatch.setenv("NIGHT_END_HOUR", end)
    monkeypatch.setenv("STATISTICS_SETTLE_DAYS", settle)
    with pytest.raises(config_module.ConfigError, match=why):
        config_module.TestingConfig()


def test_twilio_is_used_only_with_all_credentials(monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tok")
    assert config_module.TestingConfig().twilio_enabled is False
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+3212345678")
    assert config_module.TestingConfig().twilio_enabled is True
