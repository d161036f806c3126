"""The synthetic data generator and the demo command."""

from __future__ import annotations

import contextvars
import os
import re
import selectors
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from pelvicoach.platform.accounts import User, UserRole
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import cross_tenant, tenant_context
from pelvicoach.programs.demo import DEMO_PASSWORD, seed_demo
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.followup.models import Reassessment, Referral
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.seed import seed
from pelvicoach.programs.training.models import ExerciseSession, TrainingPlan
from pelvicoach.tenants.models import Tenant

BIN = Path(sys.executable).parent


def test_seed_creates_tenants_staff_and_patients(db):
    tenants = seed(3, 400, random_seed=7)
    assert [t.slug for t in tenants] == ["synthetic-0001", "synthetic-0002", "synthetic-0003"]
    per_tenant = dict(
        database.session.execute(
            select(Patient.tenant_id, func.count()).group_by(Patient.tenant_id)
        ).all()
    )
    assert per_tenant == {t.id: 400 for t in tenants}
    phases = Counter(database.session.scalars(select(Patient.phase)))
    assert set(phases) == {"information", "awareness", "intake", "training", "referred"}
    assert phases["training"] > phases["referred"]  # weighted as in the program
    roles = Counter(database.session.scalars(select(UserRole.role)))
    assert roles["patient"] == 1200
    assert roles["clinician"] == 3 * (400 // 150)
    assert roles["admin"] == roles["analyst"] == roles["enrolment"] == 3
    # every patient is on a clinician of her own tenant
    mismatched = database.session.scalar(
        select(func.count())
        .select_from(Patient)
        .join(User, User.id == Patient.clinician_id)
        .where(User.tenant_id != Patient.tenant_id)
    )
    assert mismatched == 0
    # seeding again adds new tenants rather than colliding
    assert seed(1, 5)[0].slug == "synthetic-0004"


def test_seeded_women_have_histories_that_fit_their_step(db):
    (tenant,) = seed(1, 300, random_seed=5)
    with tenant_context(tenant.id, database.session):
        routes = dict(
            database.session.execute(
                select(Patient.phase, func.count(Intake.id))
                .outerjoin(Intake, Intake.patient_id == Patient.id)
                .group_by(Patient.phase)
            ).all()
        )
        assert routes["information"] == routes["intake"] == 0  # no finished intake yet
        training = database.session.scalar(
            select(func.count()).select_from(Patient).where(Patient.phase == "training")
        )
        wrong = database.session.scalar(
            select(func.count())
            .select_from(Patient)
            .join(Intake, Intake.patient_id == Patient.id)
            .where(Patient.phase == "training", Intake.route != "training")
        )
        assert wrong == 0
        assert database.session.scalar(select(func.count()).select_from(TrainingPlan)) == training
        # Practice fades: more sets in a plan's first four weeks than in weeks 9 to 12.
        started = select(TrainingPlan.patient_id, TrainingPlan.practice_started_on).subquery()
        week = (ExerciseSession.day - started.c.practice_started_on) / 7
        per_week = Counter(
            dict(
                database.session.execute(
                    select(week, func.count())
                    .join(started, started.c.patient_id == ExerciseSession.patient_id)
                    .group_by(week)
                ).all()
            )
        )
        assert sum(per_week[w] for w in range(4)) > 1.5 * sum(per_week[w] for w in range(8, 12))
        answered = Counter(database.session.scalars(select(Reassessment.practice_week)))
        assert answered[4] > answered[12] > 0  # fewer answer each check-in
        assert database.session.scalar(select(func.count()).select_from(Referral)) > 0


def test_seeded_data_is_reproducible(db, owner_engine):
    seed(1, 50, random_seed=11)
    first = list(database.session.scalars(select(Patient.pseudonym).order_by(Patient.id)))
    database.session.commit()
    with owner_engine.begin() as connection:  # the app itself may not delete tenants
        connection.exec_driver_sql("TRUNCATE tenants RESTART IDENTITY CASCADE")
    seed(1, 50, random_seed=11)
    assert list(database.session.scalars(select(Patient.pseudonym).order_by(Patient.id))) == first


def test_seeding_in_processes_side_by_side_makes_the_same_data(db, owner_engine):
    """`--jobs`: each tenant from its own generator, whichever process seeds it."""

    def pseudonyms() -> dict[str, list[str]]:
        rows = database.session.execute(
            select(Tenant.slug, Patient.pseudonym)
            .join(Patient, Patient.tenant_id == Tenant.id)
            .order_by(Patient.id)
        )
        by_tenant: dict[str, list[str]] = {}
        for slug, pseudonym in rows:
            by_tenant.setdefault(slug, []).append(pseudonym)
        return by_tenant

    seed(2, 20, random_seed=7)
    with cross_tenant(database.session, "test: the seeded women"):
        alone = pseudonyms()
    database.session.commit()
    with owner_engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE tenants RESTART IDENTITY CASCADE")
    seed(2, 20, random_seed=7, jobs=2)
    with cross_tenant(database.session, "test: the seeded women"):
        assert pseudonyms() == alone
    assert len(alone) == 2
    assert all(len(women) == 20 for women in alone.values())


def test_seed_command(cli, db):
    result = cli("seed", "--tenants", "2", "--patients", "10")
    assert result.exit_code == 0, result.output
    assert "seeded 2 tenant(s) with 10 patient(s) each" in result.output
    assert database.session.scalar(select(func.count()).select_from(Patient)) == 20


def test_demo_seed_is_idempotent_with_phases_and_logins(client, sign_in):
    seed_demo()
    seed_demo()
    assert database.session.scalar(select(func.count()).select_from(Tenant)) == 2
    kinds = set(database.session.scalars(select(Tenant.kind)))
    assert kinds == {"insurer", "practice"}
    assert len(set(database.session.scalars(select(Patient.phase)))) >= 4
    staff = sign_in("horizon", "fysio@horizon.example", DEMO_PASSWORD)
    assert staff.headers["Location"] == "/t/horizon/login/verify"  # demo staff use 2FA too
    assert sign_in("delinde", "julia@delinde.example", DEMO_PASSWORD).status_code == 302
    assert "Hallo Julia" in client.get("/t/delinde/").text


def test_demo_refuses_to_run_outside_demo_mode(cli):
    result = cli("demo", "--no-serve")
    assert result.exit_code != 0
    assert "PELVICOACH_ENV=demo" in result.output


def test_demo_command_migrates_seeds_and_serves_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PELVICOACH_")} | {
        "PELVICOACH_ENV": "demo",
        "PELVICOACH_INSTANCE_PATH": str(tmp_path),
    }
    process = subprocess.Popen(
        [str(BIN / "pelvicoach"), "demo", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base, seen = None, []
        reader = selectors.DefaultSelector()
        reader.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while base is None and time.monotonic() < deadline and process.poll() is None:
            if not reader.select(timeout=1):
                continue
            line = process.stdout.readline()
            seen.append(line)
            match = re.search(r"Pelvicoach demo on (http://127\.0\.0\.1:\d+)", line)
            base = match.group(1) if match else None
        assert base is not None, "".join(seen[-20:])
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"{base}/t/delinde/login", timeout=5) as response:
            assert "Bekkenfysiotherapie De Linde" in response.read().decode()
        assert (tmp_path / "pelvicoach.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
    with sqlite3.connect(tmp_path / "pelvicoach.db") as demo:
        # The rollups SQLite's triggers keep match the seeded sets (the demo counts in UTC)
        days = demo.execute(
            "SELECT s.patient_id, s.day, count(*), date(p.enrolled_at) FROM exercise_sessions s"
            " JOIN patients p ON p.id = s.patient_id GROUP BY 1, 2"
        ).fetchall()
        assert days
        kept = demo.execute("SELECT patient_id, day, sets FROM practice_days").fetchall()
        assert sorted(kept) == sorted((woman, day, sets) for woman, day, sets, _ in days)
        weeks: dict[int, int] = {}
        for woman, day, _sets, enrolled in days:
            since = (date.fromisoformat(day) - date.fromisoformat(enrolled)).days
            if 0 <= since < 84:
                weeks[woman] = weeks.get(woman, 0) | 1 << since // 7
        assert weeks
        assert dict(demo.execute("SELECT patient_id, weeks FROM practice_weeks")) == weeks


def test_seed_numbers_on_from_the_highest_synthetic_tenant(db, owner_engine):
    seed(3, 2)
    with owner_engine.begin() as connection:  # a gap: the second one was removed
        connection.exec_driver_sql("DELETE FROM tenants WHERE slug = 'synthetic-0002'")
    assert [t.slug for t in seed(1, 2)] == ["synthetic-0004"]


def test_the_demo_runs_on_postgresql_under_row_level_security(make_app, db, app):
    """As a platform process would, with no cross-tenant view: every row must be written as
    its own tenant (the last patient of a tenant used to be flushed after its context ended)."""
    demo = make_app(
        platform=True, PELVICOACH_MODE="demo", REDIS_URL=None, RATELIMIT_STORAGE_URI="memory://"
    )

    def run() -> object:
        with demo.app_context():
            return demo.test_cli_runner().invoke(args=["demo", "--no-serve"])

    result = contextvars.Context().run(run)
    assert result.exit_code == 0, result.output
    # The eight named women, and Horizon's 240 anonymous members for its report
    assert database.session.scalar(select(func.count()).select_from(Patient)) == 8 + 240
    client = app.test_client()
    login = {"email": "emma@delinde.example", "password": DEMO_PASSWORD}
    assert client.post("/t/delinde/login", data=login).headers["Location"] == "/t/delinde/"


def test_seeded_patients_can_sign_in(cli, app):
    result = cli("seed", "--tenants", "1", "--patients", "3", "--patient-password", "seeded-pass")
    assert result.exit_code == 0, result.output
    emails = database.session.scalars(
        select(User.email).join(UserRole).where(UserRole.role == "patient").order_by(User.id)
    ).all()
    assert emails == [f"patient{n}@synthetic-0001.example" for n in (1, 2, 3)]
    client = app.test_client()
    login = {"email": emails[0], "password": "seeded-pass"}
    answer = client.post("/t/synthetic-0001/login", data=login)
    assert answer.headers["Location"] == "/t/synthetic-0001/"
    assert client.get("/t/synthetic-0001/my-data/access").status_code == 200
