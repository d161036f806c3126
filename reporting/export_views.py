"""Downloads of the report for its admins and analysts: ask, watch the job, fetch the file
while its link lasts. Every step is audited."""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.reporting import bp, exports, services
from pelvicoach.reporting.models import ExportFormat, ExportState, ReportExport
from pelvicoach.reporting.views import filter_form

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}


def _export(export_id: int) -> ReportExport:
    row = db.session.get(ReportExport, export_id)
    if row is None or row.tenant_id != require_tenant().id:
        abort(404)
    return row


@bp.post("/exports")
@require_role(Role.ADMIN, Role.ANALYST)
def export():
    """The page's download buttons: the format, and the filter the page shows."""
    tenant = require_tenant()
    fmt = request.form.get("format", "")
    form, setting = filter_form(
        MultiDict({"show": request.form.get("show", "")}), services.published(tenant).options
    )
    if fmt not in set(ExportFormat) or form.errors:
        flash(_("Choose a format and a filter the page offers."), "danger")
        return redirect(url_for("reports.report"))
    row = exports.ask_for(
        tenant.id, current_user.id, ExportFormat(fmt), str(setting), str(get_locale())
    )
    audit.record(
        "report.export_requested",
        object_type="report_export",
        object_id=str(row.id),
        detail={"format": fmt, "filter": str(setting) or "all"},
    )
    db.session.commit()
    return redirect(url_for("reports.export_page", export_id=row.id))


@bp.get("/exports/<int:export_id>")
@require_role(Role.ADMIN, Role.ANALYST)
def export_page(export_id: int):
    row = _export(export_id)
    return render_template(
        "reporting/export.html", row=row, expired=exports.expired(row), states=ExportState
    )


@bp.get("/exports/<int:export_id>/progress")
@require_role(Role.ADMIN, Role.ANALYST)
def export_progress(export_id: int):
    row = _export(export_id)
    return jsonify(state=row.state.value, progress=row.progress, total=100)


@bp.get("/exports/<int:export_id>/file")
@require_role(Role.ADMIN, Role.ANALYST)
def export_file(export_id: int) -> Response:
    row = _export(export_id)
    if row.state != ExportState.DONE:
        abort(404)
    if exports.expired(row) or row.content is None:
        abort(410)
    audit.record(
        "report.exported",
        object_type="report_export",
        object_id=str(row.id),
        detail={"format": row.format.value, "filter": row.filter or "all"},
    )
    db.session.commit()
    response = Response(row.content, content_type=MEDIA_TYPES[row.format])
    name = f"report-{require_tenant().slug}-{row.created_at:%Y-%m-%d}-{row.id}.{row.format.value}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
