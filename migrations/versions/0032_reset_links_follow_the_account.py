"""a password-reset link keeps the account's session token it was made under: a new password,
a deactivation or signing out everywhere spends every link sent before (links already out,
without one, stop working: they last an hour at most)

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-29 07:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("password_reset_tokens") as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("password_reset_tokens") as batch_op:
        batch_op.drop_column("session_token")
