"""The report page for a tenant's admins and analysts: counts of women, never a woman."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Form, IntegerField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.reporting import bp, figures, labels, services
from pelvicoach.reporting.report import EVERYONE, Dim, Report, Setting
from pelvicoach.tenants.models import REPORT_FLOOR
from pelvicoach.tenants.services import change_setting


class FilterForm(Form):
    show = SelectField(_l("Women"), validators=[Optional()], default="")


class MinGroupForm(FlaskForm):
    size = IntegerField(
        _l("Smallest group shown"),
        validators=[DataRequired(), NumberRange(REPORT_FLOOR, 100)],
    )


def filter_form(args: MultiDict, options: dict[Dim, list[str]]) -> tuple[FilterForm, Setting]:
    """One filter at a time (see report.py): the choice is a single select."""
    form = FilterForm(args)
    choices: dict[str, list[tuple[str, str]]] = {"": [("", _("All women"))]}
    for dim, values in options.items():
        choices[str(labels.DIMS[dim])] = [
            (f"{dim}:{v}", labels.value_label(dim, v)) for v in values
        ]
    form.show.choices = choices
    if not form.validate() or not form.show.data:
        return form, EVERYONE
    return form, Setting.parse(form.show.data)


@bp.get("/")
@require_role(Role.ADMIN, Role.ANALYST)
def report():
    return _page()


@bp.post("/smallest-group")
@require_role(Role.ADMIN)
def smallest_group():
    """The tenant's k: raising it hides more; the floor keeps any tenant from going below 5."""
    form = MinGroupForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    change_setting(
        require_tenant().id, "report_min_group", form.size.data, "report.min_group_changed"
    )
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("reports.report"))


def _page(size_form: MinGroupForm | None = None, status: int = 200):
    tenant = require_tenant()
    shown = services.published(tenant)
    form, setting = filter_form(request.args, shown.options)
    result: Report = shown.report(setting)
    audit.record(
        "report.view",
        object_type="report",
        detail={"filter": form.show.data or "all"},
    )
    db.session.commit()
    if size_form is None:
        size_form = MinGroupForm(formdata=None, size=tenant.report_min_group)
    return render_template(
        "reporting/report.html",
        form=form,
        size_form=size_form,
        **figures.body(result),
    ), (400 if form.errors else status)
