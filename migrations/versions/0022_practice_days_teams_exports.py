"""practice days, teams and report exports: a daily rollup of sets per woman, kept by a trigger
on the session log, for the report's adherence figures; a clinician's team, for the report's
filter by team; downloads of the report, built by a job

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27 10:45:02.108199

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# One statement per INSERT statement, whatever its number of rows (a seed's executemany or the
# portal's single set): the new rows arrive as a transition table and are counted per day.
PG_FUNCTION = """
CREATE FUNCTION pelvicoach_practice_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO practice_days (tenant_id, patient_id, day, sets)
      SELECT tenant_id, patient_id, day, count(*) FROM new_sets GROUP BY 1, 2, 3
      ON CONFLICT (tenant_id, patient_id, day)
      DO UPDATE SET sets = practice_days.sets + EXCLUDED.sets;
  ELSE
    UPDATE practice_days p SET sets = p.sets - gone.n
      FROM (SELECT tenant_id, patient_id, day, count(*) AS n FROM old_sets GROUP BY 1, 2, 3) gone
      WHERE p.tenant_id = gone.tenant_id AND p.patient_id = gone.patient_id AND p.day = gone.day;
    DELETE FROM practice_days WHERE sets <= 0;
  END IF;
  RETURN NULL;
END $$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER practice_days_insert AFTER INSERT ON exercise_sessions"
    " REFERENCING NEW TABLE AS new_sets FOR EACH STATEMENT"
    " EXECUTE FUNCTION pelvicoach_practice_days()",
    "CREATE TRIGGER practice_days_delete AFTER DELETE ON exercise_sessions"
    " REFERENCING OLD TABLE AS old_sets FOR EACH STATEMENT"
    " EXECUTE FUNCTION pelvicoach_practice_days()",
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER practice_days_insert AFTER INSERT ON exercise_sessions BEGIN
  INSERT INTO practice_days (tenant_id, patient_id, day, sets)
    VALUES (NEW.tenant_id, NEW.patient_id, NEW.day, 1)
    ON CONFLICT (tenant_id, patient_id, day) DO UPDATE SET sets = sets + 1;
END""",
    """CREATE TRIGGER practice_days_delete AFTER DELETE ON exercise_sessions BEGIN
  UPDATE practice_days SET sets = sets - 1
    WHERE tenant_id = OLD.tenant_id AND patient_id = OLD.patient_id AND day = OLD.day;
  DELETE FROM practice_days WHERE tenant_id = OLD.tenant_id AND patient_id = OLD.patient_id
    AND day = OLD.day AND sets <= 0;
END""",
)


def upgrade():
    op.create_table(
        "practice_days",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "patient_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_practice_days_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_practice_days_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "patient_id", "day", name=op.f("pk_practice_days")),
    )
    for table in ("staff_profiles", "staff_invitations"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("team", sa.String(length=60), server_default="", nullable=False)
            )
    op.create_table(
        "report_exports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column(
            "format",
            sa.Enum(
                "csv",
                "xlsx",
                "pdf",
                name="export_format",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("filter", sa.String(length=100), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="export_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_report_exports_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_report_exports_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_exports")),
    )
    with op.batch_alter_table("report_exports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_exports_tenant_id_created_at", ["tenant_id", "created_at"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for trigger in PG_TRIGGERS:
            op.execute(trigger)
        # The sets logged so far, across tenants (the owner's cross-tenant policy).
        op.execute("SELECT set_config('app.cross_tenant', 'on', true)")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    op.execute(
        "INSERT INTO practice_days (tenant_id, patient_id, day, sets)"
        " SELECT tenant_id, patient_id, day, count(*) FROM exercise_sessions GROUP BY 1, 2, 3"
    )


def downgrade():
    with op.batch_alter_table("report_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_report_exports_tenant_id_created_at")
    op.drop_table("report_exports")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER practice_days_insert ON exercise_sessions")
        op.execute("DROP TRIGGER practice_days_delete ON exercise_sessions")
        op.execute("DROP FUNCTION pelvicoach_practice_days()")
    else:
        op.execute("DROP TRIGGER practice_days_insert")
        op.execute("DROP TRIGGER practice_days_delete")
    for table in ("staff_profiles", "staff_invitations"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("team")
    op.drop_table("practice_days")
