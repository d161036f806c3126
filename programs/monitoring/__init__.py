"""What a clinician follows: her caseload with its alerts, and (as it grows) a patient's record,
plan adjustments and messages."""
