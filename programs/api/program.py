"""API: the tenant's program document, read and published as a whole."""

from __future__ import annotations

from marshmallow import ValidationError

from pelvicoach.platform.api import audit_call, load, operation
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.programs.api import bp
from pelvicoach.programs.configuration import editor
from pelvicoach.programs.configuration.api_schemas import (
    ProgramChangeSchema,
    ProgramDocumentSchema,
    PublishedSchema,
)
from pelvicoach.programs.configuration.diff import publication
from pelvicoach.programs.configuration.services import current_version, publish, tenant_program


@bp.get("/program")
@operation(
    "The published program and the tenant's changes", scope=None, response=ProgramDocumentSchema
)
def get_program():
    tenant = require_tenant()
    program = tenant_program(tenant.id)
    header = current_version(tenant.id)
    changes = editor.version(tenant.id, header.number).overrides if header else {}
    return ProgramDocumentSchema().dump(
        {"version": program.number, "changes": changes, "document": program.document}
    )


@bp.put("/program")
@operation(
    "Publish a new program version",
    scope="program:write",
    body=ProgramChangeSchema,
    response=PublishedSchema,
)
def put_program():
    tenant = require_tenant()
    data = load(ProgramChangeSchema)
    before = tenant_program(tenant.id)
    try:
        number, new = publish(tenant.id, data["changes"], note=data["note"])
    except ValidationError as invalid:
        raise ValidationError({"changes": invalid.messages}) from None
    moved = 0
    if new:
        if data["move_patients"] == "now":
            moved = editor.move_patients(tenant.id, editor.version(tenant.id, number).id)
        after = tenant_program(tenant.id)
        audit_call(
            "program.published",
            object_type="program_version",
            object_id=str(number),
            detail=publication(
                before.number, before.document, after.document, version=number, patients_moved=moved
            ),
        )
    db.session.commit()
    return PublishedSchema().dump({"version": number, "new": new, "patients_moved": moved})
