"""A woman opens the demo portal on her phone, signs in and sees her coach in its colours."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pelvicoach.programs.demo import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "locale": "nl-NL"}


def test_patient_signs_in_to_the_branded_portal(live_server, platform_app, page: Page, output_path):
    with platform_app.app_context():
        seed_demo()
    page.goto(f"{live_server}/t/delinde/login")
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    page.get_by_label("E-mailadres").fill("julia@delinde.example")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    expect(page.get_by_role("heading", name="Hallo Julia")).to_be_visible()
    header = page.locator("header.pc-header")
    expect(header).to_contain_text("Bekkenfysiotherapie De Linde")
    # #1f6b45, the practice's colour, arrives through brand.css and the CSS custom property.
    expect(header).to_have_css("background-color", "rgb(31, 107, 69)")
    expect(page.locator("[aria-current=step]")).to_contain_text("Oefenen")

    shot = Path(output_path) / "portal-home.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000
