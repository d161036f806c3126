"""`pelvicoach program ...`: publish a tenant's program version from a file, list versions."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import select

from pelvicoach.platform import audit
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.configuration.models import ProgramVersion
from pelvicoach.programs.configuration.services import build, publish
from pelvicoach.tenants.services import get_by_slug


@click.group("program")
def program_command() -> None:
    """Program versions: the default program with a tenant's changes."""


def _read_changes(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="FILE") from None
    if not isinstance(data, dict):
        raise click.BadParameter(f"{path}: expected a table of changes", param_hint="FILE")
    return data


def _tenant_id(slug: str) -> int:
    tenant = get_by_slug(slug)
    if tenant is None:
        raise click.BadParameter(f"no tenant {slug!r}", param_hint="TENANT")
    return tenant.id


@program_command.command("publish")
@click.argument("slug", metavar="TENANT")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--note", default="", help="What changed, for the version list.")
@with_appcontext
def publish_command(slug: str, path: Path, note: str) -> None:
    """Publish a new version for TENANT: the default program with the changes in FILE (TOML or
    JSON, the same shape as the default, only what differs). Nothing is written when invalid."""
    changes = _read_changes(path)
    tenant_id = _tenant_id(slug)
    with tenant_context(tenant_id, db.session):
        try:
            number, new = publish(tenant_id, changes, note=note)
        except ValidationError as exc:
            db.session.rollback()
            raise click.ClickException(
                "the program is not valid:\n"
                + json.dumps(exc.messages, indent=2, ensure_ascii=False)
            ) from None
        if new:
            audit.record(
                "program.published",
                tenant_id=tenant_id,
                object_type="program_version",
                object_id=str(number),
                detail={"via": "cli", "note": note[:200]},
            )
        db.session.commit()
    click.echo(f"{slug}: version {number} {'published' if new else 'unchanged, already current'}")


@program_command.command("versions")
@click.argument("slug", metavar="TENANT")
@with_appcontext
def versions_command(slug: str) -> None:
    """List TENANT's published versions, newest first."""
    tenant_id = _tenant_id(slug)
    with tenant_context(tenant_id, db.session):
        rows = db.session.execute(
            select(ProgramVersion.number, ProgramVersion.published_at, ProgramVersion.note)
            .where(ProgramVersion.tenant_id == tenant_id)
            .order_by(ProgramVersion.number.desc())
        ).all()
    if not rows:
        click.echo(f"{slug}: no version published; its patients follow the default program")
    for number, published_at, note in rows:
        click.echo(f"{number:>4}  {published_at:%Y-%m-%d %H:%M}  {note}")


@program_command.command("default")
@with_appcontext
def default_command() -> None:
    """Print the default program as JSON: a starting point for a tenant's changes."""
    click.echo(json.dumps(build(), indent=2, ensure_ascii=False))
