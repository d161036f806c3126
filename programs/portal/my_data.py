"""Her data, all of it: a page to read and a JSON file to take elsewhere (AVG/GDPR articles 15
and 20)."""

from __future__ import annotations

import json

from flask import Response, render_template

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.programs.enrolment import rights
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her


@bp.get("/my-data")
@require_role(Role.PATIENT)
def my_data():
    patient = her().patient
    return render_template("portal/my_data.html", data=rights.export(patient))


@bp.get("/my-data.json")
@require_role(Role.PATIENT)
def my_data_json() -> Response:
    patient = her().patient
    document = json.dumps(rights.export(patient), ensure_ascii=False, indent=2)
    audit.record("patient.data_exported", object_type="patient", object_id=patient.pseudonym)
    db.session.commit()
    response = Response(document, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response
