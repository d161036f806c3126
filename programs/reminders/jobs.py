"""The reminders' periodic jobs, registered with the platform's scheduler, and their metric."""

from __future__ import annotations

from pelvicoach.platform import metrics
from pelvicoach.platform.schedule import Periodic
from pelvicoach.platform.schedule import register as add
from pelvicoach.programs.reminders import models as _models  # noqa: F401 (tables)
from pelvicoach.programs.reminders.services import SENT, dispatch, nudge


def register() -> None:
    metrics.register(metrics.Counted(SENT, "Reminders and nudges e-mailed, by kind.", "kind"))
    add(Periodic("reminders-dispatch", dispatch, every=60, queue="default"))
    add(Periodic("reminders-nudge", nudge, every=3600))
