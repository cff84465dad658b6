"""Configuration: typed env vars, development secrets kept in instance/, production refuses
defaults."""

from __future__ import annotations

import importlib

import pytest

import config as config_module


def test_production_refuses_to_start_without_real_secrets(monkeypatch):
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(config_module.ConfigError, match="SECRET_KEY"):
        config_module.ProductionConfig()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(config_module.ConfigError, match="32"):
        config_module.ProductionConfig()


def test_production_accepts_real_secrets(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("FIELD_ENCRYPTION_KEYS", "7PpCq9B0kXJt6zmMZ2p2wVn0iVrM6oU0qVxE8bqv7mA=")
    monkeypatch.setenv("BLIND_INDEX_KEY", "b" * 40)
    cfg = config_module.ProductionConfig()
    assert cfg.SESSION_COOKIE_SECURE is True


def test_development_generates_secrets_once_and_reuses_them(monkeypatch, tmp_path):
    monkeypatch.setenv("NACHTWACHT_INSTANCE", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    module = importlib.reload(config_module)
    try:
        first, second = module.DevelopmentConfig(), module.DevelopmentConfig()
        assert first.SECRET_KEY == second.SECRET_KEY and len(first.SECRET_KEY) == 64
        assert first.FIELD_ENCRYPTION_KEYS == second.FIELD_ENCRYPTION_KEYS
        assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
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


def test_twilio_is_used_only_with_all_credentials(monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tok")
    assert config_module.TestingConfig().twilio_enabled is False
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+3212345678")
    assert config_module.TestingConfig().twilio_enabled is True
