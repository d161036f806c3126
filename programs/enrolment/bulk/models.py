"""An uploaded file of women to enrol, where its check and its import stand, and the rows that
could not be enrolled."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from pelvicoach.platform.extensions import BigId, db, enum_column
from pelvicoach.platform.tenancy import TenantScoped


class ImportState(StrEnum):
    CHECKING = "checking"  # the check job reads the file
    CHECKED = "checked"  # the preview waits for the officer's confirmation
    REFUSED = "refused"  # the file as a whole cannot be read; `problem` says why
    IMPORTING = "importing"  # the import job enrols the good rows
    DONE = "done"
    CANCELLED = "cancelled"


class EnrolmentImport(TenantScoped, db.Model):
    """The file is kept only until it has been imported or cancelled (and at most a week)."""

    __tablename__ = "enrolment_imports"
    __table_args__ = (
        Index("ix_enrolment_imports_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: Mapped[BigId]
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the file: "uploaded before"
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    locale: Mapped[str] = mapped_column(String(5))  # the reasons are written in the officer's
    state: Mapped[ImportState] = mapped_column(enum_column(ImportState, "state"))
    problem: Mapped[str | None] = mapped_column(Text)
    header: Mapped[list[str] | None] = mapped_column(JSON)  # the file's column titles
    rows: Mapped[int] = mapped_column(Integer, default=0)  # data rows in the file
    good: Mapped[int] = mapped_column(Integer, default=0)  # rows the check found enrollable
    progress: Mapped[int] = mapped_column(Integer, default=0)  # rows the running job has done
    created: Mapped[int] = mapped_column(Integer, default=0)  # women enrolled
    invite: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def bad(self) -> int:
        return self.rows - (self.created if self.state == ImportState.DONE else self.good)

    @property
    def busy(self) -> bool:
        return self.state in (ImportState.CHECKING, ImportState.IMPORTING)


class RefusedRow(TenantScoped, db.Model):
    """A row that could not be enrolled: where it is in the file, why, and what it held (so the
    officer can put it right); kept for the report, purged with the import."""

    __tablename__ = "enrolment_import_errors"
    __table_args__ = (
        Index("ix_enrolment_import_errors_tenant_id_import_id", "tenant_id", "import_id", "row"),
    )

    id: Mapped[BigId]
    import_id: Mapped[int] = mapped_column(ForeignKey("enrolment_imports.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    cells: Mapped[list[Any]] = mapped_column(JSON)
