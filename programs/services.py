"""Patient records as the portal and the clinician views need them."""

from __future__ import annotations

from sqlalchemy import select

from pelvicoach.platform.extensions import db
from pelvicoach.programs.models import Patient


def patient_for_user(tenant_id: int, user_id: int) -> Patient | None:
    return db.session.scalar(
        select(Patient).where(Patient.tenant_id == tenant_id, Patient.user_id == user_id)
    )
