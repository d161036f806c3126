"""Care providers near her, from her tenant's directory."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her
from pelvicoach.tenants.care_providers import ProviderKind, UnknownPostcodeError, nearest
from pelvicoach.tenants.postcodes import CREDIT


@bp.app_template_global("provider_kind_label")
def kind_label(kind: str) -> str:
    return {
        ProviderKind.GP: _("GP practice"),
        ProviderKind.PELVIC_PHYSIO: _("Pelvic physiotherapist"),
        ProviderKind.EXERCISE_THERAPIST: _("Exercise therapist"),
        ProviderKind.GYNAECOLOGIST: _("Gynaecologist"),
        ProviderKind.UROLOGIST: _("Urologist"),
    }[ProviderKind(kind)]


@bp.get("/care")
@require_role(Role.PATIENT)
def care_providers():
    her()  # only her tenant's patients
    postcode = (request.args.get("postcode") or "").strip()[:10]
    wanted = request.args.get("kind", "")
    kinds = (ProviderKind(wanted),) if wanted in set(ProviderKind) else ()
    centre, found, error = None, [], None
    if postcode:
        try:
            centre, found = nearest(require_tenant().id, postcode, kinds)
        except UnknownPostcodeError:
            error = True
    return render_template(
        "portal/care.html",
        postcode=postcode,
        kind=kinds[0].value if kinds else "",
        kinds=list(ProviderKind),
        centre=centre,
        found=found,
        error=error,
        credit=CREDIT,
    ), (400 if error else 200)
