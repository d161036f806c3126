"""The reminders' periodic jobs, registered with the platform's scheduler."""

from __future__ import annotations

from pelvicoach.platform.schedule import Periodic
from pelvicoach.platform.schedule import register as add
from pelvicoach.programs.reminders import models as _models  # noqa: F401 (tables)
from pelvicoach.programs.reminders.services import dispatch, nudge


def register() -> None:
    add(Periodic("reminders-dispatch", dispatch, every=60, queue="default"))
    add(Periodic("reminders-nudge", nudge, every=3600))
