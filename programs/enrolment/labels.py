"""Her group in words, as the desk offers it and her clinician reads it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from pelvicoach.programs.enrolment.models import Cohort

COHORTS = {Cohort.POSTPARTUM: _l("Gave birth"), Cohort.MENOPAUSE: _l("Around the menopause")}
