"""Intake answers for tests that walk the intake: a postpartum woman with stress leakage and
clear control, and changes on top."""

from __future__ import annotations

from datetime import date, timedelta

from pelvicoach.programs.configuration.services import version_for
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.intake import services as intakes
from pelvicoach.programs.intake.models import Intake

CLEAR = {"control_feel": "clearly", "control_relax": "yes", "control_hold": "yes"}
STRESS = {
    "leaked": "yes",
    "leak_when": ["activity"],
    "leak_most": "activity",
    "isi_frequency": "weekly",
    "isi_amount": "drops",
}
URGE = {"leak_when": ["urge"], "leak_most": "urge"}


def postpartum(weeks: int, today: date | None = None, **changes) -> dict:
    return {
        "delivery_date": ((today or date.today()) - timedelta(weeks=weeks)).isoformat(),
        "delivery_kind": "vaginal",
        "tear_grade": "minor",
        "red_flags": ["none"],
        **STRESS,
        **CLEAR,
        **changes,
    }


def complete_intake(her: Patient, answers: dict) -> Intake:
    """Her intake answered question by question and completed today, in the caller's tenant
    context (the outcome's rules run as on her screens)."""
    program = version_for(her)
    for key, value in answers.items():
        intakes.answer(her, program, key, value, date.today())
    return intakes.complete(her, program, intakes.draft(her), date.today())
