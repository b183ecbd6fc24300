"""The [web] settings an operator writes for sessions and proxies: checked when the hub reads
its config, and what they make of the web server."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from hub.config import load_config
from hub.errors import ConfigError
from hub.web.server import uvicorn_config


def _config(tmp_path: Path, web: str) -> Path:
    (tmp_path / "secret").write_text("s" * 40)
    path = tmp_path / "hub.toml"
    path.write_text(
        f'[broker]\npassword = "x"\n[web]\nsecret_key_file = "{tmp_path / "secret"}"\n{web}\n'
    )
    return path


def test_defaults_believe_no_proxy_and_secure_cookies_follow_https(tmp_path: Path) -> None:
    web = load_config(_config(tmp_path, "")).web
    assert web.trusted_proxies == [] and web.secure_cookies is None
    assert (web.session_idle_minutes, web.session_lifetime_hours) == (60, 12)


def test_proxies_are_addresses_or_networks(tmp_path: Path) -> None:
    good = 'trusted_proxies = ["127.0.0.1", "::1", "10.0.0.0/8"]'
    assert load_config(_config(tmp_path, good)).web.trusted_proxies[2] == "10.0.0.0/8"
    with pytest.raises(ConfigError, match=r"trusted_proxies.*'caddy' is not an IP address"):
        load_config(_config(tmp_path, 'trusted_proxies = ["caddy"]'))


def test_an_idle_limit_longer_than_the_lifetime_is_refused(tmp_path: Path) -> None:
    bad = "session_idle_minutes = 600\nsession_lifetime_hours = 8"
    with pytest.raises(ConfigError, match="session_idle_minutes must not be longer"):
        load_config(_config(tmp_path, bad))


def test_uvicorn_believes_forwarded_headers_only_from_the_listed_proxies() -> None:
    app = FastAPI()
    none = uvicorn_config(app, "127.0.0.1", 8080, ())
    assert none.proxy_headers is False and none.forwarded_allow_ips == []
    some = uvicorn_config(app, "127.0.0.1", 8080, ("10.0.0.5",))
    assert some.proxy_headers is True and some.forwarded_allow_ips == ["10.0.0.5"]
