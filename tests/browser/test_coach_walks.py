"""The coach on a phone (360 x 740, Dutch), as women with different answers walk it: what each
one is shown, axe-core on every page on the way, and the main controls by keyboard."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from intake_answers import CLEAR, STRESS, postpartum
from playwright.sync_api import Page, expect
from walking import accessible, answer_intake, sign_in

from pelvicoach.programs.enrolment.models import Cohort

pytestmark = pytest.mark.browser


def test_a_red_flag_sends_her_to_the_gp_with_a_summary_and_providers(coach, page: Page):
    base, enrol = coach
    sign_in(page, base, enrol("rood"))
    problems: list[str] = []
    answer_intake(page, base, postpartum(12, red_flags=["blood_in_urine"]), problems)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ga eerst naar je huisarts")
    with page.expect_download() as download:
        page.get_by_role("link", name="Samenvatting downloaden (pdf)").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    page.get_by_label("Je postcode").fill("3581 AB")
    page.get_by_role("button", name="Zoeken").click()
    accessible(page, problems)
    names = page.locator(".pc-card h3").all_inner_texts()
    assert names[:2] == ["Huisartsen Wittevrouwen", "Huisartsenpraktijk Zeist Noord"]
    assert "Bekkenfysiotherapie De Linde" not in names  # the GP first
    page.goto(f"{base}/t/delinde/learn/how-it-works")  # she may still read
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert problems == []


def test_three_weeks_after_birth_only_information_and_awareness(coach, page: Page):
    base, enrol = coach
    sign_in(page, base, enrol("drieweken"))
    problems: list[str] = []
    answer_intake(page, base, postpartum(3), problems)
    expect(page.get_by_role("heading", level=1)).to_have_text("Eerst herstellen")
    opens = date.today() - timedelta(weeks=3) + timedelta(weeks=6)
    expect(page.get_by_text(re.compile(rf"weer open op {opens.day} "))).to_be_visible()
    page.goto(f"{base}/t/delinde/intake")
    accessible(page, problems)
    expect(page.get_by_role("link", name="Start")).to_have_count(0)
    assert problems == []


def test_unsure_control_keeps_her_with_awareness_work(coach, page: Page):
    base, enrol = coach
    sign_in(page, base, enrol("twijfel"))
    problems: list[str] = []
    answer_intake(page, base, postpartum(10, control_feel="unsure"), problems)
    expect(page.get_by_role("heading", level=1)).to_have_text("Eerst je bekkenbodem leren voelen")
    page.get_by_label("Je postcode").fill("3581")
    page.get_by_role("button", name="Zoeken").click()
    names = page.locator(".pc-card h3").all_inner_texts()
    assert names == ["Bekkenfysiotherapie De Linde"]  # a pelvic physiotherapist nearby
    assert problems == []


def test_stress_type_unlocks_training(coach, page: Page):
    base, enrol = coach
    sign_in(page, base, enrol("stress"))
    problems: list[str] = []
    answer_intake(page, base, postpartum(10), problems)
    expect(page.get_by_role("heading", level=1)).to_have_text("Je kunt beginnen met oefenen")
    expect(page.get_by_role("heading", name="Blaastraining bij aandrang")).to_have_count(0)
    page.goto(f"{base}/t/delinde/")
    expect(page.get_by_role("link", name="Naar de oefeningen van vandaag")).to_be_visible()
    assert problems == []


def test_urge_type_also_unlocks_bladder_training(coach, page: Page):
    base, enrol = coach
    sign_in(page, base, enrol("aandrang"))
    problems: list[str] = []
    answer_intake(page, base, postpartum(10, leak_when=["urge"], leak_most="urge"), problems)
    expect(page.get_by_role("heading", level=1)).to_have_text("Je kunt beginnen met oefenen")
    expect(page.get_by_role("heading", name="Blaastraining bij aandrang")).to_be_visible()
    assert problems == []


def test_a_menopause_patient_gets_her_own_module_and_no_birth_questions(coach, page: Page):
    base, enrol = coach
    sign_in(page, base, enrol("overgang", Cohort.MENOPAUSE))
    problems: list[str] = []
    page.get_by_role("link", name="Lees de uitleg").click()
    accessible(page, problems)
    page.locator("a[href$='/learn/menopause']").click()
    accessible(page, problems)
    expect(page.locator("svg[role=img] title")).to_have_count(1)
    page.goto(f"{base}/t/delinde/")
    answer_intake(page, base, {"red_flags": ["none"], **STRESS, **CLEAR}, problems)
    expect(page.get_by_role("heading", level=1)).to_have_text("Je kunt beginnen met oefenen")
    assert problems == []


def test_information_and_exercise_pages_work_by_keyboard(coach, page: Page):
    base, enrol = coach
    sign_in(page, base, enrol("toetsenbord"))
    problems: list[str] = []
    page.goto(f"{base}/t/delinde/learn/anatomy")
    accessible(page, problems)
    page.get_by_role("button", name="Ik heb dit gelezen").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("gelezen")
    page.goto(f"{base}/t/delinde/exercises/squeeze-and-relax-lying")
    accessible(page, problems)
    start = page.get_by_role("button", name="Start", exact=True)
    start.focus()
    page.keyboard.press("Enter")
    pause = page.get_by_role("button", name="Pauze")
    expect(pause).to_be_focused()  # focus follows to the next control
    expect(page.locator("[data-player=cue]")).not_to_have_text("Begin als je er klaar voor bent")
    page.keyboard.press("Space")
    expect(page.locator("[data-player=cue]")).to_have_text("Gepauzeerd")
    # an intake screen: choose with the keyboard, go on with Enter
    page.goto(f"{base}/t/delinde/intake/q/delivery_kind")
    page.locator("#answer-first").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the answers are one stop; the next is the button
    expect(page.get_by_role("button", name="Volgende")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/intake/q/delivery_date$"))  # first one still open
    page.goto(f"{base}/t/delinde/intake/q/delivery_kind")
    expect(page.locator("#answer-first")).to_be_checked()
    assert problems == []


def test_every_page_of_the_coach_renders_in_english(coach, page: Page):
    base, enrol = coach
    sign_in(page, base, enrol("english"))
    page.goto(f"{base}/t/delinde/?lang=en")
    for path in (
        "/",
        "/learn",
        "/learn/toilet-habits",
        "/exercises/the-knack",
        "/intake",
        "/intake/q/delivery_date",
        "/care?postcode=3581",
        "/training",
        "/progress",
        "/diary",
        "/reminders",
        "/advice",
        "/something-changed",
        "/offline",
    ):
        page.goto(f"{base}/t/delinde{path}")
        assert page.locator("html").get_attribute("lang") == "en"
        text = page.locator("main").inner_text()
        dutch = [w for w in (" je ", " de ", " het ", " van ", " een ") if w in f" {text} "]
        assert dutch == [], (path, dutch)
