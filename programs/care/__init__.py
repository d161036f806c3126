"""Care: who may open a patient's record, emergency access and the audit of reads."""
