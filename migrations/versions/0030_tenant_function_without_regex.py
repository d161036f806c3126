"""the tenant binding's check without a regular expression: PostgreSQL's regex engine spent about
10 of the check's 18 microseconds matching the binding's form, and every policy of every table a
statement reads runs the check (eleven on her home page's statement). The MAC compared with the
whole binding checks its form as well: only a context the app signed, followed by its MAC, is
equal to it; a length bound keeps a long value from being hashed at all.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-28 04:20:00.000000

"""

from importlib import import_module

from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# NULL unless `app.tenant` is a context and its MAC, over that context and this backend's process
# id, keyed by what `db upgrade` stores from the app's secret key; then the tenant's id, or 0 for
# the platform. The context is cast only once its MAC holds, so only what the app signed ("platform"
# or a tenant's id, at most 18 digits) is ever cast.
PLPGSQL = """
CREATE OR REPLACE FUNCTION pelvicoach_tenant() RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  binding text := current_setting('app.tenant', true);
  context text;
  key record;
BEGIN
  IF binding IS NULL OR length(binding) > 83 THEN
    RETURN NULL;
  END IF;
  context := split_part(binding, ':', 1);
  SELECT outer_key, inner_key INTO key FROM pelvicoach_private.binding_key WHERE id = 1;
  IF NOT FOUND OR binding IS DISTINCT FROM context || ':' || encode(sha256(key.outer_key
      || sha256(key.inner_key || convert_to(context || ':' || pg_backend_pid(), 'UTF8'))), 'hex')
  THEN
    RETURN NULL;
  END IF;
  RETURN CASE context WHEN 'platform' THEN 0 ELSE context::bigint END;
END
$$
"""
# What downgrading restores: migration 0028's function.
PLPGSQL_BEFORE = import_module(
    "pelvicoach.migrations.versions.0028_tenant_function_plpgsql"
).PLPGSQL


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLPGSQL)  # its grants stay: only the body is replaced


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLPGSQL_BEFORE)
