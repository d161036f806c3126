"""Sets she logged in the past, written straight to the database: how tests move time for
progression without sleeping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from conftest import TENANT_ZONE

from pelvicoach.platform.extensions import db
from pelvicoach.programs.training.models import ExerciseSession


def a_set(
    tenant_id: int, patient_id: int, when: datetime, level: int = 1, **kind
) -> ExerciseSession:
    """One set she logged at `when`, for the caller to add: a whole set unless `kind` says
    otherwise (completion, effort, leaked)."""
    return ExerciseSession(
        tenant_id=tenant_id,
        patient_id=patient_id,
        client_id=str(uuid.uuid4()),
        performed_at=when,
        day=when.astimezone(TENANT_ZONE).date(),  # her day, as the app stores it
        level=level,
        completion=kind.get("completion", "fully"),
        effort=kind.get("effort", "right"),
        leaked=kind.get("leaked", False),
        received_at=when,
    )


def add_sets(
    tenant_id: int, patient_id: int, days: list[int], level: int, sets: int, **kind
) -> None:
    """`sets` sets at `level` on each of `days` days ago, in the caller's tenant context."""
    for back in days:
        when = datetime.now(UTC) - timedelta(days=back)
        for _ in range(sets):
            db.session.add(a_set(tenant_id, patient_id, when, level, **kind))
