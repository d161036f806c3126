"""API: who a key is, and the tenant's program settings."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from pelvicoach.platform import audit
from pelvicoach.platform.api import api_blueprint, audit_call, load, operation
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.tenants.models import Tenant, TenantKind
from pelvicoach.tenants.schemas import KeyInfoSchema, ProgramSettingsSchema
from pelvicoach.tenants.services import update_settings

bp = api_blueprint("tenants_api", __name__)
ONLY_PRACTICES = _l("Only a practice can open all its patients to all its clinicians.")


@bp.get("/key")
@operation("The calling key, its scopes and tenant", scope=None, response=KeyInfoSchema)
def key_info():
    key = g.api_key
    return KeyInfoSchema().dump(
        {"name": key.name, "scopes": key.scopes, "tenant": require_tenant()}
    )


@bp.get("/program/settings")
@operation("The program settings", scope=None, response=ProgramSettingsSchema)
def get_settings():
    return ProgramSettingsSchema().dump(require_tenant())


@bp.patch("/program/settings")
@operation(
    "Change program settings",
    scope="program:write",
    body=ProgramSettingsSchema,
    response=ProgramSettingsSchema,
)
def patch_settings():
    tenant = db.session.get(Tenant, require_tenant().id)
    changes = load(ProgramSettingsSchema)
    if changes.get("clinicians_see_all_patients") and tenant.kind != TenantKind.PRACTICE:
        # An insurer's clinicians work for different contracted care providers: one provider's
        # clinicians must not open another's patients.
        raise ValidationError({"clinicians_see_all_patients": [str(ONLY_PRACTICES)]})
    changed = update_settings(tenant, changes)
    if changed:
        audit_call(
            "settings.changed",
            object_type="tenant",
            object_id=str(tenant.id),
            detail=audit.before_after(changed),
        )
    db.session.commit()
    return ProgramSettingsSchema().dump(tenant)
