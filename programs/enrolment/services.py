"""Enrolling a patient and finding her record."""

from __future__ import annotations

import random
import secrets
import string
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.exc import IntegrityError

from pelvicoach.platform.accounts import Role, User, UserRole, create_user, find_user
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


def rows_of(model: Any, patient: Patient) -> Select:
    """A select of `model`'s rows that belong to her."""
    return select(model).where(model.tenant_id == patient.tenant_id, model.patient_id == patient.id)


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


def pseudonyms(tenant_id: int) -> set[str]:
    return set(db.session.scalars(select(Patient.pseudonym).where(Patient.tenant_id == tenant_id)))


def enrol_many(
    tenant_id: int, women: list[dict], *, taken: set[str], import_id: int | None = None
) -> None:
    """Enrol women already checked (EnrolmentSchema, addresses free, clinicians known) in three
    batched INSERTs (compiled once, each sent as one executemany), however many they are: a
    file of 100,000 rows cannot afford a round trip per woman. `taken` holds the tenant's
    pseudonyms and receives the new ones. An IntegrityError (an address enrolled meanwhile) is
    for the caller, who enrolled them in a savepoint."""
    if not women:
        return
    now = datetime.now(UTC)
    users = User.__table__
    ids = dict(
        db.session.execute(
            insert(users).returning(users.c.email, users.c.id),
            [
                {
                    "tenant_id": tenant_id,
                    "email": woman["email"],
                    "name": woman["name"],
                    "active": True,
                    "session_token": secrets.token_hex(16),
                }
                for woman in women
            ],
        ).all()
    )
    db.session.execute(
        insert(UserRole.__table__),
        [{"user_id": ids[woman["email"]], "role": Role.PATIENT} for woman in women],
    )
    rows = []
    for woman in women:
        pseudonym = new_pseudonym()
        while pseudonym in taken:
            pseudonym = new_pseudonym()
        taken.add(pseudonym)
        rows.append(
            {
                "tenant_id": tenant_id,
                "user_id": ids[woman["email"]],
                "pseudonym": pseudonym,
                "cohort": woman["cohort"],
                "birth_year": woman["birth_year"],
                "delivery_date": woman["delivery_date"],
                "phase": Phase.INFORMATION,
                "clinician_id": woman["clinician_id"],
                "enrolled_at": now,
                "import_id": import_id,
            }
        )
    db.session.execute(insert(Patient.__table__), rows)
