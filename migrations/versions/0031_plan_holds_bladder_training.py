"""her training plan holds whether she does bladder training: set by her newest intake that
opened the training, then by her clinician. Before, an urge or mixed intake switched it on
whatever the plan said, so her clinician could not switch it off, and her record showed it off.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-29 07:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

# On, where her newest intake switched it on and no clinician switched it off since.
UPGRADE = """
UPDATE training_plans SET bladder_training = true
WHERE bladder_training = false
  AND EXISTS (
    SELECT 1 FROM intakes i
    WHERE i.tenant_id = training_plans.tenant_id AND i.patient_id = training_plans.patient_id
      AND i.bladder_training = true
      AND i.completed_at = (
        SELECT max(n.completed_at) FROM intakes n
        WHERE n.tenant_id = i.tenant_id AND n.patient_id = i.patient_id)
      AND NOT EXISTS (
        SELECT 1 FROM plan_changes c
        WHERE c.tenant_id = i.tenant_id AND c.patient_id = i.patient_id
          AND c.kind = 'bladder_off' AND c.changed_at > i.completed_at))
"""


def upgrade():
    op.execute(UPGRADE)


def downgrade():
    pass  # the plans' values were right before as well; only who read them changed
