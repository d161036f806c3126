"""Enrolling many women from a CSV or XLSX file: upload, the check's preview (every row that
cannot be enrolled, and why), confirm or cancel, the live progress of the import, and the
error report to put the refused rows right."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, select
from wtforms import BooleanField
from wtforms.validators import DataRequired

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.inputs import accepts_uploads
from pelvicoach.platform.spreadsheets import UnreadableError, write_csv
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.programs.desk import bp
from pelvicoach.programs.enrolment.bulk import services
from pelvicoach.programs.enrolment.bulk.models import EnrolmentImport, ImportState, RefusedRow
from pelvicoach.programs.enrolment.bulk.rows import LABELS

PER_PAGE = 100
UPLOAD_SLACK = 64 * 1024  # the form around the file
STATES = {
    ImportState.CHECKING: _l("being checked"),
    ImportState.CHECKED: _l("waiting for you"),
    ImportState.REFUSED: _l("cannot be read"),
    ImportState.IMPORTING: _l("enrolling"),
    ImportState.DONE: _l("done"),
    ImportState.CANCELLED: _l("cancelled"),
}
EXAMPLE = [
    ["Anna de Vries", "anna@example.nl", "1994", "postpartum", "12-09-2026", ""],
    ["Fatima el Amrani", "fatima@example.nl", "1990", "postpartum", "2026-10-03", ""],
    ["Ingrid Bakker", "ingrid@example.nl", "1971", "menopauze", "", ""],
]


class UploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    # Shown ticked (see `import_page`); a post without it, ticked or not, sends nothing.
    invite = BooleanField(_l("Send each woman her invitation e-mail now"), default=False)


def _import(import_id: int) -> EnrolmentImport:
    row = db.session.get(EnrolmentImport, import_id)
    if row is None or row.tenant_id != require_tenant().id:
        abort(404)
    return row


def _list(tenant_id: int) -> list[EnrolmentImport]:
    return list(
        db.session.scalars(
            select(EnrolmentImport)
            .where(EnrolmentImport.tenant_id == tenant_id)
            .order_by(EnrolmentImport.created_at.desc())
            .limit(50)
        )
    )


@bp.route("/imports", methods=["GET", "POST"])
@require_role(Role.ENROLMENT, Role.CLINICIAN)
@accepts_uploads(200 * 1024 * 1024 + UPLOAD_SLACK)  # the largest PELVICOACH_IMPORT_MAX_MB
def imports():
    tenant = require_tenant()
    form = UploadForm()
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(limit + 1)
        if len(data) > limit:
            form.file.errors = [
                _("The file is larger than %(mb)d MB: split it.", mb=limit // (1024 * 1024))
            ]
        else:
            try:
                row = services.upload(
                    tenant.id, current_user.id, upload.filename or "", data, str(get_locale())
                )
            except UnreadableError as problem:
                form.file.errors = [str(problem)]
            else:
                audit.record(
                    "patients.import_uploaded",
                    object_type="enrolment_import",
                    object_id=str(row.id),
                    detail={"after": {"file": row.filename, "bytes": row.size}},
                )
                db.session.commit()
                return redirect(url_for("desk.import_page", import_id=row.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "desk/imports.html",
        form=form,
        imports=_list(tenant.id),
        states=STATES,
        labels=LABELS,
        max_mb=limit // (1024 * 1024),
    ), status


@bp.get("/imports/example.csv")
@require_role(Role.ENROLMENT, Role.CLINICIAN)
def example() -> Response:
    header = [
        _("name"),
        _("e-mail address"),
        _("year of birth"),
        _("group"),
        _("delivery date"),
        _("clinician"),
    ]
    response = Response(write_csv(header, EXAMPLE), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="enrolment-example.csv"'
    return response


@bp.get("/imports/<int:import_id>")
@require_role(Role.ENROLMENT, Role.CLINICIAN)
def import_page(import_id: int):
    row = _import(import_id)
    refused_count = db.session.scalar(
        select(func.count()).select_from(RefusedRow).where(RefusedRow.import_id == row.id)
    )
    pages = max(1, -(-refused_count // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    refused = db.session.execute(  # plain rows: the audit's commit must not reload them
        select(RefusedRow.row, RefusedRow.reason, RefusedRow.cells)
        .where(RefusedRow.tenant_id == row.tenant_id, RefusedRow.import_id == row.id)
        .order_by(RefusedRow.row)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    if refused:
        audit.record(
            "patients.import_rows_viewed",
            object_type="enrolment_import",
            object_id=str(row.id),
            detail={"page": page},
        )
        db.session.commit()
    return render_template(
        "desk/import.html",
        row=row,
        refused=refused,
        refused_count=refused_count,
        page=page,
        pages=pages,
        before=services.uploaded_before(row) if row.state == ImportState.CHECKED else None,
        confirm=ConfirmForm(formdata=None, invite=True),
        states=STATES,
    )


@bp.get("/imports/<int:import_id>/progress")
@require_role(Role.ENROLMENT, Role.CLINICIAN)
def import_progress(import_id: int):
    row = _import(import_id)
    return jsonify(
        state=row.state.value,
        label=str(STATES[row.state]),
        rows=row.rows,
        good=row.good,
        progress=row.progress,
        total=row.rows if row.state == ImportState.IMPORTING else 0,
        created=row.created,
    )


def _link_prefix() -> str:
    """Her link without its token, for the job that invites her after the request is gone."""
    marker = "TOKEN"
    return external_url("portal.first_visit", token=marker)[: -len(marker)]


@bp.post("/imports/<int:import_id>/<any(confirm, cancel):action>")
@require_role(Role.ENROLMENT, Role.CLINICIAN)
def import_action(import_id: int, action: str):
    row = _import(import_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if action == "confirm":
        moved = services.confirm(
            row, current_user.id, invite=form.invite.data, link_prefix=_link_prefix()
        )
    else:
        moved = services.cancel(row)
    if not moved:
        flash(_("This import has moved on already."), "info")
        return redirect(url_for("desk.import_page", import_id=row.id))
    audit.record(
        {"confirm": "patients.import_confirmed", "cancel": "patients.import_cancelled"}[action],
        object_type="enrolment_import",
        object_id=str(row.id),
        detail={"after": {"rows": row.good, "invite": row.invite}},
    )
    db.session.commit()
    if action == "cancel":
        flash(_("The import is cancelled and the file deleted."), "info")
        return redirect(url_for("desk.imports"))
    return redirect(url_for("desk.import_page", import_id=row.id))


@bp.get("/imports/<int:import_id>/report.csv")
@require_role(Role.ENROLMENT, Role.CLINICIAN)
def import_report(import_id: int) -> Response:
    """Every refused row with its reason and its cells as they were, to correct and upload
    again (the good rows are enrolled already and would be refused as such)."""
    row = _import(import_id)
    refused = db.session.scalars(
        select(RefusedRow)
        .where(RefusedRow.tenant_id == row.tenant_id, RefusedRow.import_id == row.id)
        .order_by(RefusedRow.row)
    )
    audit.record(
        "patients.import_report_downloaded",
        object_type="enrolment_import",
        object_id=str(row.id),
    )
    db.session.commit()
    header = [_("row"), _("reason"), *(row.header or [])]
    body = write_csv(header, ([item.row, item.reason, *item.cells] for item in refused))
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="import-{row.id}-errors.csv"'
    return response
