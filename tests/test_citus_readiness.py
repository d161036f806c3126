"""Citus readiness, read from the catalogue of the migrated test database: every tenant table's
primary key and unique constraints include tenant_id, and so do its foreign keys to other tenant
tables, or the exception is listed with its reason in docs/scaling.md ("Citus readiness"). The
list there must be exactly what the catalogue holds: a new exception fails, and so does one
that was mended but is still listed."""

from __future__ import annotations

import re

from conftest import REPO
from sqlalchemy import text

# Constraints (primary key, unique, foreign key to a tenant table) of tenant tables (partitions
# aside: they carry their parent's) without tenant_id among their columns.
WITHOUT_TENANT = text(
    """
    WITH tenant_tables AS (
      SELECT c.oid FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    )
    SELECT con.conrelid::regclass::text, con.conname
    FROM pg_constraint con
    WHERE con.conrelid IN (SELECT oid FROM tenant_tables)
      AND con.contype IN ('p', 'u', 'f')
      AND (con.contype <> 'f' OR con.confrelid IN (SELECT oid FROM tenant_tables))
      AND NOT EXISTS (
        SELECT 1 FROM unnest(con.conkey) AS k(attnum)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
        WHERE a.attname = 'tenant_id'
      )
    """
)
ROW = re.compile(r"^\| (\w+) \| (\w+) \| ([A-Z]) \|$", re.M)


def documented() -> dict[tuple[str, str], str]:
    page = (REPO / "docs" / "scaling.md").read_text()
    legend, _, listed = page.partition("<!-- citus-exceptions -->")
    listed = listed.partition("<!-- /citus-exceptions -->")[0]
    reasons = set(re.findall(r"^- \*\*([A-Z])\*\* ", legend, re.M))
    found = {(table, name): reason for table, name, reason in ROW.findall(listed)}
    assert found, "docs/scaling.md lists no exceptions between the markers"
    assert set(found.values()) <= reasons, "an exception's reason letter is not explained"
    return found


def test_every_tenant_key_includes_tenant_id_or_says_why(owner_engine, db):
    with owner_engine.connect() as connection:
        held = set(connection.execute(WITHOUT_TENANT).all())
    listed = set(documented())
    assert held - listed == set(), "say why in docs/scaling.md, or add tenant_id to the key"
    assert listed - held == set(), "mended: take these off the list in docs/scaling.md"
