"""The program document through the API, for tenants that keep their configuration as code."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class ProgramDocumentSchema(Schema):
    version = fields.Integer(dump_only=True, metadata={"description": "0: the default program"})
    changes = fields.Dict(
        dump_only=True,
        metadata={"description": "The tenant's changes to the platform's default program."},
    )
    document = fields.Dict(dump_only=True, metadata={"description": "The program as published."})


class ProgramChangeSchema(Schema):
    """A new version: the default program with `changes` laid over it (tables merge key by key,
    modules, levels, questions and options by their key)."""

    class Meta:
        unknown = RAISE

    changes = fields.Dict(required=True, keys=fields.String())
    note = fields.String(load_default="", validate=validate.Length(max=200))
    move_patients = fields.String(
        load_default="later",
        validate=validate.OneOf(["later", "now"]),
        metadata={"description": "later: each patient moves when her next step starts"},
    )


class PublishedSchema(Schema):
    version = fields.Integer(dump_only=True)
    new = fields.Boolean(dump_only=True, metadata={"description": "false: nothing differed"})
    patients_moved = fields.Integer(dump_only=True)
