"""Steps every coach walk in the browser takes: signing in, checking each page with axe-core,
answering the intake screen by screen."""

from __future__ import annotations

import re

from axe import violations
from playwright.sync_api import Page, expect

from pelvicoach.programs.demo import DEMO_PASSWORD


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/t/delinde/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hallo")


def accessible(page: Page, problems: list[str]) -> None:
    problems += [f"{page.url}: {v}" for v in violations(page)]


def answer_intake(page: Page, base: str, answers: dict, problems: list[str]) -> None:
    """From her home page to the result, one screen at a time, checking each screen."""
    page.get_by_role("link", name="Beantwoord de vragen").click()
    accessible(page, problems)
    page.get_by_role("link", name="Start").click()
    while "/intake/q/" in page.url:
        key = page.url.rsplit("/", 1)[1]
        accessible(page, problems)
        value = answers[key]
        if key == "delivery_date":
            page.locator("input[name=answer]").fill(value)
        else:
            for chosen in value if isinstance(value, list) else [value]:
                page.locator(f'input[name=answer][value="{chosen}"]').check()
        before = page.url
        page.get_by_role("button", name="Volgende").click()
        page.wait_for_url(lambda url, before=before: url != before)
    expect(page).to_have_url(re.compile(r"/intake/check$"))
    accessible(page, problems)
    page.get_by_role("button", name="Verstuur mijn antwoorden").click()
    expect(page).to_have_url(re.compile(r"/intake/result$"))
    accessible(page, problems)
