"""Synthetic, realistic data for demos and benchmarks: tenants, staff and patients in bulk.

Rows go in with executemany inserts, not one ORM object at a time, so a benchmark database of
hundreds of thousands of patients builds in minutes. Seeded accounts get no usable password
unless one is asked for (one hash per kind of account, shared, as hashing per row would
dominate the run); their addresses (`patient12@<tenant>.example`) pass the sign-in form.
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import click
from faker import Faker
from flask.cli import with_appcontext
from sqlalchemy import select

from pelvicoach.platform.accounts import Role, User, UserRole, hash_password
from pelvicoach.platform.extensions import db, insert_all
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Cohort, Patient, Phase
from pelvicoach.programs.enrolment.services import new_pseudonym
from pelvicoach.programs.seed_history import Woman, histories
from pelvicoach.programs.training import partitions
from pelvicoach.tenants.models import Tenant, TenantKind

PHASE_WEIGHTS = {
    Phase.INFORMATION: 15,
    Phase.AWARENESS: 25,
    Phase.INTAKE: 10,
    Phase.TRAINING: 40,
    Phase.REFERRED: 10,
}
BRAND_COLOURS = ("#0b5fa5", "#1f7a4d", "#8a2b68", "#b5451b", "#2d4a8a", "#006d77")
PATIENTS_PER_CLINICIAN = 150
BATCH = 5_000
SLUG_PREFIX = "synthetic-"
ENROLLED_WITHIN = 365  # days


def _insert_users(rows: list[dict], role: str) -> list[int]:
    ids = insert_all(User, rows, ids=True)
    insert_all(UserRole, [{"user_id": uid, "role": role} for uid in ids])
    return ids


def seed(
    tenants: int,
    patients: int,
    *,
    random_seed: int = 42,
    staff_password: str | None = None,
    patient_password: str | None = None,
    progress: Callable[[Tenant], None] | None = None,
    jobs: int = 1,
) -> list[Tenant]:
    """Create `tenants` tenants with `patients` patients each; return the tenants.

    Each tenant is committed on its own, so a long run that stops keeps what it made, and a
    run after it carries on numbering from the highest synthetic tenant there is. Each tenant's
    data comes from its own random generator (the seed and its number), so `jobs` processes
    (a database of millions: both the inserts and the generating take a core) make the same
    data as one."""
    first = _next_number()
    numbers = list(range(first, first + tenants))
    now = datetime.now(UTC)
    # A month of the session log for each month of the histories (enrolled up to a year ago)
    partitions.ensure(now.date() - timedelta(days=ENROLLED_WITHIN + 31), now.date())
    if jobs > 1:
        shares = [
            (numbers[k::jobs], patients, random_seed, staff_password, patient_password, now)
            for k in range(jobs)
        ]
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            pool.starmap(_seed_elsewhere, shares)
        slugs = [f"{SLUG_PREFIX}{number:04d}" for number in numbers]
        return list(
            db.session.scalars(select(Tenant).where(Tenant.slug.in_(slugs)).order_by(Tenant.slug))
        )
    staff_hash = hash_password(staff_password) if staff_password else None
    patient_hash = hash_password(patient_password) if patient_password else None
    created: list[Tenant] = []
    for number in numbers:
        created.append(_seed_tenant(number, patients, random_seed, now, staff_hash, patient_hash))
        if progress is not None:
            progress(created[-1])
    return created


def _seed_elsewhere(
    numbers: list[int],
    patients: int,
    random_seed: int,
    staff_password: str | None,
    patient_password: str | None,
    now: datetime,
) -> None:
    """One of `seed`'s processes: an app of its own (settings from the environment)."""
    from pelvicoach.platform.app import create_app

    with create_app(platform=True).app_context():
        staff_hash = hash_password(staff_password) if staff_password else None
        patient_hash = hash_password(patient_password) if patient_password else None
        for number in numbers:
            _seed_tenant(number, patients, random_seed, now, staff_hash, patient_hash)


def _seed_tenant(
    number: int,
    patients: int,
    random_seed: int,
    now: datetime,
    staff_hash: str | None,
    patient_hash: str | None,
) -> Tenant:
    rng = random.Random(f"{random_seed}:{number}")
    fake = Faker("nl_NL")
    fake.seed_instance(f"{random_seed}:{number}")
    kind = TenantKind.PRACTICE if number % 3 else TenantKind.INSURER
    label = "Bekkenfysiotherapie" if kind == TenantKind.PRACTICE else "Zorgverzekeraar"
    tenant = Tenant(
        slug=f"{SLUG_PREFIX}{number:04d}",
        name=f"{label} {fake.city()}",
        kind=kind,
        brand_color=rng.choice(BRAND_COLOURS),
    )
    db.session.add(tenant)
    db.session.flush()
    with tenant_context(tenant.id, db.session):
        clinician_ids = _seed_staff(tenant, patients, fake, staff_hash)
        add_women(tenant, patients, clinician_ids, rng, fake, now, patient_hash)
        db.session.commit()
    return tenant


def _next_number() -> int:
    slugs = db.session.scalars(select(Tenant.slug).where(Tenant.slug.like(f"{SLUG_PREFIX}%")))
    numbers = [int(slug.removeprefix(SLUG_PREFIX)) for slug in slugs if slug[-4:].isdigit()]
    return max(numbers, default=0) + 1


def _seed_staff(tenant: Tenant, patients: int, fake: Faker, password_hash: str | None) -> list[int]:
    """One admin, enrolment officer and analyst; a clinician per 150 patients. Clinician ids."""
    staff = dict.fromkeys((Role.ADMIN, Role.ENROLMENT, Role.ANALYST), 1)
    staff[Role.CLINICIAN] = max(1, patients // PATIENTS_PER_CLINICIAN)
    clinician_ids: list[int] = []
    for role, count in staff.items():
        rows = [
            {
                "tenant_id": tenant.id,
                "email": f"{role}{i}@{tenant.slug}.example",
                "name": fake.name_female(),
                "password_hash": password_hash,
            }
            for i in range(1, count + 1)
        ]
        ids = _insert_users(rows, role)
        if role == Role.CLINICIAN:
            clinician_ids = ids
    return clinician_ids


def add_women(
    tenant: Tenant,
    count: int,
    clinician_ids: list[int | None],
    rng: random.Random,
    fake: Faker,
    now: datetime,
    password_hash: str | None,
    version_id: int | None = None,
    first: int = 1,
) -> None:
    """`count` women with accounts, each on one of `clinician_ids` (None: nobody's caseload)
    and pinned to `version_id`, with histories that fit their step; their addresses numbered
    from `first`."""
    pseudonyms: set[str] = set()
    phases = list(PHASE_WEIGHTS)
    weights = list(PHASE_WEIGHTS.values())
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        user_rows = [
            {
                "tenant_id": tenant.id,
                "email": f"patient{first + start + i}@{tenant.slug}.example",
                "name": fake.name_female(),
                "password_hash": password_hash,
                "locale": rng.choice(("nl", "nl", "nl", "en")),
            }
            for i in range(size)
        ]
        user_ids = _insert_users(user_rows, Role.PATIENT)
        patient_rows = []
        for user_id in user_ids:
            pseudonym = new_pseudonym(rng)
            while pseudonym in pseudonyms:
                pseudonym = new_pseudonym(rng)
            pseudonyms.add(pseudonym)
            cohort = Cohort.POSTPARTUM if rng.random() < 0.85 else Cohort.MENOPAUSE
            enrolled = now - timedelta(
                days=rng.randint(0, ENROLLED_WITHIN), minutes=rng.randint(0, 1439)
            )
            delivery = (enrolled - timedelta(days=rng.randint(14, 250))).date()
            patient_rows.append(
                {
                    "tenant_id": tenant.id,
                    "user_id": user_id,
                    "pseudonym": pseudonym,
                    "cohort": cohort,
                    "birth_year": rng.randint(1982, 2004)
                    if cohort == Cohort.POSTPARTUM
                    else rng.randint(1966, 1978),
                    "delivery_date": delivery if cohort == Cohort.POSTPARTUM else None,
                    "phase": rng.choices(phases, weights)[0],
                    "clinician_id": rng.choice(clinician_ids),
                    "enrolled_at": enrolled,
                    "program_version_id": version_id,
                }
            )
        ids = insert_all(Patient, patient_rows, ids=True)
        women = [
            Woman(patient_id, row["phase"], row["cohort"].value, row["enrolled_at"])
            for patient_id, row in zip(ids, patient_rows, strict=True)
        ]
        histories(tenant.id, women, rng, now)


@click.command("seed")
@click.option("--tenants", type=click.IntRange(min=1), default=2, show_default=True)
@click.option(
    "--patients",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Patients per tenant.",
)
@click.option("--random-seed", type=int, default=42, show_default=True)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=32),
    default=1,
    show_default=True,
    help="Processes seeding tenants side by side.",
)
@click.option(
    "--staff-password",
    envvar="PELVICOACH_SEED_STAFF_PASSWORD",
    help="Give seeded staff this password (or set PELVICOACH_SEED_STAFF_PASSWORD).",
)
@click.option(
    "--patient-password",
    envvar="PELVICOACH_SEED_PATIENT_PASSWORD",
    help="Give seeded patients this password (or set PELVICOACH_SEED_PATIENT_PASSWORD).",
)
@with_appcontext
def seed_command(
    tenants: int,
    patients: int,
    random_seed: int,
    jobs: int,
    staff_password: str | None,
    patient_password: str | None,
) -> None:
    """Generate synthetic tenants, staff and patients (for demos and benchmarks)."""
    started = datetime.now(UTC)
    created = seed(
        tenants,
        patients,
        random_seed=random_seed,
        staff_password=staff_password,
        patient_password=patient_password,
        progress=lambda tenant: click.echo(f"  {tenant.slug}: {patients} patients", err=True),
        jobs=jobs,
    )
    seconds = (datetime.now(UTC) - started).total_seconds()
    click.echo(
        f"seeded {len(created)} tenant(s) with {patients} patient(s) each "
        f"({created[0].slug} .. {created[-1].slug}) in {seconds:.1f} s"
    )
