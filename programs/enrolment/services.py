"""Enrolling a patient and finding her record."""

from __future__ import annotations

import random
import secrets
import string
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pelvicoach.platform.accounts import Role, create_user, find_user
from pelvicoach.platform.extensions import db
from pelvicoach.programs.enrolment.models import Patient, Phase
from pelvicoach.tenants.models import TenantInfo

PSEUDONYM_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"
_system_random = secrets.SystemRandom()


class EnrolmentError(ValueError):
    """The patient cannot be enrolled as asked; the message says why."""


def new_pseudonym(rng: random.Random = _system_random) -> str:
    """Nine characters without look-alikes (O/0, I/1): readable aloud, not derived from her."""
    return "P" + "".join(rng.choices(PSEUDONYM_ALPHABET, k=8))


def get_patient(tenant_id: int, pseudonym: str) -> Patient | None:
    return db.session.scalar(
        select(Patient).where(Patient.tenant_id == tenant_id, Patient.pseudonym == pseudonym)
    )


def enrol(
    tenant: TenantInfo,
    *,
    email: str,
    name: str,
    cohort: str,
    birth_year: int,
    delivery_date: date | None = None,
    clinician_email: str | None = None,
) -> Patient:
    """Create her account (no password yet) and her place in the program. On EnrolmentError the
    caller rolls back (the whole call, or the savepoint it enrolled her in)."""
    if find_user(tenant.id, email) is not None:
        raise EnrolmentError("email: an account with this address exists already")
    clinician = None
    if clinician_email:
        clinician = find_user(tenant.id, clinician_email)
        if clinician is None or not clinician.has_role(Role.CLINICIAN):
            raise EnrolmentError("clinician_email: no clinician with this address here")
    user = create_user(tenant_id=tenant.id, email=email, name=name, roles=[Role.PATIENT])
    try:
        db.session.flush()
    except IntegrityError:  # the same address enrolled a moment ago by another request
        raise EnrolmentError("email: an account with this address exists already") from None
    pseudonym = new_pseudonym()
    while get_patient(tenant.id, pseudonym) is not None:
        pseudonym = new_pseudonym()
    patient = Patient(
        tenant_id=tenant.id,
        user_id=user.id,
        pseudonym=pseudonym,
        cohort=cohort,
        birth_year=birth_year,
        delivery_date=delivery_date,
        phase=Phase.INFORMATION,
        clinician_id=clinician.id if clinician else None,
        enrolled_at=datetime.now(UTC),
    )
    db.session.add(patient)
    db.session.flush()
    return patient
