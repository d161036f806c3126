"""A logged session as it arrives: from the form after a guided set, or replayed as JSON from
her phone's offline queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from pelvicoach.programs.training.models import Completion, Effort

OFFLINE_DAYS = 14  # how old a queued log may be when it finally arrives
CLOCK_SKEW = timedelta(minutes=10)


class SessionLogSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # the CSRF token and the button pressed ride along

    client_id = fields.UUID(required=True)
    performed_at = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    level = fields.Integer(required=True, validate=validate.Range(1, 30))
    completion = fields.Enum(Completion, by_value=True, load_default=Completion.FULLY)
    effort = fields.Enum(Effort, by_value=True, required=True)
    leaked = fields.Boolean(load_default=False)

    @validates("performed_at")
    def _recent(self, value: datetime | None, **_: Any) -> None:
        if value is None:
            return
        now = datetime.now(UTC)
        if value > now + CLOCK_SKEW:
            raise ValidationError("This time is in the future.")
        if value < now - timedelta(days=OFFLINE_DAYS):
            raise ValidationError(f"Sessions older than {OFFLINE_DAYS} days cannot be logged.")
