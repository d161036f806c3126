"""The jobs of an enrolment import, run through the outbox in the tenant's context.

Both read the file as a stream and commit every CHUNK rows with their progress, so the page can
show a live bar and a job that is retried (a worker killed halfway) goes on where the last
commit left it: the rows it enrolled and the progress that says so are one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from pelvicoach.platform import audit, outbox
from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import db
from pelvicoach.platform.spreadsheets import UnreadableError, rows
from pelvicoach.programs.enrolment import invitations
from pelvicoach.programs.enrolment.bulk.models import EnrolmentImport, ImportState, RefusedRow
from pelvicoach.programs.enrolment.bulk.rows import Checked, Checker, read
from pelvicoach.programs.enrolment.models import Patient, PatientInvitation
from pelvicoach.programs.enrolment.services import enrol_many, pseudonyms
from pelvicoach.tenants.models import Tenant

CHUNK = 1000
INVITE_CHUNK = 500
CELL_KEPT = 500  # of a refused row's cell, for the report: enough to find and mend it


def _refused(row: EnrolmentImport, refused: list[Checked]) -> None:
    if refused:
        db.session.execute(
            insert(RefusedRow),
            [
                {
                    "tenant_id": row.tenant_id,
                    "import_id": row.id,
                    "row": item.row,
                    "reason": item.outcome,
                    "cells": [cell[:CELL_KEPT] for cell in item.cells],
                }
                for item in refused
            ],
        )


def check_import(import_id: int) -> None:
    """Read the whole file once and note every row that cannot be enrolled, with its reason."""
    row = db.session.get(EnrolmentImport, import_id)
    if row is None or row.state != ImportState.CHECKING:
        return
    db.session.execute(delete(RefusedRow).where(RefusedRow.import_id == import_id))
    with force_locale(row.locale):
        try:
            header, checked = read(
                rows(row.content, row.filename), Checker.for_tenant(row.tenant_id)
            )
        except UnreadableError as problem:
            row.state, row.problem, row.content = ImportState.REFUSED, str(problem), None
            db.session.commit()
            return
        row.header = header
        total = good = 0
        refused: list[Checked] = []
        for item in checked:
            total += 1
            if isinstance(item.outcome, str):
                refused.append(item)
            else:
                good += 1
            if total % CHUNK == 0:
                _refused(row, refused)
                refused = []
                row.progress = total
                db.session.commit()
        _refused(row, refused)
    row.rows, row.good, row.progress, row.state = total, good, 0, ImportState.CHECKED
    db.session.commit()


def _enrol(row: EnrolmentImport, batch: list[Checked], taken: set[str]) -> list[Checked]:
    """Enrol the batch in a savepoint; whoever got an account meanwhile (the desk, the API)
    is returned as refused instead, and the rest enrolled again."""
    refused: list[Checked] = []
    while batch:
        try:
            with db.session.begin_nested():
                enrol_many(
                    row.tenant_id, [item.outcome for item in batch], taken=taken, import_id=row.id
                )
        except IntegrityError:
            addresses = [item.outcome["email"] for item in batch]
            now_taken = set(
                db.session.scalars(
                    select(User.email).where(
                        User.tenant_id == row.tenant_id, User.email.in_(addresses)
                    )
                )
            )
            if not now_taken:
                raise
            reason = _("An account with this e-mail address exists here already.")
            for item in batch:
                if item.outcome["email"] in now_taken:
                    refused.append(Checked(item.row, item.cells, reason))
            batch = [item for item in batch if item.outcome["email"] not in now_taken]
        else:
            row.created += len(batch)
            break
    return refused


def run_import(import_id: int, link_prefix: str) -> None:
    """Enrol every row that is still good (the tenant may have changed since the check: every
    row is checked again), note the others, then send the invitations if the officer asked."""
    row = db.session.get(EnrolmentImport, import_id)
    if row is None or row.state != ImportState.IMPORTING:
        return
    resume_after = row.progress
    if resume_after == 0:  # the check's list is made again, row by row, as the rows are done
        db.session.execute(delete(RefusedRow).where(RefusedRow.import_id == import_id))
        db.session.commit()
    taken = pseudonyms(row.tenant_id)
    with force_locale(row.locale):
        _header, checked = read(rows(row.content, row.filename), Checker.for_tenant(row.tenant_id))
        done = 0
        batch: list[Checked] = []
        refused: list[Checked] = []
        for item in checked:
            done += 1
            if done <= resume_after:
                continue
            (refused if isinstance(item.outcome, str) else batch).append(item)
            if done % CHUNK == 0:
                _refused(row, refused + _enrol(row, batch, taken))
                batch, refused = [], []
                row.progress = done
                db.session.commit()
        _refused(row, refused + _enrol(row, batch, taken))
    row.progress = done
    row.state, row.finished_at, row.content = ImportState.DONE, datetime.now(UTC), None
    audit.record(
        "patients.imported",
        object_type="enrolment_import",
        object_id=str(row.id),
        detail={"after": {"enrolled": row.created, "refused": row.rows - row.created}},
        tenant_id=row.tenant_id,
        actor_id=row.confirmed_by,
    )
    if row.invite and row.created:
        outbox.defer(
            invite_imported,
            row.id,
            link_prefix,
            tenant_id=row.tenant_id,
            job_id=f"import-invite-{row.id}",
        )
    db.session.commit()


def invite_imported(import_id: int, link_prefix: str) -> int:
    """Each woman the import enrolled gets her invitation, a few hundred per transaction, so a
    retried job sends nobody a second one."""
    row = db.session.get(EnrolmentImport, import_id)
    if row is None:
        return 0
    site_name = db.session.get(Tenant, row.tenant_id).name
    sent = after = 0
    while True:
        women = db.session.execute(
            select(Patient.id, User.name, User.email, func.coalesce(User.locale, row.locale))
            .join(User, User.id == Patient.user_id)
            .where(
                Patient.tenant_id == row.tenant_id,
                Patient.import_id == import_id,
                Patient.id > after,  # keyset: each round reads only the women not yet seen
                ~exists().where(PatientInvitation.patient_id == Patient.id),
            )
            .order_by(Patient.id)
            .limit(INVITE_CHUNK)
        ).all()
        if not women:
            return sent
        invitations.invite_many(
            row.tenant_id,
            [tuple(woman) for woman in women],
            invited_by=row.confirmed_by,
            link=lambda token: link_prefix + token,
            site_name=site_name,
        )
        sent += len(women)
        after = women[-1][0]
        db.session.commit()
