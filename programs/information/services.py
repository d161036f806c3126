"""Reading progress: a module counts as read once she marks it so."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pelvicoach.platform.extensions import db
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.information.models import ModuleRead


def read_keys(patient: Patient) -> set[str]:
    return set(
        db.session.scalars(
            select(ModuleRead.module_key).where(
                ModuleRead.tenant_id == patient.tenant_id, ModuleRead.patient_id == patient.id
            )
        )
    )


def mark_read(patient: Patient, module_key: str) -> None:
    """Idempotent: marking twice (two tabs, a double tap) keeps the first time."""
    if module_key in read_keys(patient):
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                ModuleRead(
                    tenant_id=patient.tenant_id,
                    patient_id=patient.id,
                    module_key=module_key,
                    read_at=datetime.now(UTC),
                )
            )
    except IntegrityError:  # the other tab was first
        pass
