"""the tenant binding's check in PL/pgSQL: the same answer as migration 0003's SQL function, but
PL/pgSQL keeps its plan for the session, where a SQL function that cannot be inlined (it is a
SECURITY DEFINER) was planned again at every call, and every policy of every table a statement
reads makes one: her home page's statement took 7 ms instead of 0.8 under row-level security
(tests/perf/bench_pages.py)

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-27 23:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# NULL unless `app.tenant` holds a context and its MAC, over that context and this backend's
# process id, keyed by what `db upgrade` stores from the app's secret key; then the tenant's
# id, or 0 for the platform.
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
  IF binding IS NULL OR binding !~ '^(platform|[1-9][0-9]{0,17}):[0-9a-f]{64}$' THEN
    RETURN NULL;
  END IF;
  context := split_part(binding, ':', 1);
  SELECT outer_key, inner_key INTO key FROM pelvicoach_private.binding_key WHERE id = 1;
  IF NOT FOUND OR split_part(binding, ':', 2) IS DISTINCT FROM encode(sha256(key.outer_key
      || sha256(key.inner_key || convert_to(context || ':' || pg_backend_pid(), 'UTF8'))), 'hex')
  THEN
    RETURN NULL;
  END IF;
  RETURN CASE context WHEN 'platform' THEN 0 ELSE context::bigint END;
END
$$
"""
SQL = """
CREATE OR REPLACE FUNCTION pelvicoach_tenant() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE split_part(s.value, ':', 1) WHEN 'platform' THEN 0
              ELSE split_part(s.value, ':', 1)::bigint END
  FROM (SELECT current_setting('app.tenant', true) AS value) s
  CROSS JOIN pelvicoach_private.binding_key k
  WHERE s.value ~ '^(platform|[1-9][0-9]{0,17}):[0-9a-f]{64}$'
    AND split_part(s.value, ':', 2) = encode(sha256(k.outer_key || sha256(k.inner_key
        || convert_to(split_part(s.value, ':', 1) || ':' || pg_backend_pid(), 'UTF8'))), 'hex')
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLPGSQL)  # its grants stay: only the body is replaced


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SQL)
