"""API shapes for enrolment."""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from pelvicoach.programs.enrolment.models import Cohort


class EnrolmentSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    cohort = fields.String(
        load_default=Cohort.POSTPARTUM.value, validate=validate.OneOf([c.value for c in Cohort])
    )
    birth_year = fields.Integer(required=True, validate=validate.Range(min=1930, max=2015))
    delivery_date = fields.Date(load_default=None, allow_none=True)
    clinician_email = fields.Email(load_default=None, allow_none=True)

    @validates_schema
    def _delivery_not_in_future(self, data: dict, **_kwargs: object) -> None:
        if data.get("delivery_date") and data["delivery_date"] > date.today():
            raise ValidationError("Must not be in the future.", "delivery_date")


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
