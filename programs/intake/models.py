"""Her intakes: a draft while she answers, then the outcome with everything that led to it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pelvicoach.platform.extensions import BigId, db, enum_column
from pelvicoach.platform.tenancy import TenantScoped
from pelvicoach.programs.enrolment.models import Cohort
from pelvicoach.programs.intake.rules import Route


class Intake(TenantScoped, db.Model):
    """One intake. While `completed_at` is empty it is her draft (answers kept when she leaves
    halfway); once completed it holds the answers, the scores, the rule that fired and the
    program version, so clinicians and reports read the outcome instead of recomputing it."""

    __tablename__ = "intakes"
    __table_args__ = (
        Index("ix_intakes_tenant_id_patient_id", "tenant_id", "patient_id", "completed_at"),
        Index("ix_intakes_tenant_id_completed_at", "tenant_id", "completed_at"),
    )

    id: Mapped[BigId]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    # None: the platform's default program (version number 0), the tenant had none published.
    program_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("program_versions.id", ondelete="RESTRICT")
    )
    version_number: Mapped[int] = mapped_column(Integer, default=0)
    cohort: Mapped[Cohort] = mapped_column(enum_column(Cohort, "cohort"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    route: Mapped[Route | None] = mapped_column(enum_column(Route, "route"))
    rule: Mapped[str | None] = mapped_column(String(40))
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    bladder_training: Mapped[bool] = mapped_column(Boolean, default=False)
    reopens_on: Mapped[date | None] = mapped_column(Date)
    recheck_on: Mapped[date | None] = mapped_column(Date)
