"""Sets she logged in the past, written straight to the database: how tests move time for
progression without sleeping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pelvicoach.platform.extensions import db
from pelvicoach.programs.training.models import ExerciseSession


def add_sets(
    tenant_id: int, patient_id: int, days: list[int], level: int, sets: int, **kind
) -> None:
    """`sets` sets at `level` on each of `days` days ago, in the caller's tenant context."""
    for back in days:
        when = datetime.now(UTC) - timedelta(days=back)
        for _ in range(sets):
            db.session.add(
                ExerciseSession(
                    tenant_id=tenant_id,
                    patient_id=patient_id,
                    client_id=str(uuid.uuid4()),
                    performed_at=when,
                    day=when.date(),
                    level=level,
                    completion=kind.get("completion", "fully"),
                    effort=kind.get("effort", "right"),
                    leaked=False,
                    received_at=when,
                )
            )
