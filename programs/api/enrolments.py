"""API: enrol patients."""

from __future__ import annotations

from flask_babel import get_locale
from marshmallow import ValidationError

from pelvicoach.platform.api import audit_call, load, operation
from pelvicoach.platform.errors import problem
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import TenantLike, external_url, require_tenant
from pelvicoach.programs.api import bp
from pelvicoach.programs.enrolment import invitations
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.enrolment.schemas import (
    BatchResultSchema,
    BatchSchema,
    EnrolledSchema,
    EnrolmentSchema,
)
from pelvicoach.programs.enrolment.services import EnrolmentError, enrol


def _invite(tenant: TenantLike, patient: Patient) -> None:
    """Her invitation e-mail, through the outbox with the enrolment's own transaction."""
    invitations.invite(
        patient,
        invited_by=None,
        link=lambda token: external_url("portal.first_visit", token=token),
        site_name=tenant.name,
        locale=str(get_locale()),
    )


def _refusal(exc: EnrolmentError) -> tuple[int, dict[str, list[str]]]:
    """An address already here is a conflict (409); anything else is the request's (422)."""
    field, _, message = str(exc).partition(": ")
    return (409 if field == "email" else 422), {field: [message]}


@bp.post("/enrolments")
@operation(
    "Enrol a patient",
    scope="enrolments:write",
    body=EnrolmentSchema,
    response=EnrolledSchema,
    status=201,
    errors=(409,),
    idempotent=True,
)
def create_enrolment():
    tenant = require_tenant()
    data = load(EnrolmentSchema)
    try:
        patient = enrol(tenant, **data)
    except EnrolmentError as exc:
        db.session.rollback()
        status, errors = _refusal(exc)
        title = "Conflict" if status == 409 else "Unprocessable Content"
        return problem(status, title, next(iter(errors.values()))[0], errors=errors)
    _invite(tenant, patient)
    audit_call("patient.enrolled", object_type="patient", object_id=patient.pseudonym)
    db.session.commit()
    return EnrolledSchema().dump(patient), 201


@bp.post("/enrolments/batch")
@operation(
    "Enrol up to 1,000 patients, each answered on its own",
    scope="enrolments:write",
    body=BatchSchema,
    response=BatchResultSchema,
    idempotent=True,
)
def create_enrolments():
    """Every item is enrolled in a savepoint of its own: one bad or duplicate item costs the
    others nothing."""
    tenant = require_tenant()
    items = load(BatchSchema)["enrolments"]
    results = []
    for index, item in enumerate(items):
        try:
            data = EnrolmentSchema().load(item)
        except ValidationError as invalid:
            results.append({"index": index, "status": 422, "errors": invalid.messages})
            continue
        savepoint = db.session.begin_nested()
        try:
            patient = enrol(tenant, **data)
        except EnrolmentError as exc:
            savepoint.rollback()
            status, errors = _refusal(exc)
            results.append({"index": index, "status": status, "errors": errors})
            continue
        savepoint.commit()
        _invite(tenant, patient)
        audit_call("patient.enrolled", object_type="patient", object_id=patient.pseudonym)
        results.append(
            {"index": index, "status": 201, "pseudonym": patient.pseudonym, "phase": patient.phase}
        )
    db.session.commit()
    created = sum(1 for result in results if result["status"] == 201)
    return BatchResultSchema().dump(
        {"created": created, "failed": len(results) - created, "results": results}
    )
