"""WCAG 2.1 AA checks (axe-core in Chromium) on the main pages, and a clinician's first sign-in
with two-step verification, as a person would do it."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from axe import violations
from playwright.sync_api import Page, expect

from pelvicoach.programs.demo import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    # The product's CSP forbids injected scripts; only the test browser may add axe.
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "locale": "nl-NL",
        "bypass_csp": True,
    }


@pytest.fixture
def demo(live_server, platform_app):
    with platform_app.app_context():
        seed_demo()
    return live_server


def sign_in(page: Page, base: str, slug: str, email: str) -> None:
    page.goto(f"{base}/t/{slug}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def test_public_pages_meet_wcag_aa(demo, page: Page):
    for path in ("/t/delinde/", "/t/delinde/login", "/t/delinde/forgot-password", "/t/nobody/"):
        page.goto(f"{demo}{path}")
        assert violations(page) == [], path
    page.goto(f"{demo}/t/delinde/login?lang=en")
    assert violations(page) == []


def test_patient_pages_meet_wcag_aa(demo, page: Page):
    sign_in(page, demo, "delinde", "julia@delinde.example")
    expect(page.get_by_role("heading", name="Hallo Julia")).to_be_visible()
    assert violations(page) == []
    page.get_by_role("link", name="Wie heeft mijn gegevens bekeken").click()
    assert violations(page) == []
    page.goto(f"{demo}/t/delinde/my-data")
    expect(page.get_by_role("heading", name="Al mijn gegevens")).to_be_visible()
    assert violations(page) == []


def test_a_clinician_sets_up_two_step_verification(demo, page: Page, platform_app, output_path):
    from pelvicoach.platform.accounts import create_user
    from pelvicoach.platform.extensions import db
    from pelvicoach.platform.tenancy import tenant_context
    from pelvicoach.tenants.services import get_by_slug

    with platform_app.app_context():
        tenant = get_by_slug("delinde")
        with tenant_context(tenant.id, db.session):
            create_user(
                tenant_id=tenant.id,
                email="nieuw@delinde.example",
                name="Nina Nieuw",
                roles=["clinician"],
                password=DEMO_PASSWORD,
            )
            db.session.commit()

    sign_in(page, demo, "delinde", "nieuw@delinde.example")
    expect(page.get_by_role("heading", name="Tweestapsverificatie instellen")).to_be_visible()
    expect(page.get_by_role("img", name="QR-code voor je authenticator-app")).to_be_visible()
    assert violations(page) == []
    shot = Path(output_path) / "setup-2fa.png"
    page.screenshot(path=shot, full_page=True)

    key = page.locator("code.user-select-all").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    page.get_by_label("Code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Aanzetten").click()
    expect(page.get_by_role("heading", name="Je herstelcodes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Ik heb ze bewaard").click()
    expect(page.get_by_role("heading", name="Welkom, Nina Nieuw")).to_be_visible()
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Patiënten"
    ).click()
    expect(page.get_by_role("heading", name="Patiënten")).to_be_visible()
    assert violations(page) == []
