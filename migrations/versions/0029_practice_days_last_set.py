"""her newest set's time kept on her practice day: the caseload's "last active" reads one row
of `practice_days` (its key, backwards) instead of her newest set in every monthly partition
of the session log (18 index probes a woman, a third of a clinician's caseload page:
tests/perf/bench_pages.py)

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-28 00:40:00.000000

"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# As migration 0022's, with the day's newest set kept too (and found again when sets go).
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION pelvicoach_practice_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO practice_days (tenant_id, patient_id, day, sets, last_at)
      SELECT tenant_id, patient_id, day, count(*), max(performed_at) FROM new_sets
      GROUP BY 1, 2, 3
      ON CONFLICT (tenant_id, patient_id, day)
      DO UPDATE SET sets = practice_days.sets + EXCLUDED.sets,
                    last_at = greatest(practice_days.last_at, EXCLUDED.last_at);
  ELSE
    UPDATE practice_days p SET sets = p.sets - gone.n,
      last_at = (SELECT max(s.performed_at) FROM exercise_sessions s
                 WHERE s.tenant_id = p.tenant_id AND s.patient_id = p.patient_id
                   AND s.day = p.day)
      FROM (SELECT tenant_id, patient_id, day, count(*) AS n FROM old_sets GROUP BY 1, 2, 3) gone
      WHERE p.tenant_id = gone.tenant_id AND p.patient_id = gone.patient_id AND p.day = gone.day;
    DELETE FROM practice_days WHERE sets <= 0;
  END IF;
  RETURN NULL;
END $$
"""
SQLITE_TRIGGERS = (
    """CREATE TRIGGER practice_days_insert AFTER INSERT ON exercise_sessions BEGIN
  INSERT INTO practice_days (tenant_id, patient_id, day, sets, last_at)
    VALUES (NEW.tenant_id, NEW.patient_id, NEW.day, 1, NEW.performed_at)
    ON CONFLICT (tenant_id, patient_id, day) DO UPDATE SET sets = sets + 1,
      last_at = CASE WHEN last_at IS NULL OR excluded.last_at > last_at
                THEN excluded.last_at ELSE last_at END;
END""",
    """CREATE TRIGGER practice_days_delete AFTER DELETE ON exercise_sessions BEGIN
  UPDATE practice_days SET sets = sets - 1,
    last_at = (SELECT max(performed_at) FROM exercise_sessions
               WHERE tenant_id = OLD.tenant_id AND patient_id = OLD.patient_id AND day = OLD.day)
    WHERE tenant_id = OLD.tenant_id AND patient_id = OLD.patient_id AND day = OLD.day;
  DELETE FROM practice_days WHERE tenant_id = OLD.tenant_id AND patient_id = OLD.patient_id
    AND day = OLD.day AND sets <= 0;
END""",
)
# What downgrading restores: the function of migration 0022, the SQLite triggers of 0027.
_0022 = import_module("pelvicoach.migrations.versions.0022_practice_days_teams_exports")
_0027 = import_module("pelvicoach.migrations.versions.0027_partitioned_session_log")
PG_FUNCTION_BEFORE = _0022.PG_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
SQLITE_TRIGGERS_BEFORE = _0027.SQLITE_TRIGGERS
SQLITE_BACKFILL = """
UPDATE practice_days SET last_at = (
  SELECT max(s.performed_at) FROM exercise_sessions s
  WHERE s.tenant_id = practice_days.tenant_id AND s.patient_id = practice_days.patient_id
    AND s.day = practice_days.day)
"""
BACKFILL = """
UPDATE practice_days p SET last_at = s.newest
  FROM (SELECT tenant_id, patient_id, day, max(performed_at) AS newest
        FROM exercise_sessions GROUP BY 1, 2, 3) s
  WHERE p.tenant_id = s.tenant_id AND p.patient_id = s.patient_id AND p.day = s.day
"""


def _sqlite_triggers(triggers: tuple[str, ...]) -> None:
    for name in ("practice_days_insert", "practice_days_delete"):
        op.execute(f"DROP TRIGGER {name}")
    for trigger in triggers:
        op.execute(trigger)


def upgrade():
    op.add_column("practice_days", sa.Column("last_at", sa.DateTime(timezone=True)))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        # Every tenant's days (the owner's cross-tenant policy).
        op.execute("SELECT set_config('app.cross_tenant', 'on', true)")
        op.execute(BACKFILL)
    else:
        _sqlite_triggers(SQLITE_TRIGGERS)
        op.execute(SQLITE_BACKFILL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION_BEFORE)
    else:
        _sqlite_triggers(SQLITE_TRIGGERS_BEFORE)
    op.drop_column("practice_days", "last_at")
