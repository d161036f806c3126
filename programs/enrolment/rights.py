"""Her right of access (AVG/GDPR article 15 and 20): everything stored about her, in a form she
can read and a form a machine can read.

Found through the schema rather than a list kept by hand: every table with her `patient_id`,
and every table that hangs off one of those (a diary's entries), so a table added later is in
her export the day it exists (a test checks that every patient table is reached). Secrets that
guard her account (password and token digests) are not data about her and stay out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select

from pelvicoach.platform.extensions import db
from pelvicoach.programs.enrolment.models import Patient

HIDDEN = ("hash", "token", "secret", "totp_last_step", "tenant_id")
ACCOUNT = ("email", "name", "locale", "created_at")


def _shown(column: str) -> bool:
    return not any(part in column for part in HIDDEN)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "value"):  # an enum
        return value.value
    return value


def _rows(table: Table, where: Any) -> list[dict[str, Any]]:
    result = db.session.execute(select(table).where(where).order_by(*table.primary_key.columns))
    return [
        {key: _plain(value) for key, value in row._mapping.items() if _shown(key)} for row in result
    ]


def patient_tables() -> list[Table]:
    """The tables that hold rows of one patient (by `patient_id`)."""
    return [
        table
        for table in db.metadata.sorted_tables
        if "patient_id" in table.c and table.name != "patients"
    ]


def export(patient: Patient) -> dict[str, Any]:
    """Her data, table by table."""
    user = patient.user
    data: dict[str, Any] = {
        "account": {key: _plain(getattr(user, key)) for key in ACCOUNT} if user else None,
        "patient": _rows(Patient.__table__, Patient.__table__.c.id == patient.id)[0],
    }
    owned: dict[str, list[Any]] = {}
    for table in patient_tables():
        rows = _rows(
            table,
            (table.c.tenant_id == patient.tenant_id) & (table.c.patient_id == patient.id),
        )
        data[table.name] = rows
        if "id" in table.c:
            owned[table.name] = [row["id"] for row in rows]
    for table in db.metadata.sorted_tables:
        if table.name in data or "patient_id" in table.c:
            continue
        for foreign_key in table.foreign_keys:
            parent = foreign_key.column.table.name
            if parent in owned and foreign_key.column.name == "id":
                ids = owned[parent]
                data[table.name] = _rows(table, foreign_key.parent.in_(ids)) if ids else []
    return data
