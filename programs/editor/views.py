"""Program pages of the admin console: draft -> validate -> publish, history, compare, roll
back. The document's rules are the schema's (`configuration/schemas.py`), the same the API
and the CLI go through."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.inputs import an_id
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.programs.configuration import editor
from pelvicoach.programs.configuration.diff import changes, for_audit, publication
from pelvicoach.programs.configuration.services import build, tenant_program
from pelvicoach.programs.editor import bp
from pelvicoach.programs.editor.forms import fill, form_for, show, to_document

MOVE_CHOICES = [
    SelectChoice(
        "later", _l("Each patient moves when her next step starts (she keeps what she has now)")
    ),
    SelectChoice("now", _l("Every patient moves now")),
]


class PublishForm(FlaskForm):
    note = StringField(_l("What changed (for the version list)"), validators=[Length(max=200)])
    move = RadioField(_l("Patients already in the program"), choices=MOVE_CHOICES, default="later")


@bp.get("/")
@require_role(Role.ADMIN)
def overview():
    tenant = require_tenant()
    current = tenant_program(tenant.id)
    draft = editor.draft(tenant.id)
    pending = changes(current.document, build(draft.overrides)) if draft else []
    return render_template(
        "editor/overview.html",
        current=current,
        draft=draft,
        pending=pending,
        versions=editor.versions(tenant.id),
        publish_form=PublishForm(formdata=None),
    )


@bp.route("/edit", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def edit():
    tenant = require_tenant()
    document = build(editor.working_overrides(tenant.id))
    form = form_for(document)()
    unplaced: list[str] = []
    if request.method == "GET":
        fill(form, document)
    elif form.validate_on_submit():
        new_document = to_document(form, document)
        try:
            editor.save_draft(tenant.id, new_document, current_user.id)
        except ValidationError as invalid:
            db.session.rollback()
            unplaced = show(form, invalid.messages, new_document)
        else:
            found = changes(document, build(editor.draft(tenant.id).overrides))
            if found:
                audit.record(
                    "program.draft_saved",
                    object_type="program",
                    object_id=str(tenant.id),
                    detail={"changes": for_audit(found)},
                )
            db.session.commit()
            flash(_("Draft saved. Check the changes below, then publish."), "success")
            return redirect(url_for("editor.overview"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "editor/edit.html", form=form, document=document, unplaced=unplaced
    ), status


def _move_now(form: FlaskForm) -> bool:
    return form.move.data == "now"


@bp.post("/publish")
@require_role(Role.ADMIN)
def publish():
    tenant = require_tenant()
    form = PublishForm()
    draft = editor.draft(tenant.id)
    if draft is None or not form.validate_on_submit():
        flash(_("There is no draft to publish."), "danger")
        return redirect(url_for("editor.overview"))
    before = tenant_program(tenant.id)
    drafted = build(draft.overrides)
    number, new, moved = editor.publish_draft(
        tenant.id, note=form.note.data or "", move_now=_move_now(form), user_id=current_user.id
    )
    if new:
        audit.record(
            "program.published",
            object_type="program_version",
            object_id=str(number),
            detail=publication(
                before.number, before.document, drafted, version=number, patients_moved=moved
            ),
        )
        flash(_("Version %(number)s is published.", number=number), "success")
    else:
        flash(_("Nothing differs from the current version; nothing was published."), "info")
    db.session.commit()
    return redirect(url_for("editor.overview"))


@bp.post("/discard")
@require_role(Role.ADMIN)
def discard():
    tenant = require_tenant()
    if editor.draft(tenant.id) is not None:
        editor.discard_draft(tenant.id)
        audit.record("program.draft_discarded", object_type="program", object_id=str(tenant.id))
        db.session.commit()
        flash(_("The draft is discarded."), "info")
    return redirect(url_for("editor.overview"))


@bp.get("/compare")
@require_role(Role.ADMIN)
def compare():
    tenant = require_tenant()
    numbers = [request.args.get(name, type=an_id) for name in ("a", "b")]
    older, newer = (
        editor.version(tenant.id, n) if n else None for n in sorted(n or 0 for n in numbers)
    )
    if older is None or newer is None:
        abort(404)
    return render_template(
        "editor/compare.html",
        older=older,
        newer=newer,
        found=changes(older.document, newer.document),
        versions=editor.versions(tenant.id),
    )


@bp.post("/versions/<int:number>/rollback")
@require_role(Role.ADMIN)
def rollback(number: int):
    tenant = require_tenant()
    form = PublishForm()
    old = editor.version(tenant.id, number)
    if old is None or not form.validate_on_submit():
        abort(404)
    before = tenant_program(tenant.id)
    try:
        new_number, new, moved = editor.rollback(
            tenant.id,
            number,
            move_now=_move_now(form),
            user_id=current_user.id,
            note=_("Back to version %(number)s", number=number),
        )
    except ValidationError:  # an old version the current rules no longer accept
        db.session.rollback()
        flash(_("Version %(number)s no longer passes today's checks.", number=number), "danger")
        return redirect(url_for("editor.overview"))
    if new:
        audit.record(
            "program.rolled_back",
            object_type="program_version",
            object_id=str(new_number),
            detail=publication(
                before.number,
                before.document,
                old.document,
                version=new_number,
                copy_of=number,
                patients_moved=moved,
            ),
        )
        flash(
            _("Version %(new)s is a copy of version %(old)s.", new=new_number, old=number),
            "success",
        )
    else:
        flash(_("Version %(number)s is already what patients follow.", number=number), "info")
    db.session.commit()
    return redirect(url_for("editor.overview"))
