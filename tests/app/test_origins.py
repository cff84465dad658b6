"""Which pages may open the live feed: PUBLIC_BASE_URL's origin, or without it the server as
HOST/PORT serve it on this machine (issue 17: `PORT=5101 make run` never went live)."""

from __future__ import annotations

import pytest

import config as config_module
from tests.conftest import login, make_app, make_user

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


@pytest.fixture
def dev_start(app, monkeypatch):
    """An app started as `PORT=5101 make run`: no PUBLIC_BASE_URL, HOST left at its default."""
    monkeypatch.setenv("PORT", "5101")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    return make_app(app.config["SQLALCHEMY_DATABASE_URI"])


def test_a_development_start_on_another_port_goes_live_from_both_loopback_names(dev_start):
    make_user(dev_start, "an", "dispatcher")
    console = dev_start.test_client()
    login(console, "an")
    for origin in ("http://localhost:5101", "http://127.0.0.1:5101"):
        opened = console.get(HANDSHAKE, headers={"Origin": origin})
        assert opened.status_code == 200 and '"sid"' in opened.get_data(as_text=True), origin
    for origin in ("http://evil.example", "http://localhost:5000", "https://localhost:5101"):
        refused = console.get(HANDSHAKE, headers={"Origin": origin})
        assert refused.status_code == 400, origin


def test_public_base_url_is_the_only_origin_when_set(monkeypatch):
    for name, value in config_module.generate_keys().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://Nachtwacht.example:443/")
    monkeypatch.setenv("HOST", "127.0.0.1")
    assert config_module.ProductionConfig().ALLOWED_ORIGINS == ("https://nachtwacht.example",)
    monkeypatch.setenv("PUBLIC_BASE_URL", "nachtwacht.example")
    with pytest.raises(config_module.ConfigError, match="PUBLIC_BASE_URL"):
        config_module.ProductionConfig()


@pytest.mark.parametrize(
    ("host", "extra"),
    [
        ("0.0.0.0", ()),  # every address: no name of ours a browser could be shown
        ("192.168.1.20", ("http://192.168.1.20:5101",)),  # the one address it serves on
    ],
)
def test_without_public_base_url_only_loopback_names_and_a_named_host(monkeypatch, host, extra):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "5101")
    monkeypatch.setenv("HOST", host)
    config = config_module.TestingConfig()
    assert config.ALLOWED_ORIGINS[:2] == ("http://127.0.0.1:5101", "http://localhost:5101")
    assert config.ALLOWED_ORIGINS[2:] == extra
    assert config.PUBLIC_BASE_URL == "http://127.0.0.1:5101"  # SMS callbacks, the demo tool
