"""API shapes for tenant settings and keys."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class TenantSchema(Schema):
    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)


class KeyInfoSchema(Schema):
    name = fields.String(dump_only=True)
    scopes = fields.List(fields.String(), dump_only=True)
    tenant = fields.Nested(TenantSchema, dump_only=True)


class ProgramSettingsSchema(Schema):
    brand_color = fields.String(
        validate=[validate.Regexp(r"^#[0-9a-fA-F]{6}$"), validate.Length(equal=7)]
    )
    clinicians_see_all_patients = fields.Boolean()
