"""The care-provider directory: the providers patients are pointed to (and, at an insurer, the
contracted ones its clinicians work for). Add, edit, remove; import from CSV with a preview of
every bad row; export."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from marshmallow import ValidationError
from sqlalchemy import func, select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.inputs import accepts_uploads
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.tenants import provider_import
from pelvicoach.tenants.admin import bp
from pelvicoach.tenants.care_providers import (
    CareProvider,
    ProviderKind,
    add_provider,
    describe,
    directory,
    update_provider,
)
from pelvicoach.tenants.schemas import CareProviderSchema
from pelvicoach.tenants.staff.models import StaffProfile

KIND_LABELS = {
    ProviderKind.GP: _l("GP practice"),
    ProviderKind.PELVIC_PHYSIO: _l("Pelvic physiotherapist"),
    ProviderKind.EXERCISE_THERAPIST: _l("Exercise therapist"),
    ProviderKind.GYNAECOLOGIST: _l("Gynaecologist"),
    ProviderKind.UROLOGIST: _l("Urologist"),
}
MAX_FILE = 1024 * 1024
FIELDS = ("kind", "name", "address", "postcode", "city", "phone", "website")


class ProviderForm(FlaskForm):
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()]
    )
    name = StringField(_l("Name"))
    address = StringField(_l("Street and number"))
    postcode = StringField(_l("Postcode"))
    city = StringField(_l("Town"))
    phone = StringField(_l("Phone number"))
    website = StringField(_l("Website (https://…)"))
    accepting_patients = BooleanField(_l("Takes new patients"))
    contracted = BooleanField(_l("Contracted (insurers: its clinicians may use the coach)"))

    def loaded(self) -> dict[str, Any]:
        """Through the schema the import uses too; ValidationError by field."""
        data: dict[str, Any] = {name: (self[name].data or "").strip() for name in FIELDS}
        data["accepting_patients"] = bool(self.accepting_patients.data)
        data["contracted"] = bool(self.contracted.data)
        return CareProviderSchema().load(data)

    def show(self, messages: dict[str, Any]) -> None:
        for name, problems in messages.items():
            field = self._fields.get(name)
            if field is not None:
                texts = problems if isinstance(problems, list) else [str(problems)]
                field.errors = [*field.errors, *(str(text) for text in texts)]


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file (at most 1 MB)"), validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    content = TextAreaField()


def _status(form: FlaskForm) -> int:
    return 422 if request.method == "POST" and form.errors else 200


@bp.route("/providers", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def providers():
    tenant = require_tenant()
    form = ProviderForm()
    if request.method == "GET":
        form.accepting_patients.data = True
    elif form.validate_on_submit():
        try:
            provider = add_provider(tenant.id, **form.loaded())
        except ValidationError as invalid:
            form.show(invalid.messages)
        else:
            db.session.flush()
            audit.record(
                "care_provider.added",
                object_type="care_provider",
                object_id=str(provider.id),
                detail={"after": describe(provider)},
            )
            db.session.commit()
            flash(_("%(name)s is in the directory.", name=provider.name), "success")
            return redirect(url_for("admin.providers"))
    return render_template(
        "admin/providers.html",
        form=form,
        import_form=ImportForm(formdata=None),
        rows=directory(tenant.id),
        kinds=KIND_LABELS,
    ), _status(form)


def _provider(provider_id: int) -> CareProvider:
    provider = db.session.get(CareProvider, provider_id)
    if provider is None or provider.tenant_id != require_tenant().id:
        abort(404)
    return provider


@bp.route("/providers/<int:provider_id>", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def provider(provider_id: int):
    row = _provider(provider_id)
    form = ProviderForm(obj=row if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changed = update_provider(row, **form.loaded())
        except ValidationError as invalid:
            form.show(invalid.messages)
        else:
            audit.record_changes(
                "care_provider.changed",
                changed,
                object_type="care_provider",
                object_id=str(row.id),
            )
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.providers"))
    return render_template("admin/provider.html", form=form, row=row), _status(form)


@bp.post("/providers/<int:provider_id>/remove")
@require_role(Role.ADMIN)
def remove_provider(provider_id: int):
    row = _provider(provider_id)
    working = db.session.scalar(
        select(func.count())
        .select_from(StaffProfile)
        .where(StaffProfile.care_provider_id == row.id)
    )
    if working:
        flash(
            _("Clinicians work for %(name)s: give them another provider first.", name=row.name),
            "danger",
        )
        return redirect(url_for("admin.provider", provider_id=row.id))
    before = describe(row)
    db.session.delete(row)
    audit.record(
        "care_provider.removed",
        object_type="care_provider",
        object_id=str(provider_id),
        detail={"before": before},
    )
    db.session.commit()
    flash(_("%(name)s is no longer in the directory.", name=before["name"]), "info")
    return redirect(url_for("admin.providers"))


def _existing(tenant_id: int) -> list[tuple[str, str]]:
    return [(row.name, row.postcode) for row in directory(tenant_id)]


@bp.post("/providers/import")
@require_role(Role.ADMIN)
@accepts_uploads(4 * MAX_FILE)
def import_providers():
    """Step 1: read the file and show what would be added and what cannot be, row by row."""
    tenant = require_tenant()
    form = ImportForm()
    parsed = None
    text = None
    if form.validate_on_submit():
        data = form.file.data.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            form.file.errors = [_("The file is larger than 1 MB: split it.")]
        elif (text := provider_import.decode(data)) is None:
            form.file.errors = [_("This is not a text (CSV) file.")]
        else:
            parsed = provider_import.parse(text, _existing(tenant.id))
            if parsed.problem:
                form.file.errors = [parsed.problem]
    if form.errors:
        return render_template(
            "admin/providers.html",
            form=ProviderForm(formdata=None),
            import_form=form,
            rows=directory(tenant.id),
            kinds=KIND_LABELS,
        ), 422
    return render_template(
        "admin/providers_import.html",
        parsed=parsed,
        confirm=ConfirmForm(formdata=None, content=text),
        kinds=KIND_LABELS,
    )


@bp.post("/providers/import/confirm")
@require_role(Role.ADMIN)
@accepts_uploads(4 * MAX_FILE)
def confirm_import():
    """Step 2: add every good row (the same reading again: nothing was kept in between)."""
    tenant = require_tenant()
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    parsed = provider_import.parse(form.content.data or "", _existing(tenant.id))
    for row in parsed.good:
        add_provider(tenant.id, **row)
    audit.record(
        "care_providers.imported",
        object_type="care_provider",
        detail={"after": {"added": len(parsed.good), "refused": len(parsed.bad)}},
    )
    db.session.commit()
    flash(
        _(
            "%(added)s providers added; %(refused)s rows were not.",
            added=len(parsed.good),
            refused=len(parsed.bad),
        ),
        "success",
    )
    return redirect(url_for("admin.providers"))


@bp.get("/providers/export.csv")
@require_role(Role.ADMIN)
def export_providers() -> Response:
    tenant = require_tenant()
    response = Response(
        provider_import.export(directory(tenant.id)),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{tenant.slug}-care-providers.csv"'
    )
    return response
