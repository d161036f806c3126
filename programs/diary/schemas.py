"""One diary entry as she fills it in: a time on one of the diary's days, and what the kind of
entry asks (a drink's amount, a leak's amount and activity, ...)."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from pelvicoach.programs.diary.models import DrinkKind, EntryKind, LeakActivity, LeakAmount

# What each kind of entry needs besides its time.
REQUIRED = {
    EntryKind.DRINK: ("millilitres", "drink"),
    EntryKind.LEAK: ("leak_amount", "activity"),
}
ALLOWED = {
    EntryKind.DRINK: {"millilitres", "drink"},
    EntryKind.VOID: {"millilitres", "urgency"},
    EntryKind.LEAK: {"leak_amount", "activity", "urgency"},
}


def _blank_is_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: (None if value == "" else value) for key, value in data.items()}


class EntrySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # the CSRF token rides along

    client_id = fields.UUID(required=True)
    day = fields.Date(required=True)
    time = fields.Time(required=True)
    millilitres = fields.Integer(allow_none=True, validate=validate.Range(10, 2500))
    drink = fields.Enum(DrinkKind, by_value=True, allow_none=True)
    urgency = fields.Integer(allow_none=True, validate=validate.Range(0, 4))
    leak_amount = fields.Enum(LeakAmount, by_value=True, allow_none=True)
    activity = fields.Enum(LeakActivity, by_value=True, allow_none=True)

    def __init__(self, kind: EntryKind, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    def load_form(self, form: dict[str, Any]) -> dict[str, Any]:
        return self.load(_blank_is_none(form))

    @validates_schema
    def _complete_for_the_kind(self, data: dict[str, Any], **_: Any) -> None:
        missing = [name for name in REQUIRED.get(self.kind, ()) if data.get(name) is None]
        if missing:
            raise ValidationError({name: ["Fill this in."] for name in missing})

    @post_load
    def _only_what_the_kind_asks(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        asked = ALLOWED.get(self.kind, set()) | {"client_id", "day", "time"}
        return {name: value for name, value in data.items() if name in asked}
