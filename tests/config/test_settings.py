"""Settings are declared once (a ``Settings`` field with its env name, help, parser and group);
everything else — flags, help, defaults, the README's table — follows from that declaration."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from chatserver.config import GROUPS, SETTINGS, ConfigError, Settings, load_settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_field_is_a_declared_setting_with_a_known_group():
    declared = {f.name for f in dataclasses.fields(Settings)}
    assert declared == {spec.name for spec in SETTINGS}
    assert {spec.group for spec in SETTINGS} <= set(GROUPS)
    assert len({spec.env for spec in SETTINGS}) == len(SETTINGS), "two settings share an env var"


def test_no_environment_gives_the_declared_defaults():
    assert load_settings({}) == Settings()


def test_each_setting_is_parsed_from_its_env_var_by_its_own_parser():
    for spec in SETTINGS:
        raw = ",".join(spec.default) if isinstance(spec.default, tuple) else str(spec.default).lower()
        assert getattr(load_settings({spec.env: raw}), spec.name) == spec.default, spec.env


@pytest.mark.parametrize("env", ["PORT", "GUEST_MESSAGE_RATE_LIMIT", "MAX_FRAMES_PER_SECOND", "TRUST_PROXY_HEADERS"])
def test_a_bad_value_names_the_variable(env):
    with pytest.raises(ConfigError, match=env):
        load_settings({env: "not a value"})


def test_the_readme_documents_every_setting():
    missing = [spec.env for spec in SETTINGS if f"`{spec.env}`" not in README]
    assert missing == []


def test_a_staff_token_ttl_beyond_the_max_lifetime_stops_the_start():
    assert load_settings({}).jwt_max_lifetime == 30 * 86_400
    with pytest.raises(ConfigError, match="STAFF_TOKEN_TTL"):
        load_settings({"STAFF_TOKEN_TTL": "7200", "JWT_MAX_LIFETIME": "3600"})


def test_a_short_jwt_secret_is_a_config_error_that_does_not_echo_it():
    with pytest.raises(ConfigError, match="32 bytes") as info:
        load_settings({"JWT_SECRET": "too-short"})
    assert "too-short" not in str(info.value)
