"""The installable portal offline (360 x 740, Dutch, Chromium): the training page and its
player work with the network switched off, a set logged offline waits on the phone and arrives
once when she is back online; signing out leaves no cached pages behind."""

from __future__ import annotations

import pytest
from intake_answers import postpartum
from playwright.sync_api import Page, expect
from sqlalchemy import select
from walking import accessible, answer_intake, sign_in

from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.training.models import ExerciseSession
from pelvicoach.tenants.services import get_by_slug

pytestmark = pytest.mark.browser

KEPT = """path => caches.keys()
  .then(keys => Promise.all(keys.map(key => caches.open(key).then(c => c.match(path)))))
  .then(found => found.some(Boolean))"""


def logged_sets(platform_app, email: str) -> list[str]:
    with platform_app.app_context():
        tenant = get_by_slug("delinde")
        with tenant_context(tenant.id, db.session):
            return db.session.scalars(
                select(ExerciseSession.client_id)
                .join(Patient, Patient.id == ExerciseSession.patient_id)
                .join(User, User.id == Patient.user_id)
                .where(User.email == email)
            ).all()


def test_the_player_works_offline_and_a_set_logged_offline_arrives_once(
    coach, page: Page, platform_app
):
    base, enrol = coach
    email = enrol("offline")
    sign_in(page, base, email)
    problems: list[str] = []
    answer_intake(page, base, postpartum(10), problems)
    manifest = page.request.get(f"{base}/t/delinde/manifest.webmanifest").json()
    assert manifest["display"] == "standalone"
    assert manifest["scope"] == "/t/delinde/"
    page.goto(f"{base}/t/delinde/training")
    page.evaluate("navigator.serviceWorker.ready")  # installed, its files cached
    page.reload()  # now controlled by it; the training page is kept for offline use
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(KEPT, arg="/t/delinde/training")

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Oefenen", exact=True)).to_be_visible()
    page.clock.install()
    page.get_by_role("button", name="Start", exact=True).click()
    page.clock.run_for(12_000)
    expect(page.locator("[data-player=cue]")).to_have_text("Knijp en trek omhoog")
    page.get_by_role("button", name="Precies goed").click()
    expect(page.get_by_text("Geen internet: 1 keer bewaard op je telefoon.")).to_be_visible()
    accessible(page, problems)
    page.goto(f"{base}/t/delinde/care")  # a page never opened: the offline page
    expect(page.get_by_role("heading", level=1)).to_have_text("Je bent offline")
    assert logged_sets(platform_app, email) == []

    page.go_back()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_text("Vandaag: 1 van de 2 keer gedaan")).to_be_visible(timeout=10_000)
    sent = logged_sets(platform_app, email)
    assert len(sent) == 1
    page.reload()  # nothing left to send: still one
    expect(page.get_by_text("Vandaag: 1 van de 2 keer gedaan")).to_be_visible()
    assert logged_sets(platform_app, email) == sent

    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("localStorage.length") == 0
    assert problems == []
