"""Training on a phone (360 x 740, Dutch): a woman unlocks training, does a guided set with the
player, logs it in two taps, and after enough logged days (time moved by writing the past, not
by sleeping) is offered the next level; axe-core on every page on the way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from intake_answers import postpartum
from playwright.sync_api import Page, expect
from sqlalchemy import select
from training_history import add_sets
from walking import accessible, answer_intake, sign_in

from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.tenants.services import get_by_slug

pytestmark = pytest.mark.browser


def earlier_days(platform_app, email: str, days: list[int], sets: int = 3) -> None:
    """She trained on these days before (and her level started before them)."""
    with platform_app.app_context():
        tenant = get_by_slug("delinde")
        with tenant_context(tenant.id, db.session):
            patient = db.session.scalar(
                select(Patient).join(User, User.id == Patient.user_id).where(User.email == email)
            )
            plan = db.session.scalar(
                select(TrainingPlan).where(TrainingPlan.patient_id == patient.id)
            )
            plan.level_since -= timedelta(days=max(days) + 1)
            add_sets(tenant.id, patient.id, days, plan.level, sets)
            db.session.commit()


def test_a_guided_set_logged_and_the_next_level_offered(coach, page: Page, platform_app):
    base, enrol = coach
    email = enrol("oefenen")
    sign_in(page, base, email)
    problems: list[str] = []
    answer_intake(page, base, postpartum(10), problems)
    page.clock.install()  # (axe's check turns motion off: the fake clock stops transitions)
    page.goto(f"{base}/t/delinde/")
    page.get_by_role("link", name="Naar de oefeningen van vandaag").click()
    accessible(page, problems)
    expect(page.get_by_role("heading", name=re.compile("^Niveau 1"))).to_be_visible()
    cue = page.locator("[data-player=cue]")
    page.get_by_role("button", name="Start", exact=True).click()
    page.clock.run_for(12_000)  # past the lead-in: the first hold
    expect(cue).to_have_text("Knijp en trek omhoog")
    page.keyboard.press("Enter")  # focus is on pause
    expect(cue).to_have_text("Gepauzeerd")
    page.clock.run_for(60_000)
    expect(cue).to_have_text("Gepauzeerd")  # paused means paused
    page.get_by_role("button", name="Start", exact=True).click()
    page.clock.run_for(120_000)
    expect(page.locator("#log-heading")).to_be_focused()  # the set is over: log it
    accessible(page, problems)
    page.get_by_role("button", name="Precies goed").click()
    expect(page.get_by_text("Opgeslagen. Goed gedaan!")).to_be_visible()
    expect(page.get_by_text("Vandaag: 1 van de 2 keer gedaan")).to_be_visible()  # De Linde: 2 a day

    earlier_days(platform_app, email, [1, 2, 3, 5])
    page.reload()
    expect(page.get_by_text("Tot nu toe: 4.")).to_be_visible()
    expect(page.get_by_role("heading", name="Klaar voor het volgende niveau")).to_have_count(0)
    page.locator("label[for=completion-partly]").click()  # part of it: does not count
    page.get_by_role("button", name="Makkelijk").click()
    expect(page.get_by_role("heading", name="Klaar voor het volgende niveau")).to_have_count(0)
    page.get_by_role("button", name="Makkelijk").click()
    expect(page.get_by_role("heading", name="Klaar voor het volgende niveau")).to_be_visible()
    accessible(page, problems)
    page.get_by_role("button", name="Naar niveau 2").click()
    expect(page.get_by_text("Je oefent nu op niveau 2.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Niveau 2"))).to_be_visible()
    page.get_by_role("link", name="Voortgang", exact=True).click()
    accessible(page, problems)
    expect(page.get_by_text("Je oefent op niveau 2 van 12.")).to_be_visible()
    expect(page.get_by_text("Je oefende op 5 dagen in de laatste 4 weken.")).to_be_visible()
    page.goto(f"{base}/t/delinde/training/level")
    accessible(page, problems)
    expect(page.locator("#level-3")).to_be_enabled()  # reached 2, one beyond
    expect(page.locator("#level-4")).to_be_disabled()
    assert problems == []
