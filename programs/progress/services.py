"""Her record, the program version she follows, what she has read, her last intake and her
training level: one statement, whatever her history, because her home page is the busiest
page there is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import aliased

from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import filtered_by_tenant
from pelvicoach.programs.configuration.models import ProgramVersion
from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.configuration.services import program_of_header
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.followup.models import Reassessment
from pelvicoach.programs.followup.services import newest_open_alert
from pelvicoach.programs.information.models import ModuleRead
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.monitoring.models import Message, PlanChange
from pelvicoach.programs.training.models import TrainingPlan


@dataclass(frozen=True)
class Standing:
    patient: Patient
    program: Program
    read: frozenset[str]  # keys of the modules she has read
    last_intake: Intake | None
    level: int | None  # her training level, once she opened the training
    practice_started_on: date | None
    last_check_in_week: int | None  # the week of practice of her newest re-assessment
    open_alert: int | None  # the id of her newest alert no referral followed yet
    unread_messages: int  # from her clinician, not yet read
    unseen_changes: int  # changes her clinician made to her plan that she has not seen


@cache
def _statement() -> Select:
    """Her standing's statement, built once per process with the tenant and account as
    parameters: building it (aliases, a dozen correlated subqueries) cost more than running it
    (tests/perf/bench_pages.py)."""
    tenant_id = bindparam("tenant_id", type_=Integer)
    user_id = bindparam("user_id", type_=Integer)
    current = (
        select(ProgramVersion.id)
        .where(ProgramVersion.tenant_id == tenant_id)
        .order_by(ProgramVersion.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    version = aliased(ProgramVersion)
    read = (
        select(func.aggregate_strings(ModuleRead.module_key, ","))
        .where(ModuleRead.tenant_id == tenant_id, ModuleRead.patient_id == Patient.id)
        .correlate(Patient)
        .scalar_subquery()
    )
    done = aliased(Intake)
    latest = (
        select(done.id)
        .where(
            done.tenant_id == tenant_id,
            done.patient_id == Patient.id,
            done.completed_at.is_not(None),
        )
        .order_by(done.completed_at.desc(), done.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    # Her newest intake's id first, fenced off by OFFSET 0: joined on the subquery itself, the
    # planner (under row-level security) hashed all the tenant's intakes to find one.
    her = (
        select(Patient.id, latest.label("intake_id"))
        .where(Patient.tenant_id == tenant_id, Patient.user_id == user_id)
        .offset(0)
        .subquery("her")
    )
    check_ins = (
        select(func.max(Reassessment.practice_week))
        .where(Reassessment.tenant_id == tenant_id, Reassessment.patient_id == Patient.id)
        .correlate(Patient)
        .scalar_subquery()
    )
    open_alert = newest_open_alert(tenant_id, Patient.id).correlate(Patient).scalar_subquery()
    unread = (
        select(func.count(Message.id))
        .where(
            Message.tenant_id == tenant_id,
            Message.patient_id == Patient.id,
            Message.from_patient.is_(False),
            Message.read_at.is_(None),
        )
        .correlate(Patient)
        .scalar_subquery()
    )
    unseen = (
        select(func.count(PlanChange.id))
        .where(
            PlanChange.tenant_id == tenant_id,
            PlanChange.patient_id == Patient.id,
            PlanChange.seen_at.is_(None),
        )
        .correlate(Patient)
        .scalar_subquery()
    )
    return filtered_by_tenant(
        select(
            Patient,
            version.id,
            version.tenant_id,
            version.number,
            version.digest,
            read,
            Intake,
            TrainingPlan.level,
            TrainingPlan.practice_started_on,
            check_ins,
            open_alert,
            unread,
            unseen,
        )
        .select_from(her)
        .join(Patient, (Patient.tenant_id == tenant_id) & (Patient.id == her.c.id))
        .outerjoin(
            version,
            (version.tenant_id == tenant_id)
            & (version.id == func.coalesce(Patient.program_version_id, current)),
        )
        .outerjoin(Intake, (Intake.tenant_id == tenant_id) & (Intake.id == her.c.intake_id))
        .outerjoin(
            TrainingPlan,
            (TrainingPlan.tenant_id == tenant_id) & (TrainingPlan.patient_id == Patient.id),
        )
        .where(Patient.tenant_id == tenant_id, Patient.user_id == user_id)
    )


def standing(tenant_id: int, user_id: int) -> Standing | None:
    row = db.session.execute(_statement(), {"tenant_id": tenant_id, "user_id": user_id}).first()
    if row is None:
        return None
    (
        patient,
        version_id,
        version_tenant,
        number,
        digest,
        read_keys,
        last,
        level,
        started,
        last_check_in,
        alert,
        unread_count,
        unseen_count,
    ) = row
    header = (version_id, version_tenant, number, digest) if version_id is not None else None
    return Standing(
        patient=patient,
        program=program_of_header(header),
        read=frozenset(read_keys.split(",")) if read_keys else frozenset(),
        last_intake=last,
        level=level,
        practice_started_on=started,
        last_check_in_week=last_check_in,
        open_alert=alert,
        unread_messages=unread_count or 0,
        unseen_changes=unseen_count or 0,
    )
