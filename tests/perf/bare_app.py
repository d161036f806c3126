"""The bare route the page benchmark compares with (tests/perf/bench_pages.py): Flask on the same
gunicorn settings, one primary-key SELECT through a SQLAlchemy pool with the app's own engine
options. What any page of ours costs at least on this stack; the pages are measured against it.

    BARE_DATABASE_URL=postgresql+psycopg://... gunicorn tests.perf.bare_app:app
"""

from __future__ import annotations

import os

from flask import Flask, abort
from sqlalchemy import create_engine, text

from pelvicoach.platform.database import engine_options

URL = os.environ["BARE_DATABASE_URL"]
engine = create_engine(URL, **engine_options(URL))
app = Flask(__name__)
PATIENT = text("SELECT id, pseudonym, phase FROM patients WHERE id = :id")


@app.get("/bare/<int:patient_id>")
def bare(patient_id: int) -> dict:
    with engine.connect() as connection:
        row = connection.execute(PATIENT, {"id": patient_id}).one_or_none()
    if row is None:
        abort(404)
    return {"id": row.id, "pseudonym": row.pseudonym, "phase": row.phase}
