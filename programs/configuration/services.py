"""Publishing program versions and answering "which version does this patient follow"."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Row, func, select

from pelvicoach.platform.extensions import db
from pelvicoach.programs.configuration import overrides as overriding
from pelvicoach.programs.configuration.models import ProgramVersion
from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.configuration.schemas import ProgramSchema
from pelvicoach.programs.content import default_document
from pelvicoach.programs.enrolment.models import Patient, Phase


def build(changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """The default program with `changes` laid over it, validated: a ValidationError says
    what is wrong, field by field."""
    try:
        document = overriding.apply(default_document(), changes or {})
    except (TypeError, KeyError):  # an item's key that is a list or table: not one we know
        raise ValidationError(
            {"_schema": ["Keys of modules, levels, questions and options are text or numbers."]}
        ) from None
    except RecursionError:  # lists in lists, hundreds deep: no program looks like that
        raise ValidationError({"_schema": ["The changes are nested too deeply."]}) from None
    return ProgramSchema().load(document)


@cache
def default_program() -> Program:
    """What patients of a tenant without a published version follow."""
    return Program(build())


def _digest(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# A version's header: enough to find its parsed document in the cache without loading it.
_HEADER = (
    ProgramVersion.id,
    ProgramVersion.tenant_id,
    ProgramVersion.number,
    ProgramVersion.digest,
)


def current_version(tenant_id: int) -> Row | None:
    """The header (id, tenant_id, number, digest) of the tenant's newest version."""
    return db.session.execute(
        select(*_HEADER)
        .where(ProgramVersion.tenant_id == tenant_id)
        .order_by(ProgramVersion.number.desc())
        .limit(1)
    ).first()


def publish(
    tenant_id: int,
    changes: dict[str, Any] | None,
    *,
    note: str = "",
    published_by: int | None = None,
) -> tuple[int, bool]:
    """A new version from the default and `changes`, or the current one when nothing differs.
    Returns the version's number and whether it is new. Validation errors raise before
    anything is written."""
    document = build(changes)
    digest = _digest(document)
    current = current_version(tenant_id)
    if current is not None and current.digest == digest:
        return current.number, False
    number = (
        db.session.scalar(
            select(func.max(ProgramVersion.number)).where(ProgramVersion.tenant_id == tenant_id)
        )
        or 0
    ) + 1
    version = ProgramVersion(
        tenant_id=tenant_id,
        number=number,
        document=document,
        overrides=changes or {},
        digest=digest,
        note=note[:200],
        published_by=published_by,
        published_at=datetime.now(UTC),
    )
    db.session.add(version)
    db.session.flush()
    return number, True


@cache
def _program(tenant_id: int, version_id: int, number: int, digest: str) -> Program:
    """Versions never change, so each is parsed once per process; the digest in the key keeps
    a restored or re-seeded database from serving an older document under a reused id."""
    document = db.session.scalar(
        select(ProgramVersion.document).where(
            ProgramVersion.tenant_id == tenant_id, ProgramVersion.id == version_id
        )
    )
    return Program(overriding.filled(document, default_program().document), version_id, number)


def program_of_header(header: Row | tuple[int, int, int, str] | None) -> Program:
    """The parsed program of a version header (id, tenant_id, number, digest); the default
    program for None."""
    if header is None:
        return default_program()
    version_id, tenant_id, number, digest = header
    return _program(tenant_id, version_id, number, digest)


def programs_by_version(tenant_id: int, version_ids: set[int | None]) -> dict[int | None, Program]:
    """The programs of these versions (None: not yet pinned, the tenant's current one), in
    one statement for the headers; each document is parsed once per process."""
    found: dict[int | None, Program] = {}
    ids = {version_id for version_id in version_ids if version_id is not None}
    if ids:
        headers = db.session.execute(
            select(*_HEADER).where(
                ProgramVersion.tenant_id == tenant_id, ProgramVersion.id.in_(ids)
            )
        ).all()
        found = {header[0]: program_of_header(header) for header in headers}
    if None in version_ids:
        found[None] = tenant_program(tenant_id)
    return found


def tenant_program(tenant_id: int) -> Program:
    """The tenant's current program: what a patient starting a phase now gets."""
    return program_of_header(current_version(tenant_id))


def version_for(patient: Patient) -> Program:
    """The program she follows: the version she started her current phase under, else (not yet
    pinned) her tenant's current version, else the platform's default."""
    if patient.program_version_id is None:
        return tenant_program(patient.tenant_id)
    header = db.session.execute(
        select(*_HEADER).where(
            ProgramVersion.tenant_id == patient.tenant_id,
            ProgramVersion.id == patient.program_version_id,
        )
    ).first()
    return program_of_header(header)


def start_phase(patient: Patient, phase: Phase, now: datetime | None = None) -> None:
    """Move her to `phase`, pinned to her tenant's current version from now on."""
    version = current_version(patient.tenant_id)
    patient.phase = phase
    patient.phase_started_at = now or datetime.now(UTC)
    patient.program_version_id = version.id if version is not None else None
