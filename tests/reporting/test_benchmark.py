"""The operator's cross-tenant benchmark on PostgreSQL: five tenants built by hand, each rate
against the exact median of its peers; small groups and lone comparisons hidden; the page for
the operator only, audited, and without a woman in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pandas as pd
import pytest
from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.intake.models import Intake
from pelvicoach.reporting import benchmark
from pelvicoach.reporting.benchmark import Cell, Status
from pelvicoach.reporting.facts import Stage
from pelvicoach.tenants.models import TenantStatus

PAGE = "/operator/benchmark/"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ENROLLED = NOW - timedelta(weeks=20)
INTAKE, TRAINING = benchmark.METRICS[0], benchmark.METRICS[1]
# Women per tenant: (not past the intake, intake done without training, training opened).
# Finished the intake: A 10/20, B 15/20, C 15/25, D 15/20, E 12/16 (only 4 did not: hidden).
# Training opened, of those: A 5/10, B 10/15, C 5/15, D 5/15, E 6/12.
WOMEN = {
    "anker": (10, 5, 5),
    "baken": (5, 5, 10),
    "cirkel": (10, 10, 5),
    "duin": (5, 10, 5),
    "eik": (4, 6, 6),
}


def _add_women(db, tenant, waiting: int, awareness: int, training: int) -> None:
    """Unregistered women, straight into the tenant's tables (no accounts: quick to make)."""
    routes = [None] * waiting + ["awareness"] * awareness + ["training"] * training
    with tenant_context(tenant.id, db.session):
        for number, route in enumerate(routes):
            woman = Patient(
                tenant_id=tenant.id,
                pseudonym=f"PB{tenant.id:02d}{number:05d}",
                birth_year=1992,
                enrolled_at=ENROLLED,
            )
            db.session.add(woman)
            db.session.flush()
            if route is not None:
                done = ENROLLED + timedelta(days=2)
                db.session.add(
                    Intake(
                        tenant_id=tenant.id,
                        patient_id=woman.id,
                        cohort="postpartum",
                        started_at=done,
                        updated_at=done,
                        completed_at=done,
                        route=route,
                        rule=route,
                        scores={"incontinence_type": "stress", "control": "sufficient"},
                    )
                )
        db.session.commit()


@pytest.fixture
def tenants(make_tenant, make_user, make_patient, db):
    """Five practices with k = 5, and at Anker two women with an account (named, e-mailed)."""
    made = {}
    for slug, counts in WOMEN.items():
        tenant = make_tenant(slug, name=f"Praktijk {slug.title()}")
        tenant.report_min_group = 5
        db.session.commit()
        named = 2 if slug == "anker" else 0
        for number in range(named):
            make_patient(tenant, f"sanne.{number}@voorbeeld.nl")
        _add_women(db, tenant, counts[0] - named, *counts[1:])
        made[slug] = tenant
    return made


def _cells(rows: list[benchmark.Row], key: str) -> dict[str, Cell]:
    return {row.name.removeprefix("Praktijk ").lower(): row.cells[key] for row in rows}


def test_each_rate_against_the_exact_median_of_its_peers(tenants, db):
    rows = benchmark.read(NOW)
    assert [row.name for row in rows] == [f"Praktijk {slug.title()}" for slug in WOMEN]
    intake = _cells(rows, "intake")
    # Eik's 4 women who did not finish are fewer than k: its rate is hidden, and it is no peer.
    assert intake["eik"] == Cell(Status.SMALL_GROUP)
    half, three_quarters, three_fifths = Fraction(1, 2), Fraction(3, 4), Fraction(3, 5)
    assert intake["anker"] == Cell(Status.SHOWN, half, three_quarters, 3)  # of B, C, D
    assert intake["baken"] == Cell(Status.SHOWN, three_quarters, three_fifths, 3)  # A, C, D
    assert intake["cirkel"] == Cell(Status.SHOWN, three_fifths, three_quarters, 3)
    assert intake["duin"] == Cell(Status.SHOWN, three_quarters, three_fifths, 3)
    training = _cells(rows, "training")
    third, two_thirds = Fraction(1, 3), Fraction(2, 3)
    middle = (third + half) / 2  # four peers: the mean of the middle two, exactly
    assert training["anker"] == Cell(Status.SHOWN, half, middle, 4)  # 2/3, 1/3, 1/3, 1/2
    assert training["baken"] == Cell(Status.SHOWN, two_thirds, middle, 4)
    assert training["cirkel"] == Cell(Status.SHOWN, third, half, 4)  # 1/2, 2/3, 1/3, 1/2
    assert training["duin"] == Cell(Status.SHOWN, third, half, 4)
    assert training["eik"] == Cell(Status.SHOWN, half, middle, 4)
    # Nobody did her plan's sets, answered a check-in or was referred: no rate anywhere.
    for key in ("plan", "pgi_8", "answered_8", "referred"):
        assert set(_cells(rows, key).values()) == {Cell(Status.SMALL_GROUP)}, key


def test_a_tenant_with_fewer_than_three_peers_is_not_compared(tenants, db):
    tenants["duin"].status = TenantStatus.SUSPENDED  # suspended tenants are not benchmarked
    db.session.commit()
    rows = benchmark.read(NOW)
    assert "Praktijk Duin" not in [row.name for row in rows]
    intake = _cells(rows, "intake")  # Anker, Baken and Cirkel each have two peers left
    for slug in ("anker", "baken", "cirkel"):
        assert intake[slug] == Cell(Status.FEW_PEERS), slug
    training = _cells(rows, "training")  # still four rates: three peers each
    assert training["anker"] == Cell(Status.SHOWN, Fraction(1, 2), Fraction(1, 2), 3)


def test_each_tenant_hides_groups_below_its_own_k(tenants, db):
    tenants["baken"].report_min_group = 10  # its 5 women short of the intake are now too few
    db.session.commit()
    rows = benchmark.read(NOW)
    intake, training = _cells(rows, "intake"), _cells(rows, "training")
    assert intake["baken"] == Cell(Status.SMALL_GROUP)
    assert training["baken"] == Cell(Status.SMALL_GROUP)  # 10 of 15: the other 5 too few
    assert intake["anker"] == Cell(Status.FEW_PEERS)  # Cirkel and Duin alone
    assert training["anker"] == Cell(Status.SHOWN, Fraction(1, 2), Fraction(1, 3), 3)


@pytest.mark.parametrize(
    ("counted", "rest", "k", "shown"),
    [
        (5, 5, 5, Fraction(1, 2)),
        (4, 6, 5, None),
        (6, 4, 5, None),
        (10, 5, 6, None),
        (0, 20, 5, None),
    ],
)
def test_a_rate_needs_k_women_on_both_sides(counted, rest, k, shown):
    women = pd.DataFrame({"stage": [Stage.INTAKE, Stage.INVITED], "n": [counted, rest]})
    assert benchmark.rate(women, INTAKE, k) == shown


def test_the_operator_reads_it_audited_without_a_woman_in_it(
    client, tenants, make_user, sign_in_staff, db, count_queries
):
    operator = make_user(None, "ops@pelvicoach.nl", "operator")
    sign_in_staff(None, operator)
    assert 'href="/operator/benchmark/"' in client.get("/operator/").text
    with count_queries() as counter:
        page = client.get(PAGE + "?lang=en")
    assert page.status_code == 200
    # One query per tenant counts its women.
    assert sum("FROM patients" in statement for statement in counter.statements) == len(WOMEN)
    assert "Praktijk Anker" in page.text
    assert "median of 3 peers: 75%" in page.text  # Anker's intake against Baken, Cirkel, Duin
    assert "median of 4 peers: 42%" in page.text  # training: 5/12
    assert "group too small" in page.text
    assert 'aria-current="page"' in page.text
    with tenant_context(tenants["anker"].id, db.session):
        women = db.session.scalars(select(Patient)).all()
    assert len(women) == 20
    for woman in women:
        assert woman.pseudonym not in page.text
    assert "sanne" not in page.text.lower()  # neither her e-mail address nor her name
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "benchmark.view")
    ).all()
    assert event.tenant_id is None  # the platform's chain
    assert event.actor_id == operator.id
    assert event.detail == {"tenants": [tenants[slug].id for slug in WOMEN]}


def test_too_few_peers_is_said_on_the_page(client, tenants, make_user, sign_in_staff, db):
    for slug in ("cirkel", "duin"):
        tenants[slug].status = TenantStatus.SUSPENDED
    db.session.commit()
    sign_in_staff(None, make_user(None, "ops@pelvicoach.nl", "operator"))
    page = client.get(PAGE + "?lang=en")
    assert page.status_code == 200
    assert "too few peers" in page.text
    assert not re.search(r"median of \d+ peers", page.text)


@pytest.mark.parametrize("role", ["admin", "analyst", "clinician"])
def test_nobody_but_the_operator_reaches_it(client, make_tenant, make_user, sign_in_staff, role):
    tenant = make_tenant("linde")
    sign_in_staff("linde", make_user(tenant, f"{role}@linde.nl", role))
    assert client.get("/t/linde" + PAGE).status_code == 404  # not on a tenant's site
    assert client.get(PAGE).status_code in (302, 403)  # her session is not the platform's


def test_not_on_a_tenant_site_even_for_the_operator(client, make_tenant, make_user, sign_in_staff):
    make_tenant("linde")
    sign_in_staff(None, make_user(None, "ops@pelvicoach.nl", "operator"))
    assert client.get(PAGE).status_code == 200
    assert client.get("/t/linde" + PAGE).status_code == 404
    anonymous = client.application.test_client()
    assert anonymous.get(PAGE).status_code == 302
