"""the session log partitioned by month: exercise_sessions becomes a table partitioned by range
of `day` (her calendar day), a partition per month and a default one for any day no month
covers yet; an owner-defined function makes the months ahead (the scheduler calls it daily)
and moves into a new month what the default partition held of it. Its keys now include `day`,
as PostgreSQL wants of a partitioned table, and `tenant_id`, as Citus will.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-27 21:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

MONTHS_BACK, MONTHS_AHEAD = 1, 3  # what the migration and the daily job make at least

# SECURITY DEFINER: the platform role's scheduler runs it, and only the owner may add
# partitions. A new month's rows that landed in the default partition meanwhile are moved into
# it partition to partition: no statement on the parent, so the rollup trigger (migration
# 0022), which fires for statements on the parent only, counts nothing twice.
PARTITION_FUNCTION = """
CREATE OR REPLACE FUNCTION pelvicoach_session_partitions(first_day date, last_day date)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  month date := date_trunc('month', first_day)::date;
  made integer := 0;
  name text;
BEGIN
  IF last_day - first_day > 3660 THEN
    RAISE EXCEPTION 'at most ten years of partitions at once' USING ERRCODE = 'data_exception';
  END IF;
  WHILE month <= last_day LOOP
    name := format('exercise_sessions_%s', to_char(month, '"y"YYYY"m"MM'));
    IF to_regclass(name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I (LIKE exercise_sessions INCLUDING DEFAULTS'
                     ' INCLUDING CONSTRAINTS)', name);
      EXECUTE format('WITH moved AS (DELETE FROM exercise_sessions_default'
                     ' WHERE day >= %L AND day < %L RETURNING *)'
                     ' INSERT INTO %I SELECT * FROM moved',
                     month, (month + interval '1 month')::date, name);
      EXECUTE format('ALTER TABLE exercise_sessions ATTACH PARTITION %I'
                     ' FOR VALUES FROM (%L) TO (%L)',
                     name, month, (month + interval '1 month')::date);
      made := made + 1;
    END IF;
    month := (month + interval '1 month')::date;
  END LOOP;
  RETURN made;
END
$$
"""
TRIGGERS = (
    "CREATE TRIGGER practice_days_insert AFTER INSERT ON exercise_sessions"
    " REFERENCING NEW TABLE AS new_sets FOR EACH STATEMENT"
    " EXECUTE FUNCTION pelvicoach_practice_days()",
    "CREATE TRIGGER practice_days_delete AFTER DELETE ON exercise_sessions"
    " REFERENCING OLD TABLE AS old_sets FOR EACH STATEMENT"
    " EXECUTE FUNCTION pelvicoach_practice_days()",
)
# SQLite keeps one table; its triggers (migration 0022) go while the table is rebuilt.
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
OLD = "exercise_sessions_unpartitioned"
CONSTRAINTS = (
    "ALTER TABLE exercise_sessions ADD CONSTRAINT pk_exercise_sessions"
    " PRIMARY KEY (tenant_id, id, day)",
    "ALTER TABLE exercise_sessions ADD CONSTRAINT uq_exercise_sessions_client_id"
    " UNIQUE (tenant_id, patient_id, client_id, day)",
    "ALTER TABLE exercise_sessions ADD CONSTRAINT fk_exercise_sessions_patient_id_patients"
    " FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE",
    "ALTER TABLE exercise_sessions ADD CONSTRAINT fk_exercise_sessions_tenant_id_tenants"
    " FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE",
    "CREATE INDEX ix_exercise_sessions_tenant_id_patient_id_performed_at"
    " ON exercise_sessions (tenant_id, patient_id, performed_at)",
)


def _sqlite_keys(unique: list[str]) -> None:
    for name in ("practice_days_insert", "practice_days_delete"):
        op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("exercise_sessions") as batch_op:
        batch_op.drop_constraint("uq_exercise_sessions_client_id", type_="unique")
        batch_op.create_unique_constraint("uq_exercise_sessions_client_id", unique)
    for trigger in SQLITE_TRIGGERS:
        op.execute(trigger)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_keys(["tenant_id", "patient_id", "client_id", "day"])
        return
    for statement in (
        "DROP TRIGGER practice_days_insert ON exercise_sessions",
        "DROP TRIGGER practice_days_delete ON exercise_sessions",
        f"ALTER TABLE exercise_sessions RENAME TO {OLD}",
        f"ALTER TABLE {OLD} DROP CONSTRAINT pk_exercise_sessions",
        f"ALTER TABLE {OLD} DROP CONSTRAINT uq_exercise_sessions_client_id",
        "DROP INDEX ix_exercise_sessions_tenant_id_patient_id_performed_at",
        "ALTER SEQUENCE exercise_sessions_id_seq OWNED BY NONE",
        f"CREATE TABLE exercise_sessions (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        " PARTITION BY RANGE (day)",
        *CONSTRAINTS,
        "CREATE TABLE exercise_sessions_default PARTITION OF exercise_sessions DEFAULT",
        PARTITION_FUNCTION,
        "REVOKE ALL ON FUNCTION pelvicoach_session_partitions(date, date) FROM PUBLIC",
        # Every month with sets, and the months around this one
        "SELECT pelvicoach_session_partitions("  # noqa: S608 (constants)
        " least((SELECT min(day) FROM exercise_sessions_unpartitioned),"
        f" (current_date - interval '{MONTHS_BACK} month')::date),"
        f" (current_date + interval '{MONTHS_AHEAD} month')::date)",
        # The rollups count these already: the triggers come after
        "INSERT INTO exercise_sessions SELECT * FROM exercise_sessions_unpartitioned",
        *TRIGGERS,
        f"DROP TABLE {OLD}",
        "ALTER SEQUENCE exercise_sessions_id_seq OWNED BY exercise_sessions.id",
        "ALTER TABLE exercise_sessions ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE exercise_sessions FORCE ROW LEVEL SECURITY",
    ):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_keys(["tenant_id", "patient_id", "client_id"])
        return
    for statement in (
        f"CREATE TABLE {OLD} (LIKE exercise_sessions INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
        "INSERT INTO exercise_sessions_unpartitioned SELECT * FROM exercise_sessions",
        "ALTER SEQUENCE exercise_sessions_id_seq OWNED BY NONE",
        "DROP TABLE exercise_sessions",  # its partitions and triggers with it
        "DROP FUNCTION pelvicoach_session_partitions(date, date)",
        f"ALTER TABLE {OLD} RENAME TO exercise_sessions",
        "ALTER TABLE exercise_sessions ADD CONSTRAINT pk_exercise_sessions PRIMARY KEY (id)",
        "ALTER TABLE exercise_sessions ADD CONSTRAINT uq_exercise_sessions_client_id"
        " UNIQUE (tenant_id, patient_id, client_id)",
        *CONSTRAINTS[2:],
        *TRIGGERS,
        "ALTER SEQUENCE exercise_sessions_id_seq OWNED BY exercise_sessions.id",
        "ALTER TABLE exercise_sessions ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE exercise_sessions FORCE ROW LEVEL SECURITY",
    ):
        op.execute(statement)
