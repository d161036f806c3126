"""The diary and the check-ins on a phone (360 x 740, Dutch): a woman fills a 3-day diary and
sees the flagged summary and its PDF; check-ins at weeks 4 and 8 without improvement show the
alert, she confirms a referral, and it is stored. axe-core on every page on the way."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import her_today
from intake_answers import postpartum
from playwright.sync_api import Page, expect
from sqlalchemy import select
from walking import accessible, answer_intake, sign_in

from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.diary.models import Diary
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.followup.models import CareAlert, Referral
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.tenants.services import get_by_slug

pytestmark = pytest.mark.browser


def in_her_record(platform_app, email: str, change) -> object:
    """Run `change(patient, tenant_id)` on her record at De Linde and commit; its result."""
    with platform_app.app_context():
        tenant = get_by_slug("delinde")
        with tenant_context(tenant.id, db.session):
            patient = db.session.scalar(
                select(Patient).join(User, User.id == Patient.user_id).where(User.email == email)
            )
            result = change(patient, tenant.id)
            db.session.commit()
            return result


def note(page: Page, kind_label: str, day: date, clock: str, *choices: str) -> None:
    """One diary entry with one thumb: the kind, the day and time, then a tap per choice."""
    page.get_by_role("link", name=kind_label, exact=True).click()
    page.get_by_label("Dag").select_option(value=day.isoformat())
    page.get_by_label("Tijd").fill(clock)
    for choice in choices:
        page.locator(f"label[for={choice}]").click()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Opgeschreven.")).to_be_visible()


def test_a_three_day_diary_with_its_flagged_summary_and_pdf(coach, page: Page, platform_app):
    base, enrol = coach
    email = enrol("dagboek")
    sign_in(page, base, email)
    problems: list[str] = []
    page.get_by_role("link", name="Plasdagboek").click()
    accessible(page, problems)
    page.get_by_role("button", name="Vandaag beginnen").click()
    expect(page.get_by_text("Dag 1 van 3")).to_be_visible()
    accessible(page, problems)
    # she started two days ago (time moved), and notes each day as it comes
    in_her_record(
        platform_app,
        email,
        lambda patient, tenant_id: setattr(
            db.session.scalar(select(Diary).where(Diary.patient_id == patient.id)),
            "starts_on",
            her_today() - timedelta(days=2),
        ),
    )
    page.reload()
    expect(page.get_by_text("Dag 3 van 3")).to_be_visible()
    page.get_by_role("link", name="Geplast", exact=True).click()
    accessible(page, problems)
    page.get_by_label("Tijd").fill("")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Vul een tijd in, bijvoorbeeld 08:30.")).to_be_visible()
    accessible(page, problems)
    page.get_by_role("link", name="Terug naar het plasdagboek").click()
    for offset in range(3):
        day = her_today() - timedelta(days=2 - offset)
        for clock in ("07:00", "09:00", "11:00", "13:00", "15:00", "17:00", "19:00", "21:00"):
            note(page, "Geplast", day, clock, "urgency-3")
        note(page, "Gedronken", day, "08:00", "ml-250", "drink-water")
        note(page, "Plas verloren", day, "10:00", "amount-small", "activity-urge")
    accessible(page, problems)
    page.get_by_role("link", name="Bekijk het overzicht").click()
    accessible(page, problems)
    expect(page.get_by_text("Je plast overdag vaker dan de meeste mensen.")).to_be_visible()
    expect(page.get_by_text("Je drinkt minder dan de 1,5 tot 2 liter")).to_be_visible()
    expect(page.get_by_text("Je verloor plas.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download als pdf").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    assert problems == []


def weeks_earlier(platform_app, email: str, weeks: int) -> None:
    def move(patient: Patient, _tenant_id: int) -> None:
        plan = db.session.scalar(select(TrainingPlan).where(TrainingPlan.patient_id == patient.id))
        plan.practice_started_on -= timedelta(weeks=weeks)

    in_her_record(platform_app, email, move)


def check_in(page: Page, weeks: int, problems: list[str]) -> None:
    """From her home page: the check-in due after `weeks` weeks, answered as 'no change'."""
    page.goto(page.url.split("/t/delinde")[0] + "/t/delinde/")
    expect(page.get_by_text(f"hoe gaat het na {weeks} weken?")).to_be_visible()
    page.get_by_role("link", name="Naar de tussenmeting").click()
    accessible(page, problems)
    for choice in (
        "q-leaked-first",
        "q-isi_frequency-weekly",
        "q-isi_amount-first",
        "q-pgi_i-no_change",
    ):
        page.locator(f"label[for={choice}]").click()
    page.get_by_role("button", name="Versturen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bedankt voor je tussenmeting")
    accessible(page, problems)


def test_check_ins_at_weeks_4_and_8_without_improvement_lead_to_a_referral(
    coach, page: Page, platform_app
):
    base, enrol = coach
    email = enrol("tussenmeting")
    sign_in(page, base, email)
    problems: list[str] = []
    answer_intake(page, base, postpartum(10), problems)
    page.goto(f"{base}/t/delinde/training")
    page.get_by_role("button", name="Precies goed").click()
    expect(page.get_by_text("Opgeslagen. Goed gedaan!")).to_be_visible()

    weeks_earlier(platform_app, email, 4)
    check_in(page, 4, problems)
    expect(page.get_by_text("Ga zo door.")).to_be_visible()
    expect(page.locator(".pc-chart svg")).to_be_visible()

    weeks_earlier(platform_app, email, 4)
    check_in(page, 8, problems)
    page.get_by_role("link", name="Lees ons advies").click()
    accessible(page, problems)
    expect(page.get_by_role("heading", name="Laat iemand met je meekijken")).to_be_visible()
    page.get_by_label("Je postcode").fill("3581 AB")
    page.get_by_role("button", name="Zoeken").click()
    accessible(page, problems)
    nearest_gp = page.locator("#provider option", has_text="Huisartsen Wittevrouwen")
    page.get_by_label("Welke? (mag je openlaten)").select_option(nearest_gp.get_attribute("value"))
    page.get_by_role("button", name="Ja, ik maak een afspraak").click()
    expect(page.get_by_text("We hebben genoteerd dat je een afspraak maakt.")).to_be_visible()
    page.get_by_role("button", name="Ja", exact=True).click()
    expect(page.get_by_text("Je bent gegaan.")).to_be_visible()
    accessible(page, problems)

    def stored(patient: Patient, _tenant_id: int) -> tuple:
        alert = db.session.scalar(select(CareAlert).where(CareAlert.patient_id == patient.id))
        referral = db.session.scalar(select(Referral).where(Referral.patient_id == patient.id))
        return alert.kind, referral.alert_id == alert.id, referral.care_kind, referral.attended

    assert in_her_record(platform_app, email, stored) == ("no_improvement", True, "gp", True)
    page.goto(f"{base}/t/delinde/")
    expect(page.get_by_text("We raden je aan contact op te nemen")).to_have_count(0)
    assert problems == []


def test_the_other_new_pages_pass_axe(coach, page: Page, platform_app):
    """Bladder training, reminders, 'something changed', the offline page and unsubscribing:
    axe-core on each, as the walks above do on theirs."""
    base, enrol = coach
    email = enrol("aandrang2")
    sign_in(page, base, email)
    problems: list[str] = []
    answer_intake(page, base, postpartum(10, leak_when=["urge"], leak_most="urge"), problems)
    for path in ("/bladder-training", "/reminders", "/something-changed", "/offline"):
        page.goto(f"{base}/t/delinde{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        accessible(page, problems)
    page.goto(f"{base}/t/delinde/bladder-training")
    page.get_by_role("button", name="Begin met blaastraining").click()
    expect(page.get_by_text("Ga elke 60 minuten naar de wc.")).to_be_visible()
    accessible(page, problems)
    page.goto(f"{base}/t/delinde/reminders")
    page.get_by_role("button", name="Opslaan").click()  # no days, no times: saved empty
    page.locator("#time-0").fill("23:15")
    page.locator("label[for=weekday-0]").click()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("'s Nachts sturen we niets.")).to_be_visible()
    accessible(page, problems)

    def unsubscribe_path(patient: Patient, _tenant_id: int) -> str:
        from pelvicoach.programs.reminders import services as reminders

        with platform_app.test_request_context():
            return "/t/delinde/unsubscribe/" + reminders.unsubscribe_token(
                reminders.plan_for(patient, "Europe/Amsterdam")
            )

    path = in_her_record(platform_app, email, unsubscribe_path)
    page.get_by_role("button", name="Uitloggen").click()
    page.goto(base + path)
    accessible(page, problems)
    page.get_by_role("button", name="Ja, afmelden").click()
    expect(
        page.get_by_text("Je krijgt geen herinneringen per e-mail meer van ons.")
    ).to_be_visible()
    accessible(page, problems)
    assert problems == []
