"""The clinician's blueprint: her caseload and her patients' records."""
