"""The admin's way to a new program version: a checked draft, publishing it (patients move now
or at their next phase), comparing two versions, and rolling back to an old one.

A draft holds overrides, like a version: only what differs from the platform's default, so the
platform's later corrections still reach what the tenant left alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from pelvicoach.platform.extensions import db
from pelvicoach.programs.configuration import overrides as overriding
from pelvicoach.programs.configuration.models import ProgramDraft, ProgramVersion
from pelvicoach.programs.configuration.services import build, current_version, publish
from pelvicoach.programs.enrolment.models import Patient


def versions(tenant_id: int) -> list[ProgramVersion]:
    return list(
        db.session.scalars(
            select(ProgramVersion)
            .where(ProgramVersion.tenant_id == tenant_id)
            .order_by(ProgramVersion.number.desc())
        )
    )


def version(tenant_id: int, number: int) -> ProgramVersion | None:
    return db.session.scalar(
        select(ProgramVersion).where(
            ProgramVersion.tenant_id == tenant_id, ProgramVersion.number == number
        )
    )


def draft(tenant_id: int) -> ProgramDraft | None:
    return db.session.get(ProgramDraft, tenant_id)


def working_overrides(tenant_id: int) -> dict[str, Any]:
    """What the editor starts from: the draft, else the current version's overrides."""
    found = draft(tenant_id)
    if found is not None:
        return found.overrides
    header = current_version(tenant_id)
    if header is None:
        return {}
    return db.session.get(ProgramVersion, header.id).overrides


def save_draft(tenant_id: int, document: dict[str, Any], user_id: int | None) -> ProgramDraft:
    """Keep the edited document as a draft; marshmallow's ValidationError (field by field)
    when it is not a program the portal can run, and then nothing is kept."""
    changes = overriding.difference(build(), document) or {}
    build(changes)  # raises ValidationError
    header = current_version(tenant_id)
    row = draft(tenant_id) or ProgramDraft(tenant_id=tenant_id)
    row.overrides = changes
    row.based_on = header.number if header else 0
    row.updated_by = user_id
    row.updated_at = datetime.now(UTC)
    db.session.add(row)
    return row


def discard_draft(tenant_id: int) -> None:
    row = draft(tenant_id)
    if row is not None:
        db.session.delete(row)


def move_patients(tenant_id: int, version_id: int) -> int:
    """Every patient of the tenant follows `version_id` from now on (else each moves when her
    next phase starts); how many moved."""
    moved = db.session.execute(
        update(Patient)
        .where(
            Patient.tenant_id == tenant_id,
            Patient.program_version_id.is_not(None),
            Patient.program_version_id != version_id,
        )
        .values(program_version_id=version_id)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount


def publish_draft(
    tenant_id: int, *, note: str, move_now: bool, user_id: int | None
) -> tuple[int, bool, int]:
    """The draft as a new version (number, whether new, patients moved); the draft is spent."""
    row = draft(tenant_id)
    changes = row.overrides if row is not None else working_overrides(tenant_id)
    number, new = publish(tenant_id, changes, note=note, published_by=user_id)
    discard_draft(tenant_id)
    moved = move_patients(tenant_id, version(tenant_id, number).id) if move_now else 0
    return number, new, moved


def rollback(
    tenant_id: int, number: int, *, move_now: bool, user_id: int | None, note: str
) -> tuple[int, bool, int]:
    """Publish a copy of version `number` (history is never rewritten)."""
    old = version(tenant_id, number)
    if old is None:
        raise LookupError(number)
    new_number, new = publish(tenant_id, old.overrides, note=note, published_by=user_id)
    moved = move_patients(tenant_id, version(tenant_id, new_number).id) if move_now else 0
    return new_number, new, moved
