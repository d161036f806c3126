"""Her right of access: every table that holds her rows is in her export, her rows and no
one else's, without the digests that guard her account."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from training_history import add_sets

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.diary import services as diaries
from pelvicoach.programs.diary.models import EntryKind
from pelvicoach.programs.enrolment import rights
from pelvicoach.programs.followup import services as followup
from pelvicoach.tenants.care_providers import ProviderKind


def _history(db, tenant, patient) -> None:
    with tenant_context(tenant.id, db.session):
        add_sets(tenant.id, patient.id, [1, 2], level=2, sets=2)
        diary = diaries.start(patient, datetime.now(UTC).date(), 3)
        diaries.add(
            diary,
            EntryKind.PAD,
            ZoneInfo("Europe/Amsterdam"),
            client_id=uuid.uuid4(),
            day=diary.starts_on,
            time=time(9, 0),
        )
        followup.confirm_referral(patient, None, ProviderKind.GP, None)
        db.session.commit()


def test_her_export_reaches_every_table_and_only_her_rows(
    app, client, make_tenant, make_patient, sign_in, db
):
    tenant = make_tenant("linde")
    sanne = make_patient(tenant, "sanne@example.nl", phase="training")
    other = make_patient(tenant, "noor@example.nl", phase="training")
    _history(db, tenant, sanne)
    _history(db, tenant, other)
    sign_in("linde", "sanne@example.nl")
    download = client.get("/t/linde/my-data.json")
    assert download.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(download.data)
    assert data["account"]["email"] == "sanne@example.nl"
    assert {table.name for table in rights.patient_tables()} <= set(data)
    assert len(data["exercise_sessions"]) == 4
    assert len(data["bladder_diary_entries"]) == 1  # reached through her diary
    assert len(data["referrals"]) == 1
    for name in ("exercise_sessions", "bladder_diaries", "referrals"):
        assert {row["patient_id"] for row in data[name]} == {sanne.id}
    text = download.data.decode()
    assert "noor@example.nl" not in text
    assert "hash" not in text
    assert "password" not in text
    page = client.get("/t/linde/my-data")
    assert page.status_code == 200
    assert "bladder_diary_entries" in page.text
    exported = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "patient.data_exported")
    )
    assert exported.object_id == sanne.pseudonym
    # staff have no such page
    assert app.test_client().get("/t/linde/my-data").status_code == 302
