"""Settings read from `PELVICOACH_*` environment variables, parsed strictly.

A wrong value must stop start-up with one line that names the variable, rather than surface later
as a confusing runtime failure, so everything is parsed and checked here, once, before the app
is built. Secrets only ever come from the environment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from environs import Env, EnvError, validate
from redis.connection import parse_url as parse_redis_url
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from pelvicoach.platform.database import engine_options

PREFIX = "PELVICOACH_"
MODES = ("production", "development", "demo", "test")
LOCALES = ("nl", "en")
MAX_REQUEST_BYTES = 1024 * 1024
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class ConfigError(Exception):
    """A start-up setting is missing or malformed; the message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    """The validated settings the app factory turns into Flask config."""

    mode: str
    instance_path: Path
    database_url: str
    platform_database_url: str
    migration_database_url: str | None
    database_app_role: str | None
    database_platform_role: str | None
    redis_url: str | None
    secret_key: str
    totp_keys: tuple[str, ...]
    base_domain: str
    proxy_hops: int
    default_locale: str
    log_json: bool
    log_level: int
    import_max_bytes: int = 20 * 1024 * 1024
    mail: dict[str, Any] = field(default_factory=dict)
    metrics_token: str | None = None  # the scraper's bearer token; no token, no /metrics
    # Seconds after which a job claimed but not finished counts as crashed (its worker killed)
    # and is relayed and run again; longer than any job takes.
    outbox_retry_after: int = 600
    # A streaming replica the web's reports read from (the app role's URL on it), and how long
    # a report waits for it to replay the facts just refreshed before the primary answers.
    reporting_database_url: str | None = None
    reporting_replica_wait: float = 2.0

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    def flask_config(self, *, platform: bool = False) -> dict[str, Any]:
        """Map settings onto the config keys the Flask extensions read.

        `platform` is for processes that do cross-tenant work (worker, scheduler, commands, the
        demo): they connect as the platform role. Web processes connect as the app role, which no
        setting lets read across tenants."""
        secure_cookies = self.is_production
        database_url = self.platform_database_url if platform else self.database_url
        reporting = self.reporting_database_url if not platform else None
        return {
            "PELVICOACH_MODE": self.mode,
            "PLATFORM_PROCESS": platform,
            "SECRET_KEY": self.secret_key,
            "TOTP_KEYS": self.totp_keys,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
            # Jobs and commands (the platform role) read the primary: it has their grants.
            "SQLALCHEMY_BINDS": (
                {"reporting": {"url": reporting, **engine_options(reporting)}} if reporting else {}
            ),
            "REPORTING_REPLICA_WAIT": self.reporting_replica_wait,
            "MIGRATION_DATABASE_URL": self.migration_database_url,
            "DATABASE_APP_ROLE": self.database_app_role,
            "DATABASE_PLATFORM_ROLE": self.database_platform_role,
            # Bodies beyond this get a 413; a view that takes uploads raises its own
            # `request.max_content_length`.
            "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
            # The largest file an enrolment import takes (a row is about 100 bytes).
            "IMPORT_MAX_BYTES": self.import_max_bytes,
            "REDIS_URL": self.redis_url,
            "METRICS_TOKEN": self.metrics_token,
            "OUTBOX_RETRY_AFTER": self.outbox_retry_after,
            "BASE_DOMAIN": self.base_domain,
            "PROXY_HOPS": self.proxy_hops,
            "BABEL_DEFAULT_LOCALE": self.default_locale,
            "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
            "LOG_JSON": self.log_json,
            "LOG_LEVEL": self.log_level,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            # A hung Redis must not hang every sign-in: fail fast, then count in memory.
            "RATELIMIT_STORAGE_OPTIONS": (
                {"socket_timeout": 1, "socket_connect_timeout": 1} if self.redis_url else {}
            ),
            # Redis down: count in this process rather than refuse every sign-in.
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_SWALLOW_ERRORS": True,
            "RATELIMIT_HEADERS_ENABLED": True,
            "RATELIMIT_STRATEGY": "moving-window",
            "BOOTSTRAP_SERVE_LOCAL": True,
            "SESSION_COOKIE_SECURE": secure_cookies,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "PREFERRED_URL_SCHEME": "https" if self.is_production else "http",
            "TESTING": self.mode == "test",
            **{f"MAIL_{key.upper()}": value for key, value in self.mail.items()},
        }


def _database_url(value: str, variable: str) -> str:
    try:
        url = make_url(value)
        url.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(f"{variable}: not a usable database URL ({exc})") from None
    if url.get_backend_name() not in ("postgresql", "sqlite"):
        raise ConfigError(f"{variable}: only postgresql and sqlite are supported")
    return value


def _role(value: str, variable: str) -> str | None:
    if value and not ROLE_NAME.fullmatch(value):
        raise ConfigError(f"{variable}: use lower-case letters, digits and _")
    return value or None


def _redis_url(value: str | None, variable: str) -> str | None:
    if not value:
        return None
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{variable}: must start with redis://, rediss:// or unix://")
    try:
        parse_redis_url(value)  # parses only; connects to nothing
    except ValueError as exc:
        raise ConfigError(f"{variable}: not a usable Redis URL ({exc})") from None
    return value


HOST_NAME = re.compile(
    r"(?=.{1,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


def load_settings() -> Settings:
    """Read and check every setting from the process environment; raise `ConfigError` on the
    first bad one."""
    try:
        return _parse(Env(expand_vars=False))
    except EnvError as exc:
        raise ConfigError(str(exc).replace("Environment variable ", "")) from None


def _parse(env: Env) -> Settings:
    with env.prefixed(PREFIX):
        mode = env.str("ENV", "production").lower()
        if mode not in MODES:
            raise ConfigError(f"{PREFIX}ENV: must be one of {', '.join(MODES)}, not {mode!r}")
        instance_path = Path(env.str("INSTANCE_PATH", "instance")).resolve()
        database_url = _database_url(
            env.str("DATABASE_URL", f"sqlite:///{instance_path / 'pelvicoach.db'}"),
            f"{PREFIX}DATABASE_URL",
        )
        platform_database_url = _database_url(
            env.str("PLATFORM_DATABASE_URL", "") or database_url,
            f"{PREFIX}PLATFORM_DATABASE_URL",
        )
        migration_database_url = env.str("MIGRATION_DATABASE_URL", "") or None
        if migration_database_url:
            _database_url(migration_database_url, f"{PREFIX}MIGRATION_DATABASE_URL")
        app_role = _role(env.str("DATABASE_APP_ROLE", ""), f"{PREFIX}DATABASE_APP_ROLE")
        platform_role = _role(
            env.str("DATABASE_PLATFORM_ROLE", ""), f"{PREFIX}DATABASE_PLATFORM_ROLE"
        )
        if app_role and app_role == platform_role:
            raise ConfigError(
                f"{PREFIX}DATABASE_PLATFORM_ROLE: must differ from {PREFIX}DATABASE_APP_ROLE"
                " (the web role must not do cross-tenant work)"
            )
        redis_url = _redis_url(env.str("REDIS_URL", "") or None, f"{PREFIX}REDIS_URL")
        secret_key = env.str("SECRET_KEY", "")
        if not secret_key:
            if mode != "demo":
                raise ConfigError(
                    f"{PREFIX}SECRET_KEY: required outside demo mode "
                    '(generate one with: python -c "import secrets; print(secrets.token_hex(32))")'
                )
            secret_key = _demo_secret(instance_path)
        elif len(secret_key) < 32 and mode == "production":
            raise ConfigError(f"{PREFIX}SECRET_KEY: must be at least 32 characters in production")
        default_locale = env.str("LOCALE", "nl").lower()
        if default_locale not in LOCALES:
            raise ConfigError(f"{PREFIX}LOCALE: must be one of {', '.join(LOCALES)}")
        log_level = env.log_level("LOG_LEVEL", "INFO")
        base_domain = env.str("BASE_DOMAIN", "localhost").lower()
        if not HOST_NAME.fullmatch(base_domain):
            raise ConfigError(f"{PREFIX}BASE_DOMAIN: not a host name: {base_domain!r}")
        if redis_url is None and mode == "production":
            # Limits must be counted across processes, and jobs must leave the web process.
            raise ConfigError(f"{PREFIX}REDIS_URL: required in production")
        totp_keys = _totp_keys(env.list("TOTP_KEYS", []), mode, secret_key)
        mail = {
            "server": env.str("MAIL_SERVER", "" if mode == "demo" else "localhost"),
            "port": env.int("MAIL_PORT", 25, validate=validate.Range(min=1, max=65535)),
            "username": env.str("MAIL_USERNAME", "") or None,
            "password": env.str("MAIL_PASSWORD", "") or None,
            "use_tls": env.bool("MAIL_USE_TLS", False),
            "use_ssl": env.bool("MAIL_USE_SSL", False),
            "sender": env.str("MAIL_SENDER", "Pelvicoach <no-reply@localhost>"),
        }
        if mail["use_tls"] and mail["use_ssl"]:
            raise ConfigError(f"{PREFIX}MAIL_USE_TLS and {PREFIX}MAIL_USE_SSL exclude each other")
        return Settings(
            mode=mode,
            instance_path=instance_path,
            database_url=database_url,
            platform_database_url=platform_database_url,
            migration_database_url=migration_database_url,
            database_app_role=app_role,
            database_platform_role=platform_role,
            redis_url=redis_url,
            secret_key=secret_key,
            totp_keys=totp_keys,
            base_domain=base_domain,
            proxy_hops=env.int("PROXY_HOPS", 0, validate=validate.Range(min=0, max=5)),
            default_locale=default_locale,
            log_json=env.bool("LOG_JSON", mode == "production"),
            log_level=log_level,
            import_max_bytes=env.int("IMPORT_MAX_MB", 20, validate=validate.Range(min=1, max=200))
            * 1024
            * 1024,
            mail=mail,
            metrics_token=_metrics_token(env.str("METRICS_TOKEN", "")),
            reporting_database_url=_reporting_url(env.str("REPORTING_DATABASE_URL", "")),
            reporting_replica_wait=env.float(
                "REPORTING_REPLICA_WAIT", 2.0, validate=validate.Range(min=0, max=60)
            ),
            outbox_retry_after=env.int(
                "OUTBOX_RETRY_AFTER", 600, validate=validate.Range(min=1, max=86_400)
            ),
        )


def _reporting_url(value: str) -> str | None:
    """A PostgreSQL replica of the database, or none (the reports read the primary)."""
    if not value:
        return None
    variable = f"{PREFIX}REPORTING_DATABASE_URL"
    if make_url(_database_url(value, variable)).get_backend_name() != "postgresql":
        raise ConfigError(f"{variable}: a PostgreSQL streaming replica")
    return value


def _metrics_token(value: str) -> str | None:
    """A token a scraper could not guess, or none (then `/metrics` does not exist)."""
    if value and len(value) < 32:
        raise ConfigError(f"{PREFIX}METRICS_TOKEN: must be at least 32 characters")
    return value or None


def _totp_keys(keys: list[str], mode: str, secret_key: str) -> tuple[str, ...]:
    """The keys that encrypt authenticator secrets at rest, newest first (the others still
    decrypt, for rotation). Production names them; elsewhere one is derived from the secret key
    so the demo and the tests need nothing more."""
    keys = [key.strip() for key in keys if key.strip()]
    if not keys:
        if mode == "production":
            raise ConfigError(
                f"{PREFIX}TOTP_KEYS: required in production (generate one with: python -c"
                ' "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
            )
        derived = hmac.new(secret_key.encode(), b"pelvicoach totp secrets", hashlib.sha256)
        return (base64.urlsafe_b64encode(derived.digest()).decode(),)
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                f"{PREFIX}TOTP_KEYS: key {position} is not a Fernet key (32 bytes, URL-safe base64)"
            ) from None
    return tuple(keys)


def _demo_secret(instance_path: Path) -> str:
    """Keep one random key per demo instance so demo sessions survive a restart."""
    key_file = instance_path / "demo-secret-key"
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:  # created private and exclusively: two processes starting together agree on one key
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            existing = key_file.read_text().strip()
            if existing:
                return existing
            time.sleep(0.01)  # the other process is still writing it
        raise ConfigError(f"{key_file}: empty demo key file; delete it and start again") from None
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key
