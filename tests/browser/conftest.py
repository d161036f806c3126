"""The phone every coach walk uses (360 x 740, Dutch) and the demo with a way to enrol a new
woman at De Linde."""

from __future__ import annotations

import pytest

from pelvicoach.platform.accounts import Role, create_user
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.demo import DEMO_PASSWORD, seed_demo
from pelvicoach.programs.enrolment.models import Cohort, Patient, Phase
from pelvicoach.tenants.services import get_by_slug


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    return {
        **browser_context_args,
        "viewport": {"width": 360, "height": 740},
        "locale": "nl-NL",
        "bypass_csp": True,  # only to inject axe-core; the product keeps its CSP
        "accept_downloads": True,
    }


@pytest.fixture
def coach(live_server, platform_app):
    """The demo tenants, and a way to enrol a new woman at De Linde."""
    with platform_app.app_context():
        seed_demo()

    def enrol(local: str, cohort: Cohort = Cohort.POSTPARTUM) -> str:
        email = f"{local}@delinde.example"
        with platform_app.app_context():
            tenant = get_by_slug("delinde")
            with tenant_context(tenant.id, db.session):
                user = create_user(
                    tenant_id=tenant.id,
                    email=email,
                    name=f"{local.title()} Test",
                    roles=[Role.PATIENT],
                    password=DEMO_PASSWORD,
                    locale="nl",
                )
                db.session.flush()
                db.session.add(
                    Patient(
                        tenant_id=tenant.id,
                        user_id=user.id,
                        pseudonym=f"PWALK{user.id:04d}",
                        cohort=cohort,
                        birth_year=1992,
                        phase=Phase.INFORMATION,
                    )
                )
                db.session.commit()
        return email

    return live_server, enrol
