"""API shapes for enrolment."""

from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from pelvicoach.platform.i18n import N_
from pelvicoach.programs.enrolment.models import Cohort

# An expected delivery date lies at most this far ahead (a pregnancy lasts about 40 weeks).
EXPECTED_WITHIN = timedelta(days=300)
MIN_BIRTH_YEAR, MAX_BIRTH_YEAR = 1930, 2015


class EnrolmentSchema(Schema):
    """One woman to enrol; the desk, the API and the bulk import all check her with this."""

    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        error_messages={"invalid": N_("Not a valid e-mail address.")},
    )
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=120, error=N_("At most 120 characters."))
    )
    cohort = fields.String(
        load_default=Cohort.POSTPARTUM.value,
        validate=validate.OneOf(
            [c.value for c in Cohort], error=N_("Choose postpartum or menopause.")
        ),
    )
    birth_year = fields.Integer(
        required=True,
        validate=validate.Range(
            min=MIN_BIRTH_YEAR,
            max=MAX_BIRTH_YEAR,
            error=N_("Must be a year from 1930 to 2015."),
        ),
        error_messages={"invalid": N_("Not a year.")},
    )
    delivery_date = fields.Date(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": N_("Not a date.")},
        metadata={"description": "The day she gave birth, or the day it is expected."},
    )
    clinician_email = fields.Email(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": N_("Not a valid e-mail address.")},
    )

    @validates_schema
    def _possible_delivery_date(self, data: dict, **_kwargs: object) -> None:
        delivered = data.get("delivery_date")
        if delivered is None:
            return
        if delivered > date.today() + EXPECTED_WITHIN:
            raise ValidationError(
                N_("More than 10 months ahead: that cannot be a delivery date."),
                "delivery_date",
            )
        if data.get("birth_year") and delivered.year < data["birth_year"] + 12:
            raise ValidationError(N_("That is before she was 12 years old."), "delivery_date")


class EnrolledSchema(Schema):
    pseudonym = fields.String(dump_only=True)
    phase = fields.String(dump_only=True)
    cohort = fields.String(dump_only=True)


MAX_BATCH = 1000


class BatchSchema(Schema):
    """Up to 1,000 enrolments in one call; each is checked and answered on its own."""

    enrolments = fields.List(
        fields.Dict(), required=True, validate=validate.Length(min=1, max=MAX_BATCH)
    )


class BatchItemSchema(Schema):
    index = fields.Integer(dump_only=True)
    status = fields.Integer(dump_only=True, metadata={"description": "201, 409 or 422"})
    pseudonym = fields.String(dump_only=True)
    phase = fields.String(dump_only=True)
    errors = fields.Dict(dump_only=True)


class BatchResultSchema(Schema):
    created = fields.Integer(dump_only=True)
    failed = fields.Integer(dump_only=True)
    results = fields.List(fields.Nested(BatchItemSchema), dump_only=True)
