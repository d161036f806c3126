"""The operator's benchmark page: each tenant's rates against the median of its peers, never a
woman and never a count. It belongs to the platform's host; a tenant's site does not have it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.operator import platform_only
from pelvicoach.reporting import benchmark
from pelvicoach.reporting.population import RECENT_WEEKS

bp = Blueprint("benchmark", __name__, template_folder="templates", url_prefix="/operator/benchmark")
bp.before_request(platform_only)

# Each rate's name and the women it is a share of.
LABELS = {
    "intake": (_l("Finished the intake"), _l("of all invited")),
    "training": (_l("Exercise therapy opened"), _l("of those who finished the intake")),
    "plan": (
        _l("Did her plan's sets"),
        _l("of those in exercise therapy, over the last %(n)s weeks", n=RECENT_WEEKS),
    ),
    "pgi_8": (_l("Much better at week 8 (PGI-I 1-2)"), _l("of those who answered")),
    "answered_8": (_l("Answered the week-8 check-in"), _l("of those whose week 8 came")),
    "referred": (_l("Referred to care"), _l("Per 100 women")),
}


@bp.get("/")
@require_role(Role.OPERATOR)
def page():
    rows = benchmark.read(datetime.now(UTC))
    db.session.commit()  # the audit event of this reading
    return render_template(
        "reporting/benchmark.html",
        rows=rows,
        metrics=benchmark.METRICS,
        labels=LABELS,
        min_peers=benchmark.MIN_PEERS,
    )
