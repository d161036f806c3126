"""The caseload page's search, filter and sort, read from the address (a GET form, so a
filtered list can be bookmarked and shared with a colleague)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, Form, IntegerField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from pelvicoach.programs.enrolment.models import Phase
from pelvicoach.programs.monitoring.caseload import Alert, Filters, Sort

ALERTS = {
    Alert.RED_FLAG: _l("Red flag"),
    Alert.NO_IMPROVEMENT: _l("No improvement"),
    Alert.INACTIVE: _l("Inactive 14 days"),
    Alert.CONTROL: _l("Control still unsure"),
    Alert.DIARY: _l("Diary out of range"),
    Alert.MESSAGE: _l("Message waiting"),
}
# Why the 8-week rule raised its alert (programs/followup/rules.py).
NO_IMPROVEMENT_REASONS = {
    "severity_not_better": _l("severity not better by its minimal important change"),
    "pgi_not_improved": _l("she does not feel much better (PGI-I 3 or more)"),
}
PHASES = {
    Phase.INFORMATION: _l("Information"),
    Phase.AWARENESS: _l("Awareness"),
    Phase.INTAKE: _l("Intake"),
    Phase.TRAINING: _l("Training"),
    Phase.REFERRED: _l("Referred"),
}
SORTS = {
    Sort.ALERTS: _l("Alerts first"),
    Sort.NAME: _l("Name"),
    Sort.LAST_ACTIVE: _l("Longest inactive first"),
    Sort.ADHERENCE: _l("Fewest sets first"),
    Sort.SEVERITY: _l("Most severe first"),
}


def translated(labels: dict[str, Any]) -> dict[str, str]:
    """The labels in the reader's language, each looked up once for a page that shows them in
    every row (a lazy text is translated again each time it is shown)."""
    return {key: str(label) for key, label in labels.items()}


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


class CaseloadForm(Form):
    q = SearchField(_l("Name or pseudonym"), validators=[Optional(), Length(max=80)])
    alert = SelectField(
        _l("Alert"),
        choices=_choices({"": _l("All patients"), "any": _l("Any alert"), **ALERTS}),
        default="",
    )
    phase = SelectField(_l("Step"), choices=_choices({"": _l("Every step"), **PHASES}), default="")
    sort = SelectField(_l("Order"), choices=_choices(SORTS), default=Sort.ALERTS.value)
    mine = BooleanField(_l("Only my patients"))
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100_000)], default=1)


def read(args: MultiDict) -> tuple[CaseloadForm, Filters]:
    """The form as filled in, and the filters it gives (the defaults where it is wrong)."""
    form = CaseloadForm(args)
    if not form.validate():
        return form, Filters()
    alert = form.alert.data or ""
    return form, Filters(
        search=form.q.data or "",
        alert=Alert(alert) if alert in set(Alert) else None,
        any_alert=alert == "any",
        phase=Phase(form.phase.data) if form.phase.data else None,
        mine=form.mine.data,
        sort=Sort(form.sort.data),
        page=form.page.data or 1,
    )
