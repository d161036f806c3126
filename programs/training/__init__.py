"""Exercise therapy: her level, the sessions she logs, progression and bladder training."""
