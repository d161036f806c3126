"""API keys: made and revoked by an admin, each shown once."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from pelvicoach.platform import api_keys, audit
from pelvicoach.platform.access import require_access, require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.api_keys import ApiKey
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.tenants.admin import bp


class ApiKeyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    scopes = SelectMultipleField(
        _l("Allowed"),
        choices=[SelectChoice(scope, scope) for scope in api_keys.SCOPES],
        validators=[DataRequired()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


@bp.route("/api-keys", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def keys():
    tenant = require_tenant()
    form = ApiKeyForm()
    shown_once = None
    if form.validate_on_submit():
        key, shown_once = api_keys.create(
            tenant.id, form.name.data or "", form.scopes.data or [], current_user.id
        )
        db.session.flush()
        audit.record(
            "api_key.created",
            object_type="api_key",
            object_id=str(key.id),
            detail={"after": {"name": key.name, "scopes": key.scopes}},
        )
        db.session.commit()
        form = ApiKeyForm(formdata=None)
    rows = db.session.scalars(
        select(ApiKey).where(ApiKey.tenant_id == tenant.id).order_by(ApiKey.created_at.desc())
    ).all()
    return render_template(
        "admin/api_keys.html", form=form, keys=rows, shown_once=shown_once, scopes=api_keys.SCOPES
    )


@bp.post("/api-keys/<int:key_id>/revoke")
@require_role(Role.ADMIN)
def revoke_key(key_id: int):
    key = require_access(db.session.get(ApiKey, key_id))
    api_keys.revoke(key)
    audit.record(
        "api_key.revoked",
        object_type="api_key",
        object_id=str(key.id),
        detail={"before": {"active": True}, "after": {"active": False}},
    )
    db.session.commit()
    flash(_("The key %(name)s no longer works.", name=key.name), "info")
    return redirect(url_for("admin.keys"))
