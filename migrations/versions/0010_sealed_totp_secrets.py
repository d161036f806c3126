"""authenticator secrets encrypted at rest: room for the sealed value

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 16:40:00

Existing plain secrets stay readable; `pelvicoach rotate-totp-keys` seals them (README,
"Rotating the TOTP key").
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )


def downgrade():
    # Sealed values neither fit nor mean anything to the older code: those accounts set up
    # their authenticator again at their next sign-in.
    op.execute("UPDATE users SET totp_secret = NULL WHERE length(totp_secret) > 64")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
