"""report facts: each woman's facts as the report counts them, a row per woman, recomputed for
the women that triggers mark stale (report_stale) when her rows change

Triggers on patients, consents, intakes, training_plans, reassessments, care_alerts, referrals
and reminder_sends: on SQLite, a later batch_alter_table of one of these rebuilds the table
without them (tests/reporting/test_facts.py checks they are all there).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-27 17:05:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# A woman's rows, by the column that names her.
SOURCES = {
    "consents": "patient_id",
    "intakes": "patient_id",
    "training_plans": "patient_id",
    "reassessments": "patient_id",
    "care_alerts": "patient_id",
    "referrals": "patient_id",
    "reminder_sends": "patient_id",
}
EVENTS = ("insert", "update", "delete")
# What the report reads of her own row.
PATIENT_COLUMNS = "cohort, birth_year, enrolled_at, program_version_id, clinician_id, user_id"

# A statement's women, once each (transition tables: a bulk insert is one row per woman, not
# one per row written); a woman no longer there is left out (her rows went with her, or with
# her tenant: her facts go the same way).
PG_FUNCTIONS = (
    """CREATE FUNCTION pelvicoach_report_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO report_stale (tenant_id, patient_id)'
    ' SELECT c.tenant_id, c.woman FROM (SELECT DISTINCT tenant_id, %I AS woman FROM changed) c'
    ' WHERE EXISTS (SELECT 1 FROM patients p WHERE p.id = c.woman)', TG_ARGV[0]);
  RETURN NULL;
END $$""",
    """CREATE FUNCTION pelvicoach_report_stale_patient() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_stale (tenant_id, patient_id) VALUES (NEW.tenant_id, NEW.id);
  RETURN NULL;
END $$""",
    # Her month and days of enrolment are counted in the tenant's time zone.
    """CREATE FUNCTION pelvicoach_report_stale_zone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_stale (tenant_id, patient_id)
    SELECT tenant_id, id FROM patients WHERE tenant_id = NEW.id;
  RETURN NULL;
END $$""",
)


def pg_triggers() -> list[str]:
    triggers = []
    for table, column in SOURCES.items():
        for event in EVENTS:
            rows = "OLD" if event == "delete" else "NEW"
            triggers.append(
                f"CREATE TRIGGER report_stale_{event} AFTER {event.upper()} ON {table}"
                f" REFERENCING {rows} TABLE AS changed FOR EACH STATEMENT"
                f" EXECUTE FUNCTION pelvicoach_report_stale('{column}')"
            )
    return [
        *triggers,
        "CREATE TRIGGER report_stale_insert AFTER INSERT ON patients"
        " REFERENCING NEW TABLE AS changed FOR EACH STATEMENT"
        " EXECUTE FUNCTION pelvicoach_report_stale('id')",
        f"CREATE TRIGGER report_stale_update AFTER UPDATE OF {PATIENT_COLUMNS} ON patients"
        " FOR EACH ROW EXECUTE FUNCTION pelvicoach_report_stale_patient()",
        "CREATE TRIGGER report_stale_zone AFTER UPDATE OF time_zone ON tenants FOR EACH ROW"
        " WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)"
        " EXECUTE FUNCTION pelvicoach_report_stale_zone()",
    ]


def sqlite_triggers() -> list[str]:
    """Row triggers (SQLite has no others); the demo reports in UTC, whatever the zone."""
    triggers = []
    for table, column in SOURCES.items():
        for event in EVENTS:
            row = "OLD" if event == "delete" else "NEW"
            triggers.append(
                f"CREATE TRIGGER report_stale_{table}_{event} AFTER {event.upper()} ON {table}"  # noqa: S608
                f" WHEN EXISTS (SELECT 1 FROM patients WHERE id = {row}.{column})"
                " BEGIN INSERT INTO report_stale (tenant_id, patient_id)"
                f" VALUES ({row}.tenant_id, {row}.{column}); END"
            )
    return [
        *triggers,
        "CREATE TRIGGER report_stale_patients_insert AFTER INSERT ON patients BEGIN"
        " INSERT INTO report_stale (tenant_id, patient_id) VALUES (NEW.tenant_id, NEW.id); END",
        f"CREATE TRIGGER report_stale_patients_update AFTER UPDATE OF {PATIENT_COLUMNS}"  # noqa: S608
        " ON patients BEGIN INSERT INTO report_stale (tenant_id, patient_id)"
        " VALUES (NEW.tenant_id, NEW.id); END",
    ]


def upgrade():
    op.create_table(
        "report_facts",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", BIG_ID, nullable=False),
        sa.Column("cohort", sa.String(length=16), nullable=False),
        sa.Column("age", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("planned", sa.SmallInteger(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("control", sa.String(length=16), nullable=True),
        sa.Column("red_flag", sa.String(length=3), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=True),
        sa.Column("pgi_8", sa.String(length=16), nullable=True),
        sa.Column("change_8", sa.String(length=16), nullable=True),
        sa.Column("pgi_12", sa.String(length=16), nullable=True),
        sa.Column("change_12", sa.String(length=16), nullable=True),
        sa.Column("referral", sa.String(length=16), nullable=False),
        sa.Column("referral_reason", sa.String(length=16), nullable=True),
        sa.Column("referral_kind", sa.String(length=32), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("reminders_returned", sa.Integer(), nullable=False),
        sa.Column("nudges", sa.Integer(), nullable=False),
        sa.Column("nudges_returned", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_report_facts_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_report_facts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "patient_id", name=op.f("pk_report_facts")),
    )
    op.create_table(
        "report_stale",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("patient_id", BIG_ID, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_report_stale_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_stale")),
    )
    op.create_index("ix_report_stale_tenant_id", "report_stale", ["tenant_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*PG_FUNCTIONS, *pg_triggers()):
            op.execute(statement)
    else:
        for statement in sqlite_triggers():
            op.execute(statement)
    # Every woman is counted afresh at her tenant's next report (or the periodic job).
    op.execute(
        "INSERT INTO report_stale (tenant_id, patient_id) SELECT tenant_id, id FROM patients"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in SOURCES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER report_stale_{event} ON {table}")
        op.execute("DROP TRIGGER report_stale_insert ON patients")
        op.execute("DROP TRIGGER report_stale_update ON patients")
        op.execute("DROP TRIGGER report_stale_zone ON tenants")
        for function in ("", "_patient", "_zone"):
            op.execute(f"DROP FUNCTION pelvicoach_report_stale{function}()")
    else:
        for table in SOURCES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER report_stale_{table}_{event}")
        op.execute("DROP TRIGGER report_stale_patients_insert")
        op.execute("DROP TRIGGER report_stale_patients_update")
    op.drop_index("ix_report_stale_tenant_id", table_name="report_stale")
    op.drop_table("report_stale")
    op.drop_table("report_facts")
