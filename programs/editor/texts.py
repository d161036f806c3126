"""Any text of the program in the tenant's own words, per language: Markdown, shown sanitized,
previewed before it goes into the draft."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import TextAreaField
from wtforms.validators import Length

from pelvicoach.platform import audit, prose
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.programs.configuration import editor, texts
from pelvicoach.programs.configuration.diff import changes, for_audit
from pelvicoach.programs.configuration.services import build
from pelvicoach.programs.editor import bp

SECTION_LABELS = {
    "disclaimer": _l("Disclaimer"),
    "steps": _l("Steps on her home page"),
    "modules": _l("Information modules"),
    "exercises": _l("Awareness exercises"),
    "outcomes": _l("Intake outcomes"),
    "guidance": _l("Training guidance"),
    "questions": _l("Intake questions"),
    "reassessment": _l("Check-in questions"),
    "cues": _l("Spoken cues"),
}


class TextForm(FlaskForm):
    nl = TextAreaField(_l("Dutch"), validators=[Length(max=20_000)])
    en = TextAreaField(_l("English"), validators=[Length(max=20_000)])


@bp.get("/texts")
@require_role(Role.ADMIN)
def texts_list():
    tenant = require_tenant()
    default = dict(texts.texts(build()))
    found = texts.texts(build(editor.working_overrides(tenant.id)))
    groups: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for path, text in found:
        groups.setdefault(path.split(".", 1)[0], []).append((path, text))
    return render_template(
        "editor/texts.html",
        groups=groups,
        labels=SECTION_LABELS,
        changed={path for path, text in found if default.get(path) != text},
    )


@bp.route("/texts/<path>", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def text(path: str):
    tenant = require_tenant()
    document = build(editor.working_overrides(tenant.id))
    current = texts.get(document, path)
    if current is None:
        abort(404)
    default = texts.get(build(), path)
    form = TextForm(data=current if request.method == "GET" else None)
    preview = None
    action = request.form.get("action", "preview")
    if form.validate_on_submit():
        wanted = (
            default
            if action == "default" and default
            else {
                "nl": (form.nl.data or "").strip(),
                "en": (form.en.data or "").strip(),
            }
        )
        if action == "preview":
            preview = {locale: prose.to_html(wanted[locale]) for locale in ("nl", "en")}
        else:
            edited = texts.put(document, path, wanted)
            try:
                editor.save_draft(tenant.id, edited, current_user.id)
            except ValidationError:
                db.session.rollback()
                message = _("Give the text in both languages.")
                for field in (form.nl, form.en):
                    if not (field.data or "").strip():
                        field.errors = [*field.errors, message]
            else:
                audit.record(
                    "program.draft_saved",
                    object_type="program",
                    object_id=str(tenant.id),
                    detail={"changes": for_audit(changes(document, edited))},
                )
                db.session.commit()
                flash(_("The text is in the draft. Publish the draft to show it."), "success")
                return redirect(url_for("editor.texts_list"))
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template(
        "editor/text.html", form=form, path=path, default=default, preview=preview
    ), status
