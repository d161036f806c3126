"""caseload alerts: diary ends and flags, alerts resolved by a clinician

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 03:55:41.906001

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bladder_diaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("out_of_range", sa.String(length=120), server_default="", nullable=False)
        )
    # Diaries kept before: their end from their start. (Their flags fill in at the next entry.)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE bladder_diaries SET ends_on = date(starts_on, '+' || days || ' days')")
    else:
        op.execute("UPDATE bladder_diaries SET ends_on = starts_on + days")
    with op.batch_alter_table("bladder_diaries", schema=None) as batch_op:
        batch_op.alter_column("ends_on", existing_type=sa.Date(), nullable=False)

    with op.batch_alter_table("care_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_care_alerts_resolved_by_users"),
            "users",
            ["resolved_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("care_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_care_alerts_resolved_by_users"), type_="foreignkey")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolved_at")

    with op.batch_alter_table("bladder_diaries", schema=None) as batch_op:
        batch_op.drop_column("out_of_range")
        batch_op.drop_column("ends_on")
