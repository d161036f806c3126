"""Enrolment: the patient record, and how she joins a tenant's program."""
