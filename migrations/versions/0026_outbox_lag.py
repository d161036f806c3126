"""outbox lag: the age of the oldest job not done yet, across tenants, for the metrics a web
process serves (its role sees one tenant at a time; the owner's function answers one number)

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-27 18:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# As pelvicoach_outbox_backlog (migration 0003): the caller's setting is put back before returning.
LAG_FUNCTION = """
CREATE OR REPLACE FUNCTION pelvicoach_outbox_lag() RETURNS double precision
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  before text := coalesce(current_setting('app.cross_tenant', true), 'off');
  oldest timestamptz;
BEGIN
  PERFORM set_config('app.cross_tenant', 'on', true);
  SELECT min(created_at) INTO oldest FROM outbox_jobs WHERE done_at IS NULL;
  PERFORM set_config('app.cross_tenant', before, true);
  RETURN coalesce(greatest(extract(epoch FROM now() - oldest), 0), 0);
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(LAG_FUNCTION)
        op.execute("REVOKE ALL ON FUNCTION pelvicoach_outbox_lag() FROM PUBLIC")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS pelvicoach_outbox_lag()")
