"""Branding: the tenant's name, colours, logo, favicon, welcome text and contact details,
with a live preview of the patient portal in a phone-sized frame."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from marshmallow import ValidationError
from wtforms import BooleanField, EmailField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.config import LOCALES
from pelvicoach.platform.extensions import db, talisman
from pelvicoach.platform.inputs import accepts_uploads
from pelvicoach.platform.security import CONTENT_SECURITY_POLICY
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.tenants import services
from pelvicoach.tenants.admin import bp
from pelvicoach.tenants.branding import MAX_UPLOAD_BYTES, ImageRefusedError, clean_image
from pelvicoach.tenants.models import AssetKind, Tenant
from pelvicoach.tenants.schemas import BrandingSchema

# A form with two images near the 1 MB limit, plus room to say "too big" about a larger one
# rather than cut the request off.
UPLOAD_REQUEST_LIMIT = 12 * MAX_UPLOAD_BYTES
TEXT_FIELDS = (
    "name",
    "brand_color",
    "accent_color",
    "support_email",
    "support_phone",
    "privacy_url",
)


class BrandingForm(FlaskForm):
    name = StringField(_l("Name shown to patients"), validators=[DataRequired(), Length(max=120)])
    brand_color = StringField(_l("Main colour (#rrggbb)"), validators=[DataRequired()])
    accent_color = StringField(_l("Accent colour (#rrggbb)"), validators=[DataRequired()])
    logo = FileField(_l("Logo (PNG, JPEG or WebP, at most 1 MB)"))
    remove_logo = BooleanField(_l("Remove the logo"))
    favicon = FileField(_l("Favicon, the small icon in the browser tab (PNG, JPEG or WebP)"))
    remove_favicon = BooleanField(_l("Remove the favicon"))
    welcome_nl = TextAreaField(_l("Welcome text in Dutch"), validators=[Length(max=1000)])
    welcome_en = TextAreaField(_l("Welcome text in English"), validators=[Length(max=1000)])
    support_email = EmailField(_l("Support e-mail address"))
    support_phone = StringField(_l("Support phone number"))
    privacy_url = URLField(_l("Privacy statement (web address)"))

    def fill(self, tenant: Tenant) -> None:
        for name in TEXT_FIELDS:
            getattr(self, name).data = getattr(tenant, name)
        for locale in LOCALES:
            getattr(self, f"welcome_{locale}").data = (tenant.welcome or {}).get(locale, "")

    def loaded(self) -> dict[str, Any]:
        """The text fields through the schema the API uses too; ValidationError per field."""
        data: dict[str, Any] = {
            name: (getattr(self, name).data or "").strip() for name in TEXT_FIELDS
        }
        data["welcome"] = {
            locale: (getattr(self, f"welcome_{locale}").data or "").strip() for locale in LOCALES
        }
        return BrandingSchema().load(data)

    def show(self, messages: dict[str, Any]) -> None:
        for name, problems in messages.items():
            if name == "welcome":
                for locale, problem in problems.items() if isinstance(problems, dict) else []:
                    field = getattr(self, f"welcome_{locale}", None)
                    if field is not None:
                        field.errors = [*field.errors, *_flat(problem)]
                continue
            field = getattr(self, name, None)
            if field is not None:
                field.errors = [*field.errors, *_flat(problems)]


def _flat(problems: Any) -> list[str]:
    if isinstance(problems, dict):
        return [text for value in problems.values() for text in _flat(value)]
    if isinstance(problems, list):
        return [str(text) for text in problems]
    return [str(problems)]


def _images(form: BrandingForm) -> tuple[dict[AssetKind, Any], bool]:
    """The cleaned uploads, and whether every one was acceptable (errors go on the fields)."""
    cleaned, fine = {}, True
    for kind in AssetKind:
        upload = getattr(form, kind.value).data
        if not upload or not getattr(upload, "filename", ""):
            continue
        try:
            cleaned[kind] = clean_image(upload.read(MAX_UPLOAD_BYTES * 12), kind.value)
        except ImageRefusedError as refused:
            getattr(form, kind.value).errors = [str(refused)]
            fine = False
    return cleaned, fine


@bp.route("/branding", methods=["GET", "POST"])
@require_role(Role.ADMIN)
@accepts_uploads(UPLOAD_REQUEST_LIMIT)
def branding():
    tenant = db.session.get(Tenant, require_tenant().id)
    form = BrandingForm()
    status = 200
    if request.method == "GET":
        form.fill(tenant)
    elif form.validate_on_submit():
        try:
            changes = form.loaded()
        except ValidationError as invalid:
            form.show(invalid.messages)
            changes = None
        images, images_fine = _images(form)
        if changes is not None and images_fine:
            changed = services.update_settings(tenant, changes)
            for kind in AssetKind:
                if kind in images:
                    changed |= services.store_image(tenant, kind, images[kind])
                elif getattr(form, f"remove_{kind.value}").data:
                    changed |= services.remove_image(tenant, kind)
            audit.record_changes(
                "branding.changed", changed, object_type="tenant", object_id=str(tenant.id)
            )
            db.session.commit()
            flash(
                _("Saved. Patients see the new look on their next page.")
                if changed
                else _("Nothing changed."),
                "success",
            )
            return redirect(url_for("admin.branding"))
        status = 422
    else:
        status = 422 if request.method == "POST" else 200
    return render_template("admin/branding.html", form=form, saved=tenant), status


@bp.get("/branding/preview")
@require_role(Role.ADMIN)
@talisman(
    frame_options="SAMEORIGIN",
    content_security_policy={
        **CONTENT_SECURITY_POLICY,
        "frame-ancestors": "'self'",
        "img-src": "'self' data: blob:",
    },
)
def branding_preview():
    """The portal's first page as a patient sees it, in a frame of the branding page, which
    sends the unsaved values in (`branding.js`)."""
    require_tenant()
    return render_template("admin/branding_preview.html")
