"""reminder send returns: the day a reminder or nudge went out (her tenant's time zone) and
whether she logged a set that day or the next, kept by triggers on practice_days, so the report
counts returns without looking up her days for every message

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-27 15:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# A practice day answers the messages of that day and the day before; a day gone (its last set
# deleted) has those messages asked again.
PG_FUNCTION = """
CREATE FUNCTION pelvicoach_send_returns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE reminder_sends r SET returned = true
      FROM new_days d
      WHERE r.tenant_id = d.tenant_id AND r.patient_id = d.patient_id
        AND r.day IN (d.day, d.day - 1) AND NOT r.returned;
  ELSE
    UPDATE reminder_sends r SET returned = EXISTS (
        SELECT 1 FROM practice_days p WHERE p.tenant_id = r.tenant_id
          AND p.patient_id = r.patient_id AND p.day IN (r.day, r.day + 1))
      FROM old_days d
      WHERE r.tenant_id = d.tenant_id AND r.patient_id = d.patient_id
        AND r.day IN (d.day, d.day - 1) AND r.returned;
  END IF;
  RETURN NULL;
END $$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER send_returns_insert AFTER INSERT ON practice_days"
    " REFERENCING NEW TABLE AS new_days FOR EACH STATEMENT"
    " EXECUTE FUNCTION pelvicoach_send_returns()",
    "CREATE TRIGGER send_returns_delete AFTER DELETE ON practice_days"
    " REFERENCING OLD TABLE AS old_days FOR EACH STATEMENT"
    " EXECUTE FUNCTION pelvicoach_send_returns()",
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER send_returns_insert AFTER INSERT ON practice_days BEGIN
  UPDATE reminder_sends SET returned = 1
    WHERE tenant_id = NEW.tenant_id AND patient_id = NEW.patient_id
      AND day IN (NEW.day, date(NEW.day, '-1 day'));
END""",
    """CREATE TRIGGER send_returns_delete AFTER DELETE ON practice_days BEGIN
  UPDATE reminder_sends SET returned = EXISTS (
      SELECT 1 FROM practice_days p WHERE p.tenant_id = reminder_sends.tenant_id
        AND p.patient_id = reminder_sends.patient_id
        AND p.day IN (reminder_sends.day, date(reminder_sends.day, '+1 day')))
    WHERE tenant_id = OLD.tenant_id AND patient_id = OLD.patient_id
      AND day IN (OLD.day, date(OLD.day, '-1 day'));
END""",
)
BACKFILL = {
    "postgresql": (
        "UPDATE reminder_sends r SET day = timezone(t.time_zone, r.sent_at)::date"
        " FROM tenants t WHERE t.id = r.tenant_id AND r.sent_at IS NOT NULL",
        "UPDATE reminder_sends r SET returned = true WHERE EXISTS (SELECT 1 FROM practice_days p"
        " WHERE p.tenant_id = r.tenant_id AND p.patient_id = r.patient_id"
        " AND p.day IN (r.day, r.day + 1))",
    ),
    "sqlite": (  # the demo keeps and reports UTC
        "UPDATE reminder_sends SET day = date(sent_at) WHERE sent_at IS NOT NULL",
        "UPDATE reminder_sends SET returned = EXISTS (SELECT 1 FROM practice_days p"
        " WHERE p.tenant_id = reminder_sends.tenant_id AND p.patient_id = reminder_sends.patient_id"
        " AND p.day IN (reminder_sends.day, date(reminder_sends.day, '+1 day')))",
    ),
}


def upgrade():
    # Not in batch mode: SQLite adds both columns in place.
    op.add_column("reminder_sends", sa.Column("day", sa.Date(), nullable=True))
    op.add_column(
        "reminder_sends",
        sa.Column("returned", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for statement in BACKFILL[dialect]:
        op.execute(statement)
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for trigger in PG_TRIGGERS:
            op.execute(trigger)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER send_returns_insert ON practice_days")
        op.execute("DROP TRIGGER send_returns_delete ON practice_days")
        op.execute("DROP FUNCTION pelvicoach_send_returns()")
    else:
        op.execute("DROP TRIGGER send_returns_insert")
        op.execute("DROP TRIGGER send_returns_delete")
    with op.batch_alter_table("reminder_sends", schema=None) as batch_op:
        batch_op.drop_column("returned")
        batch_op.drop_column("day")
