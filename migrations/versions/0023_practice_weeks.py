"""practice weeks: the weeks since enrolment (the first twelve) in which she logged a set, as bits
per woman, kept by triggers on practice_days, for the report's retention curve; an index that
reads a tenant's last four weeks of practice days as one range

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-27 14:43:57.740025

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

DAYS = 84  # the retention curve's twelve weeks (reporting.population.CURVE_WEEKS)

# Days since she enrolled, counted in her tenant's time zone as the report counts them (the demo
# on SQLite keeps and reports UTC); `d` is a set of practice days.
SINCE = {
    "postgresql": "d.day - timezone(t.time_zone, p.enrolled_at)::date",
    "sqlite": "CAST(julianday(d.day) - julianday(date(p.enrolled_at)) AS INTEGER)",
}
JOINS = {
    "postgresql": "JOIN patients p ON p.id = d.patient_id JOIN tenants t ON t.id = d.tenant_id",
    "sqlite": "JOIN patients p ON p.id = d.patient_id",
}


def week_bits(dialect: str, days: str, where: str = "TRUE") -> str:
    """Each woman's week bits over the practice days `days` (a table or transition table)."""
    return (
        f"SELECT tenant_id, patient_id, sum(bit) AS weeks FROM (SELECT DISTINCT d.tenant_id,"  # noqa: S608
        f" d.patient_id, 1 << (({SINCE[dialect]}) / 7) AS bit FROM {days} d {JOINS[dialect]}"
        f" WHERE {where} AND {SINCE[dialect]} BETWEEN 0 AND {DAYS - 1}) b GROUP BY 1, 2"
    )


# A day she practised adds its week; a day gone (its last set deleted) has her weeks counted
# again from the days she has left.
PG_FUNCTION = f"""
CREATE FUNCTION pelvicoach_practice_weeks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO practice_weeks (tenant_id, patient_id, weeks)
      {week_bits("postgresql", "new_days")}
      ON CONFLICT (tenant_id, patient_id)
      DO UPDATE SET weeks = practice_weeks.weeks | EXCLUDED.weeks;
  ELSE
    UPDATE practice_weeks w SET weeks = coalesce(left_.weeks, 0)
      FROM (SELECT DISTINCT tenant_id, patient_id FROM old_days) gone
      LEFT JOIN ({
    week_bits(
        "postgresql",
        "practice_days",
        "(d.tenant_id, d.patient_id) IN (SELECT tenant_id, patient_id FROM old_days)",
    )
}) left_
        ON left_.tenant_id = gone.tenant_id AND left_.patient_id = gone.patient_id
      WHERE w.tenant_id = gone.tenant_id AND w.patient_id = gone.patient_id;
  END IF;
  RETURN NULL;
END $$
"""  # noqa: S608
PG_TRIGGERS = (
    "CREATE TRIGGER practice_weeks_insert AFTER INSERT ON practice_days"
    " REFERENCING NEW TABLE AS new_days FOR EACH STATEMENT"
    " EXECUTE FUNCTION pelvicoach_practice_weeks()",
    "CREATE TRIGGER practice_weeks_delete AFTER DELETE ON practice_days"
    " REFERENCING OLD TABLE AS old_days FOR EACH STATEMENT"
    " EXECUTE FUNCTION pelvicoach_practice_weeks()",
)
SQLITE_DAY = """SELECT NEW.tenant_id AS tenant_id, NEW.patient_id AS patient_id,
      NEW.day AS day"""
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER practice_weeks_insert AFTER INSERT ON practice_days BEGIN
  INSERT INTO practice_weeks (tenant_id, patient_id, weeks)
    {week_bits("sqlite", f"({SQLITE_DAY})")}
    ON CONFLICT (tenant_id, patient_id) DO UPDATE SET weeks = weeks | excluded.weeks;
END""",
    f"""CREATE TRIGGER practice_weeks_delete AFTER DELETE ON practice_days BEGIN
  UPDATE practice_weeks SET weeks = coalesce((SELECT weeks FROM ({
        week_bits(
            "sqlite",
            "practice_days",
            "d.tenant_id = OLD.tenant_id AND d.patient_id = OLD.patient_id",
        )
    })), 0)
    WHERE tenant_id = OLD.tenant_id AND patient_id = OLD.patient_id;
END""",  # noqa: S608
)


def upgrade():
    op.create_table(
        "practice_weeks",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "patient_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_practice_weeks_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_practice_weeks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "patient_id", name=op.f("pk_practice_weeks")),
    )
    # Not in batch mode: on SQLite that could rebuild the table and lose its triggers.
    op.create_index(
        "ix_practice_days_tenant_id_day",
        "practice_days",
        ["tenant_id", "day", "patient_id", "sets"],
        unique=False,
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for trigger in PG_TRIGGERS:
            op.execute(trigger)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    op.execute(
        "INSERT INTO practice_weeks (tenant_id, patient_id, weeks) "
        + week_bits(dialect, "practice_days")
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER practice_weeks_insert ON practice_days")
        op.execute("DROP TRIGGER practice_weeks_delete ON practice_days")
        op.execute("DROP FUNCTION pelvicoach_practice_weeks()")
    else:
        op.execute("DROP TRIGGER practice_weeks_insert")
        op.execute("DROP TRIGGER practice_weeks_delete")
    op.drop_index("ix_practice_days_tenant_id_day", table_name="practice_days")
    op.drop_table("practice_weeks")
