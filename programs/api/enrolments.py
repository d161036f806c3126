"""API: enrol patients."""

from __future__ import annotations

from pelvicoach.platform.api import audit_call, load, operation
from pelvicoach.platform.errors import problem
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.programs.api import bp
from pelvicoach.programs.enrolment.schemas import EnrolledSchema, EnrolmentSchema
from pelvicoach.programs.enrolment.services import EnrolmentError, enrol


@bp.post("/enrolments")
@operation(
    "Enrol a patient",
    scope="enrolments:write",
    body=EnrolmentSchema,
    response=EnrolledSchema,
    status=201,
    errors=(409,),
)
def create_enrolment():
    tenant = require_tenant()
    data = load(EnrolmentSchema)
    try:
        patient = enrol(tenant, **data)
    except EnrolmentError as exc:
        db.session.rollback()
        field, _, message = str(exc).partition(": ")
        if field == "email":
            return problem(409, "Conflict", message, errors={field: [message]})
        return problem(422, "Unprocessable Content", message, errors={field: [message]})
    audit_call("patient.enrolled", object_type="patient", object_id=patient.pseudonym)
    db.session.commit()
    return EnrolledSchema().dump(patient), 201
