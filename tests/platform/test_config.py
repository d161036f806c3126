"""Start-up settings: parsed strictly, a bad one named in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from pelvicoach.platform.config import ConfigError, load_settings

KEY = Fernet.generate_key().decode()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("PELVICOACH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PELVICOACH_INSTANCE_PATH", str(tmp_path))
    return monkeypatch


def test_production_requires_a_secret_key(env):
    with pytest.raises(ConfigError, match="PELVICOACH_SECRET_KEY"):
        load_settings()


def test_production_refuses_a_short_secret_key(env):
    env.setenv("PELVICOACH_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="PELVICOACH_SECRET_KEY: must be at least 32"):
        load_settings()


def test_demo_generates_and_keeps_a_secret_key(env, tmp_path):
    env.setenv("PELVICOACH_ENV", "demo")
    first = load_settings()
    assert len(first.secret_key) == 64
    assert load_settings().secret_key == first.secret_key
    assert (tmp_path / "demo-secret-key").stat().st_mode & 0o077 == 0


def test_default_database_is_a_sqlite_file_under_the_instance_folder(env, tmp_path):
    env.setenv("PELVICOACH_ENV", "demo")
    assert load_settings().database_url == f"sqlite:///{tmp_path / 'pelvicoach.db'}"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PELVICOACH_DATABASE_URL", "not a url", "PELVICOACH_DATABASE_URL: not a usable"),
        ("PELVICOACH_DATABASE_URL", "mongodb://x/y", "PELVICOACH_DATABASE_URL"),
        ("PELVICOACH_DATABASE_URL", "mysql://x/y", "only postgresql and sqlite"),
        ("PELVICOACH_MAIL_USE_TLS", "maybe", '"PELVICOACH_MAIL_USE_TLS" invalid'),
        ("PELVICOACH_LOG_JSON", "yes please", '"PELVICOACH_LOG_JSON" invalid'),
        ("PELVICOACH_MAIL_PORT", "twenty-five", '"PELVICOACH_MAIL_PORT" invalid'),
        ("PELVICOACH_REDIS_URL", "localhost:6379", "PELVICOACH_REDIS_URL: must start"),
        ("PELVICOACH_ENV", "staging", "PELVICOACH_ENV: must be one of"),
        ("PELVICOACH_LOCALE", "de", "PELVICOACH_LOCALE: must be one of"),
        ("PELVICOACH_PROXY_HOPS", "-1", '"PELVICOACH_PROXY_HOPS" invalid'),
        ("PELVICOACH_PROXY_HOPS", "9", '"PELVICOACH_PROXY_HOPS" invalid'),
        ("PELVICOACH_MAIL_PORT", "99999", '"PELVICOACH_MAIL_PORT" invalid'),
        ("PELVICOACH_REDIS_URL", "redis://h:port/0", "PELVICOACH_REDIS_URL: not a usable"),
        ("PELVICOACH_BASE_DOMAIN", "bad_host!", "PELVICOACH_BASE_DOMAIN: not a host name"),
        ("PELVICOACH_BASE_DOMAIN", "", "PELVICOACH_BASE_DOMAIN: not a host name"),
        ("PELVICOACH_LOG_LEVEL", "chatty", '"PELVICOACH_LOG_LEVEL" invalid'),
    ],
)
def test_a_malformed_value_names_its_variable(env, variable, value, message):
    env.setenv("PELVICOACH_ENV", "demo")
    env.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_values_are_parsed(env):
    env.setenv("PELVICOACH_SECRET_KEY", "x" * 40)
    env.setenv("PELVICOACH_MAIL_USE_TLS", "true")
    env.setenv("PELVICOACH_MAIL_PORT", "587")
    env.setenv("PELVICOACH_REDIS_URL", "redis://127.0.0.1:6379/3")
    env.setenv("PELVICOACH_TOTP_KEYS", f"{Fernet.generate_key().decode()},{KEY}")
    settings = load_settings()
    assert settings.totp_keys[1] == KEY
    assert settings.mail["use_tls"] is True
    assert settings.mail["port"] == 587
    assert settings.redis_url == "redis://127.0.0.1:6379/3"
    assert settings.log_json is True  # production logs JSON unless told otherwise
    config = settings.flask_config()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def run_in(cwd, command: list[str], variables: dict[str, str]):
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=dict(os.environ) | variables,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def one_config_error_line(stderr: str, expected: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("pelvicoach: configuration error: ")
    assert expected in lines[0]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"PELVICOACH_ENV": "production"}, "PELVICOACH_SECRET_KEY"),
        (
            {"PELVICOACH_ENV": "demo", "PELVICOACH_DATABASE_URL": "nonsense"},
            "PELVICOACH_DATABASE_URL",
        ),
        ({"PELVICOACH_ENV": "demo", "PELVICOACH_LOG_JSON": "maybe"}, "PELVICOACH_LOG_JSON"),
    ],
)
def test_the_command_stops_with_one_line_naming_the_variable(env, tmp_path, variables, expected):
    result = run_in(
        tmp_path, [sys.executable, "-m", "pelvicoach.platform.cli", "routes"], variables
    )
    assert result.returncode == 2
    one_config_error_line(result.stderr, expected)


def test_help_with_a_bad_setting_is_one_line_too(env, tmp_path):
    command = [sys.executable, "-m", "pelvicoach.platform.cli", "--help"]
    result = run_in(tmp_path, command, {"PELVICOACH_ENV": "production"})
    assert result.returncode == 2
    one_config_error_line(result.stderr, "PELVICOACH_SECRET_KEY")


def test_gunicorn_stops_with_one_line_naming_the_variable(env, tmp_path):
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "--bind", "127.0.0.1:0", "pelvicoach.platform.wsgi:app"]
    result = run_in(tmp_path, command, {"PELVICOACH_ENV": "demo", "PELVICOACH_LOG_JSON": "maybe"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert 'pelvicoach: configuration error: "PELVICOACH_LOG_JSON" invalid' in result.stderr


def test_the_demo_key_file_is_private_from_the_start(env, tmp_path):
    env.setenv("PELVICOACH_ENV", "demo")
    load_settings()
    assert (tmp_path / "demo-secret-key").stat().st_mode & 0o777 == 0o600


def test_production_needs_redis_and_fails_fast_on_it(env):
    env.setenv("PELVICOACH_SECRET_KEY", "x" * 40)
    with pytest.raises(ConfigError, match="PELVICOACH_REDIS_URL: required in production"):
        load_settings()
    env.setenv("PELVICOACH_REDIS_URL", "redis://127.0.0.1:6379/3")
    env.setenv("PELVICOACH_TOTP_KEYS", KEY)
    options = load_settings().flask_config()["RATELIMIT_STORAGE_OPTIONS"]
    assert options == {"socket_timeout": 1, "socket_connect_timeout": 1}


def test_production_needs_keys_for_authenticator_secrets(env):
    env.setenv("PELVICOACH_SECRET_KEY", "x" * 40)
    env.setenv("PELVICOACH_REDIS_URL", "redis://127.0.0.1:6379/3")
    with pytest.raises(ConfigError, match="PELVICOACH_TOTP_KEYS: required in production"):
        load_settings()
    env.setenv("PELVICOACH_TOTP_KEYS", f"{KEY},not-a-key")
    with pytest.raises(ConfigError, match="PELVICOACH_TOTP_KEYS: key 2 is not a Fernet key"):
        load_settings()
    env.setenv("PELVICOACH_ENV", "demo")
    env.delenv("PELVICOACH_TOTP_KEYS")
    derived = load_settings().totp_keys
    assert len(derived) == 1
    assert Fernet(derived[0])  # usable, from the secret key


def test_the_web_and_the_platform_roles_are_set_apart(env):
    env.setenv("PELVICOACH_ENV", "demo")
    env.setenv("PELVICOACH_DATABASE_URL", "postgresql+psycopg://web@db/p")
    env.setenv("PELVICOACH_PLATFORM_DATABASE_URL", "postgresql+psycopg://platform@db/p")
    settings = load_settings()
    assert settings.flask_config()["SQLALCHEMY_DATABASE_URI"].endswith("//web@db/p")
    platform = settings.flask_config(platform=True)["SQLALCHEMY_DATABASE_URI"]
    assert platform.endswith("//platform@db/p")
    env.setenv("PELVICOACH_DATABASE_APP_ROLE", "pc")
    env.setenv("PELVICOACH_DATABASE_PLATFORM_ROLE", "pc")
    with pytest.raises(ConfigError, match="must differ"):
        load_settings()
