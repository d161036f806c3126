"""report min group: the smallest group a tenant's report shows (k of small-cell suppression)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27 09:46:20.037222

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_min_group", sa.Integer(), server_default="10", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("report_min_group")
