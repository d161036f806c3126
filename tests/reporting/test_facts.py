"""Each woman's report facts on PostgreSQL: triggers mark her stale whenever a row her facts come
from changes, and the next count recomputes her, the batched way as the whole-tenant way; a
change committed while a refresh runs keeps its mark; the periodic job serves every tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, text, update

from pelvicoach.platform import schedule
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Consent, ConsentKind, Patient
from pelvicoach.programs.followup.models import Referral
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.reminders.models import ReminderSend
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.reporting import facts, population
from pelvicoach.reporting.facts import Stage
from pelvicoach.reporting.models import ReportFacts, ReportStale
from pelvicoach.tenants.models import Tenant

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
# The tables her facts come from, and what names her in each: every change must mark her.
SOURCES = {
    "consents": ("insert", "update", "delete"),
    "intakes": ("insert", "update", "delete"),
    "training_plans": ("insert", "update", "delete"),
    "reassessments": ("insert", "update", "delete"),
    "care_alerts": ("insert", "update", "delete"),
    "referrals": ("insert", "update", "delete"),
    "reminder_sends": ("insert", "update", "delete"),
    "patients": ("insert", "update"),  # her removal takes her facts (a foreign key)
}
TRAINING = {"incontinence_type": "stress", "isi": 6, "isi_severity": "moderate"}


def an_intake(tenant_id: int, patient_id: int, route: str = "training") -> Intake:
    done = NOW - timedelta(days=40)
    return Intake(
        tenant_id=tenant_id,
        patient_id=patient_id,
        cohort="postpartum",
        version_number=1,
        answers={},
        started_at=done,
        updated_at=done,
        completed_at=done,
        route=route,
        rule=route,
        scores={**TRAINING, "control": "sufficient" if route == "training" else "insufficient"},
    )


def a_consent(tenant_id: int, patient_id: int) -> Consent:
    return Consent(
        tenant_id=tenant_id,
        patient_id=patient_id,
        kind=ConsentKind.HEALTH_DATA,
        version="1",
        given_at=NOW,
    )


def facts_of(db, tenant) -> dict[int, dict]:
    with tenant_context(tenant.id, db.session):
        rows = db.session.scalars(select(ReportFacts).where(ReportFacts.tenant_id == tenant.id))
        found = {
            row.patient_id: {c.key: getattr(row, c.key) for c in ReportFacts.__table__.columns}
            for row in rows
        }
        db.session.rollback()
    return found


def stale(db, tenant) -> list[int]:
    with tenant_context(tenant.id, db.session):
        women = db.session.scalars(
            select(ReportStale.patient_id).where(ReportStale.tenant_id == tenant.id)
        ).all()
        db.session.rollback()
    return sorted(women)


def counted(db, tenant):
    """The report's count, as a request makes it (its refresh committed with it)."""
    with tenant_context(tenant.id, db.session):
        women = population.women(tenant.id, "Europe/Amsterdam", NOW)
        db.session.commit()
    return women


def test_every_table_her_facts_come_from_marks_her_stale(db):
    found = db.session.execute(
        text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname LIKE 'report_stale_%' AND t.tgenabled = 'O'"
        )
    ).all()
    marked = {(table, name.removeprefix("report_stale_")) for table, name in found}
    expected = {(table, event) for table, events in SOURCES.items() for event in events}
    assert marked == expected | {("tenants", "zone")}


def test_a_change_to_her_rows_is_counted_at_the_next_report(make_tenant, make_patient, db):
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl")
    other = make_patient(linde, "iris@example.nl")
    assert stale(db, linde) == sorted([her.id, other.id])  # new women: counted at first sight
    women = counted(db, linde)
    assert stale(db, linde) == []
    assert list(women["stage"]) == [Stage.REGISTERED]
    assert list(women["n"]) == [2]
    assert facts_of(db, linde)[her.id]["stage"] == Stage.REGISTERED

    with tenant_context(linde.id, db.session):
        db.session.add(a_consent(linde.id, her.id))
        db.session.add(an_intake(linde.id, her.id))
        db.session.add(
            TrainingPlan(tenant_id=linde.id, patient_id=her.id, level_since=NOW, updated_at=NOW)
        )
        db.session.commit()
    assert set(stale(db, linde)) == {her.id}  # a mark per statement, only hers
    counted(db, linde)
    mine = facts_of(db, linde)[her.id]
    assert (mine["stage"], mine["type"], mine["route"]) == (Stage.TRAINING, "stress", "training")
    assert facts_of(db, linde)[other.id]["stage"] == Stage.REGISTERED

    # An update, a delete and her own row: each is seen at the next count
    with tenant_context(linde.id, db.session):
        db.session.execute(
            update(Intake).where(Intake.patient_id == her.id).values(route="awareness")
        )
        db.session.execute(delete(TrainingPlan).where(TrainingPlan.patient_id == her.id))
        db.session.execute(update(Patient).where(Patient.id == other.id).values(cohort="menopause"))
        db.session.add(
            Referral(
                tenant_id=linde.id,
                patient_id=her.id,
                reason="own_request",
                care_kind="pelvic_physio",
                confirmed_at=NOW,
            )
        )
        db.session.commit()
    counted(db, linde)
    found = facts_of(db, linde)
    assert (found[her.id]["stage"], found[her.id]["route"]) == (Stage.INTAKE, "awareness")
    assert (found[her.id]["referral"], found[her.id]["referral_kind"]) == (
        "confirmed",
        "pelvic_physio",
    )
    assert found[other.id]["cohort"] == "menopause"


def test_a_woman_or_tenant_removed_takes_her_facts_and_leaves_no_mark(
    make_tenant, make_patient, db, owner_engine
):
    linde, horizon = make_tenant("linde"), make_tenant("horizon")
    her = make_patient(linde, "lotte@example.nl")
    make_patient(horizon, "iris@example.nl")
    with tenant_context(linde.id, db.session):
        db.session.add(an_intake(linde.id, her.id))
        db.session.commit()
    facts.refresh_all()
    with owner_engine.begin() as connection:  # her rows go with her, then a tenant with all
        connection.execute(delete(Patient).where(Patient.id == her.id))
        connection.execute(delete(Tenant).where(Tenant.id == horizon.id))
    assert stale(db, linde) == []
    assert facts_of(db, linde) == {}
    with owner_engine.connect() as connection:
        left = connection.execute(select(func.count()).select_from(ReportStale)).scalar()
        assert left == 0


def test_a_message_is_counted_when_sent_and_when_answered(make_tenant, make_patient, db):
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl")
    counted(db, linde)
    with tenant_context(linde.id, db.session):
        sends = [
            {
                "tenant_id": linde.id,
                "patient_id": her.id,
                "kind": kind,
                "slot": f"{kind}:{day}",
                "created_at": NOW - timedelta(days=day),
                "sent_at": NOW - timedelta(days=day),
                "day": (NOW - timedelta(days=day)).date(),
            }
            for kind, day in (("reminder", 3), ("reminder", 2), ("nudge", 1))
        ]
        # One statement of three rows (RETURNING has SQLAlchemy write them as one): one mark
        db.session.execute(insert(ReminderSend).returning(ReminderSend.id), sends)
        db.session.commit()
    assert stale(db, linde) == [her.id]
    counted(db, linde)
    mine = facts_of(db, linde)[her.id]
    assert (mine["reminders"], mine["reminders_returned"], mine["nudges"]) == (2, 0, 1)
    with tenant_context(linde.id, db.session):
        db.session.execute(
            update(ReminderSend)
            .where(ReminderSend.patient_id == her.id, ReminderSend.kind == "reminder")
            .values(returned=True)
        )
        db.session.commit()
    counted(db, linde)
    assert facts_of(db, linde)[her.id]["reminders_returned"] == 2


def test_women_refreshed_in_batches_get_the_facts_of_a_whole_refresh(
    make_tenant, make_patient, db, monkeypatch
):
    linde = make_tenant("linde")
    women = [make_patient(linde, f"vrouw{n}@example.nl") for n in range(9)]
    with tenant_context(linde.id, db.session):
        for n, woman in enumerate(women):
            if n % 3:
                db.session.add(an_intake(linde.id, woman.id, ("training", "awareness")[n % 2]))
            if n % 4 == 0:
                db.session.add(a_consent(linde.id, woman.id))
        db.session.commit()
    monkeypatch.setattr(facts, "WHOLE_TENANT_FROM", 1)
    counted(db, linde)
    whole = facts_of(db, linde)
    with tenant_context(linde.id, db.session):  # every woman marked again, done in fours
        db.session.execute(update(Patient).values(birth_year=Patient.birth_year))
        db.session.commit()
    monkeypatch.setattr(facts, "WHOLE_TENANT_FROM", 10**6)
    monkeypatch.setattr(facts, "BATCH", 4)
    assert len(stale(db, linde)) == 9
    counted(db, linde)
    assert facts_of(db, linde) == whole
    assert {row["stage"] for row in whole.values()} == {
        Stage.REGISTERED,
        Stage.CONSENTED,
        Stage.INTAKE,
        Stage.TRAINING,
    }


def test_a_change_committed_during_a_refresh_keeps_its_mark(
    make_tenant, make_patient, db, owner_engine
):
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl")
    counted(db, linde)
    with tenant_context(linde.id, db.session):  # a change the refresh will see and clear
        db.session.execute(update(Patient).where(Patient.id == her.id).values(birth_year=1990))
        db.session.commit()
    # Another transaction writes her intake and commits only after the refresh has begun.
    with owner_engine.connect() as other:
        other.execute(insert(Intake), [vars_of(an_intake(linde.id, her.id))])
        with tenant_context(linde.id, db.session):
            assert facts.refresh(linde.id, "Europe/Amsterdam") == 1  # cannot see the intake
            db.session.commit()
        other.commit()
    mine = facts_of(db, linde)[her.id]
    assert (mine["age"], mine["stage"]) == ("35-39", Stage.REGISTERED)
    assert stale(db, linde) == [her.id]  # the mark survived the refresh that missed it
    counted(db, linde)
    assert facts_of(db, linde)[her.id]["stage"] == Stage.TRAINING  # her intake opened it


def vars_of(row: Intake) -> dict:
    values = {c.key: getattr(row, c.key) for c in Intake.__table__.columns}
    return {key: value for key, value in values.items() if value is not None}


def test_a_new_time_zone_has_every_woman_counted_again(make_tenant, make_patient, db):
    linde = make_tenant("linde")
    women = sorted(make_patient(linde, f"vrouw{n}@example.nl").id for n in range(3))
    counted(db, linde)
    with tenant_context(linde.id, db.session):
        db.session.execute(update(Tenant).where(Tenant.id == linde.id).values(time_zone="UTC"))
        db.session.commit()
    assert stale(db, linde) == women


def test_the_periodic_job_refreshes_every_tenant(make_tenant, make_patient, db):
    linde, horizon = make_tenant("linde"), make_tenant("horizon")
    mine = [make_patient(tenant, f"vrouw@{tenant.slug}.nl").id for tenant in (linde, horizon)]
    assert "report-facts" in {periodic.name for periodic in schedule.PERIODIC}
    assert facts.refresh_all() == 2
    assert stale(db, linde) == stale(db, horizon) == []
    assert set(facts_of(db, linde)) == {mine[0]}
    assert set(facts_of(db, horizon)) == {mine[1]}
    assert facts.refresh_all() == 0


def test_no_tenant_sees_anothers_facts(make_tenant, make_patient, db, app):
    """As the web's role (row-level security in force): another tenant's rows are not there."""
    from pelvicoach.platform.extensions import db as database

    linde, horizon = make_tenant("linde"), make_tenant("horizon")
    make_patient(linde, "lotte@example.nl")
    make_patient(horizon, "iris@example.nl")

    def tenants_in(table: str) -> list[int]:
        with app.app_context(), tenant_context(linde.id, database.session):
            assert database.session.execute(select(func.current_user())).scalar() != "postgres"
            found = database.session.execute(text(f"SELECT DISTINCT tenant_id FROM {table}"))
            return list(found.scalars())

    assert tenants_in("report_stale") == [linde.id]
    facts.refresh_all()
    assert tenants_in("report_facts") == [linde.id]


def test_the_sqlite_demo_counts_its_women_and_their_changes(make_app, tmp_path):
    """The demo's SQLite: row triggers mark the women, the refresh counts them (in UTC)."""
    from flask_migrate import upgrade

    from pelvicoach.platform.extensions import db as database
    from pelvicoach.programs.demo import seed_demo

    demo = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'demo.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={},
        MIGRATION_DATABASE_URL=None,
    )
    with demo.app_context():
        upgrade()
        triggers = database.session.execute(
            text(
                "SELECT tbl_name, name FROM sqlite_master"
                " WHERE type = 'trigger' AND name LIKE 'report_stale_%'"
            )
        ).all()
        marked = {(table, name.rsplit("_", 1)[1]) for table, name in triggers}
        assert marked == {(table, event) for table, events in SOURCES.items() for event in events}
        tenants = seed_demo()
        database.session.commit()
        for tenant in tenants:
            with tenant_context(tenant.id, database.session):
                women = database.session.scalars(
                    select(Patient.id).where(Patient.tenant_id == tenant.id)
                ).all()
                counted = population.gather(tenant.id, tenant.time_zone, NOW)
                database.session.commit()
                assert int(counted.women["n"].sum()) == len(women) > 0
                trained = counted.women.loc[counted.women["stage"] == Stage.TRAINING, "n"]
                assert int(trained.sum()) == database.session.scalar(
                    select(func.count()).select_from(TrainingPlan)
                )
        first = tenants[0]
        with tenant_context(first.id, database.session):
            assert database.session.scalar(select(func.count()).select_from(ReportStale)) == 0
            everyone = select(Patient.id).where(Patient.tenant_id == first.id)
            database.session.execute(
                update(Patient).where(Patient.id.in_(everyone)).values(cohort="menopause")
            )
            database.session.commit()
            counted = population.gather(first.id, first.time_zone, NOW)
            assert set(counted.women["cohort"]) == {"menopause"}
