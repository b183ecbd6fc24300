"""The [identity.oidc] and [identity.ldap] sections: what a working one looks like, mistakes as
one clear error naming the field, and secrets that are never in hub.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import HubConfig, load_config
from hub.errors import ConfigError
from hub.web.identity import providers_from

BASE = '[broker]\npassword = "x"\n[web]\nsecret_key_file = "/nonexistent"\n'
OIDC = (
    '[identity.oidc]\nname = "Campus login"\nissuer = "https://login.example.edu/realms/campus/"\n'
    'client_id = "cagekeeper"\n'
)
LDAP = '[identity.ldap]\nservers = ["ldaps://ldap.example.edu"]\n'


def _load(tmp_path: Path, text: str) -> HubConfig:
    path = tmp_path / "hub.toml"
    path.write_text(BASE + text)
    return load_config(path)


def test_a_provider_with_its_secret_in_a_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "oidc-secret"
    secret.write_text("from the file\n")
    config = _load(tmp_path, OIDC + f'client_secret_file = "{secret}"\n')
    oidc = config.identity.oidc
    assert oidc is not None and oidc.issuer == "https://login.example.edu/realms/campus"
    assert oidc.discovery_url.endswith("/realms/campus/.well-known/openid-configuration")
    assert oidc.client_secret() == "from the file"
    assert providers_from(config.identity).oidc is not None

    config = _load(tmp_path, OIDC + 'client_secret_env = "CK_TEST_OIDC_SECRET"\n')
    assert config.identity.oidc is not None
    with pytest.raises(ConfigError, match=r"CK_TEST_OIDC_SECRET .* is not set"):
        config.identity.oidc.client_secret()
    monkeypatch.setenv("CK_TEST_OIDC_SECRET", "from the environment")
    assert config.identity.oidc.client_secret() == "from the environment"


def test_a_missing_secret_file_fails_at_start_not_at_the_first_sign_in(tmp_path: Path) -> None:
    config = _load(tmp_path, OIDC + f'client_secret_file = "{tmp_path / "absent"}"\n')
    with pytest.raises(ConfigError, match="cannot read the identity client_secret"):
        providers_from(config.identity)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (OIDC, "give client_secret_file or client_secret_env"),
        (OIDC + 'client_secret = "in the file"\n', "client_secret: Extra inputs"),
        (
            OIDC + 'client_secret_file = "/a"\nclient_secret_env = "B"\n',
            "not both",
        ),
        (
            OIDC.replace("https://login", "login") + 'client_secret_env = "X"\n',
            "is not an https:// address",
        ),
        (OIDC + 'client_secret_env = "X"\nscopes = ["email"]\n', "scopes must include openid"),
        (
            OIDC + 'client_secret_env = "X"\n[identity.oidc.mapping]\nmatch = "name"\n',
            "identity.oidc.mapping.match",
        ),
        (
            OIDC + 'client_secret_env = "X"\n[identity.oidc.mapping.staff_groups]\nx = "root"\n',
            "identity.oidc.mapping.staff_groups.x",
        ),
        (LDAP, "give user_dn_template, or search_base"),
        (LDAP.replace("ldaps:", "https:"), "is not an ldap:// or ldaps:// address"),
        (LDAP + 'user_dn_template = "uid=x,dc=example"\n', "must contain {username}"),
        (
            LDAP + 'search_base = "dc=example"\nbind_dn = "cn=reader,dc=example"\n',
            "give bind_password_file or bind_password_env",
        ),
        (
            LDAP + 'search_base = "dc=example"\nuser_filter = "uid={username}"\n',
            "an LDAP filter in parentheses",
        ),
        (
            LDAP + 'search_base = "dc=example"\nstarttls = true\n',
            "starttls is for ldap:// servers",
        ),
    ],
)
def test_mistakes_are_one_clear_error(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said.replace("(", r"\(").replace(")", r"\)")):
        _load(tmp_path, text)


def test_no_identity_section_means_local_accounts_only(tmp_path: Path) -> None:
    config = _load(tmp_path, "")
    providers = providers_from(config.identity)
    assert providers.oidc is None and providers.directory is None


def test_the_documented_examples_load(tmp_path: Path) -> None:
    """Every hub.toml example in docs/identity.md that starts a section is valid as written
    (secret files named there need not exist until the hub starts)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "identity.md").read_text()
    blocks = [b.split("```", 1)[0] for b in doc.split("```toml\n")[1:]]
    examples = [b for b in blocks if b.startswith("[identity.")]
    assert len(examples) >= 4
    for example in examples:
        text = example
        if (
            "[identity.ldap]" in text
            and "user_dn_template" not in text
            and "search_base" not in text
        ):
            raise AssertionError(f"an LDAP example that finds no one:\n{text}")
        _load(tmp_path, text)
