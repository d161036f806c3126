"""Shapes of the reporting API: the published report as the page shows it, for BI tools.

Every table has the same shape (a key, its total and rows of category and count), so tables
and filters added to the report reach the API without a change here."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump

from pelvicoach.reporting.report import Dim, Row, Table

HIDDEN = (
    "null where the count is hidden: it is below k, or would let a hidden count be worked out"
    " from the totals or from another filter setting"
)


class ReportQuerySchema(Schema):
    """The query parameter, for the OpenAPI document; the view checks it against the values
    the tenant's report offers, which no static schema can list."""

    filter = fields.String(
        metadata={
            "description": "One filter at a time, as dimension:value (dimensions: "
            f"{', '.join(Dim)}); the values are listed under `options` by GET /api/v1/reports."
            " Without it: all women.",
            "example": "cohort:postpartum",
        }
    )


class ReportRowSchema(Schema):
    category = fields.String(
        required=True,
        metadata={
            "description": "The category's code as text (the funnel's are its stages: 0 invited,"
            " 1 account, 2 consent, 3 intake, 4 exercise therapy)"
        },
    )
    count = fields.Integer(required=True, allow_none=True, metadata={"description": HIDDEN})
    hidden = fields.Boolean(required=True, metadata={"description": "The count is suppressed."})

    @pre_dump
    def _say_hidden(self, row: Row, **_kwargs: Any) -> dict[str, Any]:
        """Hidden said in so many words, so a BI tool never reads a null as a zero."""
        return {"category": row.category, "count": row.count, "hidden": row.count is None}


class ReportTableSchema(Schema):
    key = fields.String(required=True)
    total = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": f"The women the table counts, its rows summed; {HIDDEN}."},
    )
    total_hidden = fields.Boolean(required=True)
    rows = fields.List(fields.Nested(ReportRowSchema), required=True)

    @pre_dump
    def _with_key(self, keyed: tuple[str, Table], **_kwargs: Any) -> dict[str, Any]:
        key, table = keyed
        return {
            "key": key,
            "total": table.total,
            "total_hidden": table.total is None,
            "rows": table.rows,
        }


class ReportFilterSchema(Schema):
    dimension = fields.String(required=True, attribute="dim")
    value = fields.String(required=True)


class _Answer(Schema):
    k = fields.Integer(
        required=True,
        metadata={"description": "The smallest group shown: no published count is below it."},
    )
    computed_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the figures were counted (they are kept a few minutes)."},
    )
    options = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Each filter dimension and the values it offers."},
    )


class ReportIndexSchema(_Answer):
    tables = fields.List(fields.String(), required=True)


class _Filtered(_Answer):
    filter = fields.Nested(
        ReportFilterSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The filter applied; null: all women."},
    )


class ReportSchema(_Filtered):
    tables = fields.List(fields.Nested(ReportTableSchema), required=True)


class ReportOneTableSchema(_Filtered):
    table = fields.Nested(ReportTableSchema, required=True)
