"""A tenant with its program published and care providers listed, and a patient to walk it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.configuration.services import publish
from pelvicoach.tenants.care_providers import add_provider

PROVIDERS = [
    ("gp", "Huisarts Utrecht Centrum", "3511 AB", "Utrecht"),
    ("gp", "Huisarts Amsterdam Pijp", "1072 LN", "Amsterdam"),
    ("gp", "Huisarts Groningen", "9711 AA", "Groningen"),
    ("pelvic_physio", "Bekkenfysio Amsterdam Oost", "1093 EE", "Amsterdam"),
    ("pelvic_physio", "Bekkenfysio Utrecht", "3581 AB", "Utrecht"),
]


@pytest.fixture
def linde(make_tenant, db):
    tenant = make_tenant("linde")
    with tenant_context(tenant.id, database.session):
        publish(tenant.id, {})
        for kind, name, postcode, city in PROVIDERS:
            add_provider(
                tenant.id, kind=kind, name=name, address="Straat 1", postcode=postcode, city=city
            )
        database.session.commit()
    return tenant


@pytest.fixture
def patient_in(linde, make_patient, sign_in, db) -> Callable[..., object]:
    """A signed-in patient of the given cohort at `linde`."""

    def make(email: str = "anna@example.nl", cohort: str = "postpartum") -> object:
        patient = make_patient(linde, email, phase="information")
        with tenant_context(linde.id, database.session):
            database.session.merge(patient).cohort = cohort
            database.session.commit()
        assert sign_in("linde", email).status_code == 302
        return patient

    return make


@pytest.fixture
def walk(client) -> Callable[[dict], object]:
    """Answer the intake screen by screen as a browser would; the response of the last post."""

    def answer_all(answers: dict) -> object:
        start = client.get("/t/linde/intake")
        location = re.search(r'href="(/t/linde/intake/q/[a-z_]+)"', start.text).group(1)
        response = None
        while "/intake/q/" in location:
            key = location.rsplit("/", 1)[1]
            assert key in answers, f"asked {key}, which the test has no answer for"
            response = client.post(location, data={"answer": answers[key]})
            assert response.status_code == 302, (key, response.text[:500])
            location = response.headers["Location"]
        assert location.endswith("/intake/check")
        return client.post(location)

    return answer_all


@pytest.fixture
def trainee(patient_in, walk) -> Callable[..., object]:
    """A signed-in patient whose intake unlocked training (with bladder training for urge)."""
    from intake_answers import URGE, postpartum

    def make(email: str = "anna@example.nl", urge: bool = False) -> object:
        patient = patient_in(email)
        walk(postpartum(10, **(URGE if urge else {})))
        return patient

    return make
