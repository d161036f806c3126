"""Enrolling many women from one file: upload, a check that lists every row that cannot be
enrolled and why, the officer's confirmation, then an rq job that enrols the rest with its
progress on the page and an error report to download."""
