"""The consoles walked in Chromium: the operator brings a tenant on board and its admin joins;
an admin brands the coach (with the live preview) and a patient sees it; an admin publishes a
program change, reads the differences and rolls back; an admin invites a clinician who signs
in with two-step verification. axe-core checks every page on the way."""

from __future__ import annotations

import io
import re

import pyotp
import pytest
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from walking import accessible

from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.programs.demo import DEMO_OPERATOR, DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo

pytestmark = pytest.mark.browser
NEW_PASSWORD = "een-lang-nieuw-wachtwoord-2026"


@pytest.fixture
def demo(live_server, platform_app):
    with platform_app.app_context():
        seed_demo()
    return live_server


def staff_sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_label("Code").fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.get_by_role("button", name="Controleren").click()


def invitation_link(platform_app, email: str) -> str:
    with platform_app.app_context():
        body = db.session.scalar(
            select(OutgoingMail.body)
            .where(OutgoingMail.recipient == email)
            .order_by(OutgoingMail.id.desc())
        )
    return re.search(r"https?://\S+/(?:invitation|welcome)/\S+", body).group(0)


def join(browser: Browser, link: str, problems: list[str]) -> Page:
    """The invited person, on a browser of her own: password, then her authenticator."""
    page = browser.new_context(locale="nl-NL", bypass_csp=True).new_page()
    page.goto(link)
    accessible(page, problems)
    page.get_by_label("Nieuw wachtwoord", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nieuw wachtwoord nog een keer").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Wachtwoord kiezen en verder").click()
    expect(page.get_by_role("heading", name="Tweestapsverificatie instellen")).to_be_visible()
    accessible(page, problems)
    key = page.locator("code.user-select-all").inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Aanzetten").click()
    page.get_by_role("link", name="Ik heb ze bewaard").click()
    return page


def test_the_operator_onboards_a_tenant_and_its_admin_joins(
    demo, page: Page, browser, platform_app
):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/login", DEMO_OPERATOR)
    expect(page.get_by_role("heading", name="Platform")).to_be_visible()
    accessible(page, problems)
    page.get_by_role("navigation", name="Menu platformbeheer").get_by_role(
        "link", name="Klanten"
    ).click()
    accessible(page, problems)
    page.get_by_role("link", name="Klant toevoegen").click()
    accessible(page, problems)
    page.get_by_label("Soort").select_option("practice")
    page.get_by_label("Naam", exact=True).fill("Bekkenpraktijk Zuid")
    page.get_by_label("Korte naam voor het webadres").fill("zuid")
    page.get_by_label("Naam van de beheerder").fill("Zoë Zuid")
    page.get_by_label("Haar e-mailadres").fill("zoe@zuid.example")
    page.get_by_role("button", name="Klant toevoegen en beheerder uitnodigen").click()
    expect(page.get_by_role("heading", name="Bekkenpraktijk Zuid")).to_be_visible()
    expect(page.get_by_text("zoe@zuid.example")).to_be_visible()
    accessible(page, problems)

    admin = join(browser, invitation_link(platform_app, "zoe@zuid.example"), problems)
    expect(admin.get_by_role("heading", name="Welkom, Zoë Zuid")).to_be_visible()
    expect(admin.get_by_role("link", name="Huisstijl").first).to_be_visible()
    assert problems == []


def _logo() -> bytes:
    image = Image.new("RGB", (240, 120), (107, 44, 145))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_an_admin_brands_the_coach_and_her_patient_sees_it(demo, page: Page, browser):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/delinde/login", "praktijk@delinde.example")
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Huisstijl"
    ).click()
    accessible(page, problems)
    page.get_by_label("Hoofdkleur (#rrggbb)").fill("#ffcc00")
    page.get_by_role("button", name="Huisstijl opslaan").click()
    expect(page.get_by_text("De dichtstbijzijnde tint die dat haalt")).to_be_visible()
    accessible(page, problems)

    page.get_by_label("Naam die patiënten zien").fill("De Linde Bekkencentrum")
    page.get_by_label("Hoofdkleur (#rrggbb)").fill("#6b2c91")
    page.get_by_label("Logo (PNG, JPEG of WebP, hoogstens 1 MB)").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": _logo()}]
    )
    preview = page.frame_locator("#branding-preview")
    expect(preview.locator(".pc-site-name")).to_have_text("De Linde Bekkencentrum")
    expect(preview.locator(".pc-header")).to_have_css("background-color", "rgb(107, 44, 145)")
    expect(preview.locator(".pc-logo")).to_have_count(1)
    page.get_by_role("button", name="Huisstijl opslaan").click()
    expect(page.get_by_text("Opgeslagen. Patiënten zien de nieuwe huisstijl")).to_be_visible()

    patient = browser.new_context(locale="nl-NL").new_page()
    patient.goto(f"{demo}/t/delinde/login")
    patient.get_by_label("E-mailadres").fill("julia@delinde.example")
    patient.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    patient.get_by_role("button", name="Inloggen").click()
    expect(patient.locator(".pc-site-name")).to_have_text("De Linde Bekkencentrum")
    expect(patient.locator(".pc-header")).to_have_css("background-color", "rgb(107, 44, 145)")
    logo = patient.locator(".pc-logo")
    expect(logo).to_have_css(
        "background-image", re.compile(r"/t/delinde/brand/logo-[0-9a-f]{16}\.png")
    )
    assert problems == []


def test_an_admin_publishes_a_change_reads_the_difference_and_rolls_back(demo, page: Page):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/delinde/login", "praktijk@delinde.example")
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Programma"
    ).click()
    accessible(page, problems)
    page.get_by_role("link", name="Concept beginnen").click()
    accessible(page, problems)
    hold = page.get_by_label("Niveau 5: Vasthouden (s)")
    hold.fill("0")
    page.get_by_role("button", name="Concept controleren en opslaan").click()
    expect(page.get_by_text("Het concept is niet opgeslagen")).to_be_visible()
    expect(page.get_by_label("Niveau 5: Vasthouden (s)")).to_have_class(re.compile("is-invalid"))
    accessible(page, problems)
    page.get_by_label("Niveau 5: Vasthouden (s)").fill("8")  # its rest is 8 s
    page.get_by_role("button", name="Concept controleren en opslaan").click()
    expect(page.get_by_role("heading", name="Concept, nog niet gepubliceerd")).to_be_visible()
    expect(page.get_by_role("rowheader", name="levels › level 5 › hold seconds")).to_be_visible()
    accessible(page, problems)
    page.get_by_label("Wat is er veranderd (voor de lijst met versies)").fill("Niveau 5 langer")
    page.get_by_role("button", name="Concept publiceren").click()
    expect(page.get_by_text("Versie 2 is gepubliceerd.")).to_be_visible()
    page.get_by_role("button", name="Verschillen tonen").click()
    expect(page.get_by_role("heading", name="Versie 1 en versie 2")).to_be_visible()
    expect(page.get_by_role("rowheader", name="levels › level 5 › hold seconds")).to_be_visible()
    accessible(page, problems)
    page.get_by_role("link", name="Terug naar het programma").click()
    page.get_by_role("button", name="Terug naar versie 1").click()
    expect(page.get_by_text("Versie 3 is een kopie van versie 1.")).to_be_visible()
    accessible(page, problems)
    assert problems == []


def test_an_admin_invites_a_clinician_who_signs_in_with_two_steps(
    demo, page: Page, browser, platform_app
):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/delinde/login", "praktijk@delinde.example")
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Medewerkers"
    ).click()
    accessible(page, problems)
    page.get_by_label("Naam", exact=True).fill("Fleur de Wit")
    page.get_by_label("E-mailadres").fill("fleur@delinde.example")
    page.get_by_role("checkbox", name="Zorgverlener").check()
    page.get_by_label("Register", exact=True).select_option("BIG")
    page.get_by_label("Registratienummer (zorgverleners)").fill("19012345601")
    page.get_by_label("Organisatie waarvoor zij werkt (zorgverleners)").fill("De Linde")
    page.get_by_role("button", name="Uitnodiging versturen").click()
    expect(page.get_by_text("Uitnodiging verstuurd naar fleur@delinde.example.")).to_be_visible()
    accessible(page, problems)
    page.get_by_role("link", name="Anouk Smit").click()
    accessible(page, problems)

    clinician = join(browser, invitation_link(platform_app, "fleur@delinde.example"), problems)
    expect(clinician.get_by_role("heading", name="Welkom, Fleur de Wit")).to_be_visible()
    clinician.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Patiënten"
    ).click()
    expect(clinician.get_by_role("heading", name="Patiënten")).to_be_visible()
    accessible(clinician, problems)
    assert problems == []


def test_every_admin_and_operator_page_meets_wcag_aa(demo, page: Page, browser):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/horizon/login", "admin@horizon.example")
    for path in (
        "staff/",
        "admin/branding",
        "admin/branding/preview",
        "admin/staff",
        "admin/staff/3",
        "admin/api-keys",
        "admin/program/",
        "admin/program/edit",
    ):
        for lang in ("nl", "en"):
            page.goto(f"{demo}/t/horizon/{path}?lang={lang}")
            accessible(page, problems)
    page.goto(f"{demo}/t/horizon/admin/providers?lang=nl")
    csv = (
        "naam;soort;adres;postcode;plaats\n"
        "Nieuw;huisarts;Straat 1;3511 AB;Utrecht\n"
        "Fout;tandarts;X;0000;Y\n"
    )
    page.get_by_label("CSV-bestand (hoogstens 1 MB)").set_input_files(
        files=[{"name": "lijst.csv", "mimeType": "text/csv", "buffer": csv.encode("cp1252")}]
    )
    page.get_by_role("button", name="Bestand lezen").click()
    expect(
        page.get_by_role("heading", name="Regels die niet kunnen worden toegevoegd")
    ).to_be_visible()
    accessible(page, problems)
    operator = browser.new_context(locale="nl-NL", bypass_csp=True).new_page()
    staff_sign_in(operator, f"{demo}/login", DEMO_OPERATOR)
    for path in (
        "operator/",
        "operator/tenants/",
        "operator/tenants/new",
        "operator/tenants/1",
        "operator/benchmark/",
    ):
        for lang in ("nl", "en"):
            operator.goto(f"{demo}/{path}?lang={lang}")
            accessible(operator, problems)
    assert problems == []


def test_an_officer_invites_a_woman_who_consents_on_her_phone(
    demo, page: Page, browser, platform_app
):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/delinde/login", "inschrijving@delinde.example")
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Uitnodigingen"
    ).click()
    accessible(page, problems)
    page.get_by_label("Naam", exact=True).fill("Roos de Vries")
    page.get_by_label("E-mailadres").fill("roos@delinde.example")
    page.get_by_label("Groep").select_option("postpartum")
    page.get_by_label("Geboortejaar").fill("1994")
    page.get_by_label("Datum van de bevalling").fill("2026-10-01")
    page.get_by_role("button", name="Uitnodiging versturen").click()
    expect(page.get_by_text("Roos de Vries is uitgenodigd.")).to_be_visible()
    accessible(page, problems)

    phone = browser.new_context(
        locale="nl-NL", bypass_csp=True, viewport={"width": 360, "height": 740}
    ).new_page()
    phone.goto(invitation_link(platform_app, "roos@delinde.example"))
    expect(phone.get_by_role("heading", name="Welkom bij je bekkenbodemcoach")).to_be_visible()
    accessible(phone, problems)
    phone.get_by_label("Kies een wachtwoord").fill(NEW_PASSWORD)
    phone.get_by_label("Hetzelfde wachtwoord nog een keer").fill(NEW_PASSWORD)
    phone.get_by_label("Ik ga akkoord met de gebruiksvoorwaarden.").check()
    phone.get_by_label("Ik heb de privacyverklaring gelezen.").check()
    phone.get_by_role("button", name="Start", exact=True).click()
    expect(phone.get_by_text("Nodig om de coach te gebruiken.")).to_be_visible()
    accessible(phone, problems)
    phone.get_by_label("Kies een wachtwoord").fill(NEW_PASSWORD)
    phone.get_by_label("Hetzelfde wachtwoord nog een keer").fill(NEW_PASSWORD)
    phone.get_by_label(re.compile("Ik geef toestemming")).check()
    phone.get_by_role("button", name="Start", exact=True).click()
    expect(phone.get_by_role("heading", name=re.compile("Hallo Roos"))).to_be_visible()
    page.reload()
    expect(page.locator(".pc-invitation-state").first).to_have_text("aangemeld")
    assert problems == []


def _enrolment_file(rows: int, bad_every: int) -> bytes:
    """A Dutch Excel export (semicolons, Windows-1252) with a bad row every `bad_every`."""
    lines = ["naam;e-mailadres;geboortejaar;bevallingsdatum"]
    for number in range(rows):
        email = f"moeder{number}@voorbeeld.nl" if number % bad_every else f"moeder{number}"
        lines.append(f"Moeder Één {number};{email};1993;01-10-2026")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_an_officer_imports_a_file_and_watches_it_to_the_end(demo, page: Page, background_worker):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/delinde/login", "inschrijving@delinde.example")
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Uitnodigingen"
    ).click()
    page.get_by_role("link", name="Vrouwen inschrijven uit een bestand").click()
    accessible(page, problems)
    page.get_by_label("CSV- of XLSX-bestand").set_input_files(
        files=[
            {
                "name": "kraamzorg-november.csv",
                "mimeType": "text/csv",
                "buffer": _enrolment_file(20_000, 50),
            }
        ]
    )
    page.get_by_role("button", name="Bestand controleren").click()
    expect(page.locator("#import-summary")).to_contain_text(
        "19600 vrouwen kunnen ingeschreven worden. 400 rijen kunnen niet", timeout=60_000
    )
    expect(page.get_by_role("cell", name=re.compile("Geen geldig e-mailadres"))).to_have_count(
        100  # the first page of the 400
    )
    accessible(page, problems)
    page.get_by_label("Stuur elke vrouw nu haar uitnodiging per e-mail").uncheck()
    page.get_by_role("button", name="19600 vrouwen inschrijven").click()
    bar = page.locator("progress#import-bar")
    expect(bar).to_be_visible()
    expect(
        page.get_by_text(re.compile("Inschrijven: [0-9.,]+ van 20.000 rijen klaar"))
    ).to_be_visible()
    accessible(page, problems)
    expect(page.locator("#import-summary")).to_contain_text(
        "19600 vrouwen ingeschreven. 400 rijen zijn niet",
        timeout=60_000,
    )
    expect(bar).to_have_attribute("value", "20000")
    expect(bar).to_have_attribute("max", "20000")
    with page.expect_download() as download:
        page.get_by_role("link", name="Foutenrapport downloaden (CSV)").click()
    report = download.value.path().read_bytes().decode("utf-8-sig").splitlines()
    assert report[0] == "rij;reden;naam;e-mailadres;geboortejaar;bevallingsdatum"
    assert len(report) == 401
    assert report[1].startswith("2;e-mailadres: Geen geldig e-mailadres.;Moeder Één 0;moeder0;")
    accessible(page, problems)
    assert problems == []


def test_a_woman_signs_up_with_a_code_on_her_phone_and_consents(
    demo, page: Page, browser, platform_app
):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/delinde/login", "inschrijving@delinde.example")
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Campagnecodes"
    ).click()
    accessible(page, problems)
    page.get_by_label("Waar de code staat").fill("Folder verloskundigen Utrecht")
    page.get_by_label("Hoeveel vrouwen de code mogen gebruiken").fill("25")
    page.get_by_label(re.compile("Eigen code")).fill("KRAAM-2027")
    page.get_by_role("button", name="Code maken").click()
    expect(page.get_by_text("Code KRAAM2027 staat klaar.")).to_be_visible()
    accessible(page, problems)

    phone = browser.new_context(
        locale="nl-NL", bypass_csp=True, viewport={"width": 360, "height": 740}
    ).new_page()
    phone.goto(f"{demo}/t/delinde/join")
    accessible(phone, problems)
    phone.get_by_label("Je code").fill("kraam 2028")
    phone.get_by_role("button", name="Volgende").click()
    expect(phone.get_by_text(re.compile(r"Deze code is niet \(meer\) geldig"))).to_be_visible()
    accessible(phone, problems)
    phone.get_by_label("Je code").fill("kraam 2027")
    phone.get_by_role("button", name="Volgende").click()
    expect(phone.get_by_role("heading", name="Je gegevens")).to_be_visible()
    accessible(phone, problems)
    phone.get_by_label("Je naam").fill("Lotte Jansen")
    phone.get_by_label("Je e-mailadres").fill("lotte@voorbeeld.nl")
    phone.get_by_label("Je geboortejaar").fill("1995")
    phone.get_by_label(re.compile("De datum van je bevalling")).fill("2026-10-20")
    phone.get_by_role("button", name="Stuur me de link").click()
    expect(phone.get_by_role("heading", name="Kijk in je e-mail")).to_be_visible()
    accessible(phone, problems)

    with platform_app.app_context():
        body = db.session.scalar(
            select(OutgoingMail.body).where(OutgoingMail.recipient == "lotte@voorbeeld.nl")
        )
    phone.goto(re.search(r"https?://\S+/join/verify/\S+", body).group(0))
    expect(phone.get_by_role("heading", name="Welkom bij je bekkenbodemcoach")).to_be_visible()
    phone.get_by_label("Kies een wachtwoord").fill(NEW_PASSWORD)
    phone.get_by_label("Hetzelfde wachtwoord nog een keer").fill(NEW_PASSWORD)
    phone.get_by_label("Ik ga akkoord met de gebruiksvoorwaarden.").check()
    phone.get_by_label("Ik heb de privacyverklaring gelezen.").check()
    phone.get_by_label(re.compile("Ik geef toestemming")).check()
    phone.get_by_role("button", name="Start", exact=True).click()
    expect(phone.get_by_role("heading", name=re.compile("Hallo Lotte"))).to_be_visible()
    accessible(phone, problems)
    page.reload()
    expect(page.get_by_role("row", name=re.compile("KRAAM2027"))).to_contain_text("1 / 25")
    assert problems == []


def test_a_woman_withdraws_her_consent_and_gives_it_again_on_her_phone(demo, browser):
    problems: list[str] = []
    phone = browser.new_context(
        locale="nl-NL", bypass_csp=True, viewport={"width": 360, "height": 740}
    ).new_page()
    phone.goto(f"{demo}/t/horizon/login")
    phone.get_by_label("E-mailadres").fill("iris@horizon.example")
    phone.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Inloggen").click()
    expect(phone.get_by_role("heading", name="De coach is gestopt")).to_be_visible()
    expect(phone.get_by_role("navigation", name="Je coach")).to_have_count(0)
    accessible(phone, problems)
    phone.get_by_role("link", name="Bedacht? Ga verder met de coach").click()
    expect(phone.get_by_role("heading", name="Mijn toestemming")).to_be_visible()
    accessible(phone, problems)
    phone.get_by_role("button", name="Ik geef toestemming").click()  # the box not ticked
    expect(phone.get_by_text("Vink dit vakje aan om verder te gaan met de coach.")).to_be_visible()
    accessible(phone, problems)
    phone.get_by_label(re.compile("Ik geef toestemming dat mijn antwoorden")).check()
    phone.get_by_role("button", name="Ik geef toestemming").click()
    expect(phone.get_by_text("Welkom terug. De coach gaat verder waar je was.")).to_be_visible()
    expect(phone.get_by_role("heading", name="Hallo Iris")).to_be_visible()
    # And from her data page, withdrawn again.
    phone.goto(f"{demo}/t/horizon/my-data")
    phone.get_by_role("link", name="Je toestemming: lezen of intrekken").click()
    phone.get_by_role("button", name="Toestemming intrekken en stoppen").click()
    expect(phone.get_by_role("heading", name="De coach is gestopt")).to_be_visible()
    phone.goto(f"{demo}/t/horizon/training")
    expect(phone.get_by_role("heading", name="De coach is gestopt")).to_be_visible()
    assert problems == []


def test_the_caseload_and_the_enrolments_page_meet_wcag_aa(demo, page: Page, browser):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/horizon/login", "fysio@horizon.example")
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Patiënten"
    ).click()
    expect(page.get_by_role("row", name=re.compile("Iris Bos"))).to_contain_text("gestopt")
    accessible(page, problems)
    page.get_by_label("Signaal").select_option("any")
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_role("row", name=re.compile("Iris Bos"))).to_have_count(0)
    accessible(page, problems)
    page.goto(f"{demo}/t/horizon/staff/patients/?lang=en&q=lotte")
    expect(page.get_by_text("1 patient", exact=True)).to_be_visible()
    accessible(page, problems)
    # Her record grown full: both charts with their tables, the session log, the forms.
    page.get_by_role("link", name="Lotte de Boer").click()
    expect(page.get_by_role("img", name=re.compile("PGI-I"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("per week"))).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"The dashed line is her plan: \d+ sets a week"))
    ).to_be_visible()
    accessible(page, problems)
    page.set_viewport_size({"width": 360, "height": 740})
    accessible(page, problems)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing runs off
    page.set_viewport_size({"width": 1280, "height": 800})
    admin = browser.new_context(locale="nl-NL", bypass_csp=True).new_page()
    staff_sign_in(admin, f"{demo}/t/horizon/login", "admin@horizon.example")
    admin.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Deelnames"
    ).click()
    expect(
        admin.get_by_role("row", name=re.compile("zij heeft haar toestemming ingetrokken"))
    ).to_contain_text("1")
    expect(admin.get_by_text("PDEMO", exact=False)).to_have_count(0)  # counts, not women
    accessible(admin, problems)
    admin.get_by_label("Pseudoniem").fill("PGEENIDEE")
    admin.get_by_role("button", name="Deze deelname beëindigen").click()
    expect(admin.get_by_text("Niemand in uw programma heeft dit pseudoniem.")).to_be_visible()
    accessible(admin, problems)
    admin.get_by_label("Maanden zonder bezoek").fill("36")
    admin.get_by_role("button", name="Opslaan").click()
    expect(admin.get_by_text("Opgeslagen.")).to_be_visible()
    assert problems == []


def test_a_clinician_opens_training_and_writes_and_she_answers_on_her_phone(
    demo, page: Page, browser
):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/horizon/login", "fysio@horizon.example")
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Patiënten"
    ).click()
    fatima = page.get_by_role("row", name=re.compile("Fatima El Amrani"))
    expect(fatima).to_contain_text("14 dagen niet actief")
    accessible(page, problems)
    fatima.get_by_role("link", name="Fatima El Amrani").click()
    expect(page.get_by_role("heading", name="Fatima El Amrani")).to_be_visible()
    accessible(page, problems)
    page.get_by_label("Wat wilt u wijzigen").select_option("unlock")
    page.get_by_label(re.compile("Reden, voor het dossier")).fill(
        "Aanspanning gecontroleerd in de praktijk: voldoende"
    )
    page.get_by_label(re.compile("Een korte notitie voor haar")).fill("Goed gedaan, begin maar!")
    page.get_by_role("button", name="Haar plan wijzigen").click()
    expect(page.get_by_text("Haar plan is gewijzigd")).to_be_visible()
    page.get_by_label("Bericht", exact=True).fill("Hoe gaat het met de oefeningen?")
    page.get_by_role("button", name="Versturen").click()
    expect(page.get_by_text("Uw bericht is verstuurd.")).to_be_visible()
    accessible(page, problems)

    phone = browser.new_context(
        locale="nl-NL", bypass_csp=True, viewport={"width": 360, "height": 740}
    ).new_page()
    phone.goto(f"{demo}/t/horizon/login")
    phone.get_by_label("E-mailadres").fill("fatima@horizon.example")
    phone.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Inloggen").click()
    expect(
        phone.get_by_text("Je behandelaar heeft de oefentraining voor je opengezet.")
    ).to_be_visible()
    expect(phone.get_by_text("Goed gedaan, begin maar!")).to_be_visible()
    expect(phone.get_by_text("Je behandelaar heeft je een bericht gestuurd.")).to_be_visible()
    accessible(phone, problems)
    phone.get_by_role("button", name="Oké, gelezen").click()
    expect(phone.get_by_text("Je behandelaar heeft je plan aangepast")).to_have_count(0)
    phone.get_by_role("link", name="Lees het").click()
    expect(phone.get_by_text("Hoe gaat het met de oefeningen?")).to_be_visible()
    accessible(phone, problems)
    phone.get_by_label("Bericht", exact=True).fill("Goed, dank je! Ik begin morgen.")
    phone.get_by_role("button", name="Versturen").click()
    expect(phone.get_by_text("Verstuurd.", exact=False)).to_be_visible()
    phone.get_by_role("navigation", name="Je coach").get_by_role("link", name="Oefenen").click()
    expect(phone.get_by_role("heading", name=re.compile("Niveau 1"))).to_be_visible()

    page.goto(f"{demo}/t/horizon/staff/patients/")
    expect(page.get_by_role("row", name=re.compile("Fatima El Amrani"))).to_contain_text(
        "Bericht wacht"
    )
    assert problems == []


def test_an_insurer_analyst_filters_the_report_and_downloads_the_workbook(
    demo, page: Page, background_worker
):
    problems: list[str] = []
    staff_sign_in(page, f"{demo}/t/horizon/login", "analist@horizon.example")
    page.get_by_role("navigation", name="Menu medewerkers").get_by_role(
        "link", name="Rapport"
    ).click()
    expect(page.get_by_role("heading", name="Rapport", exact=True)).to_be_visible(timeout=60_000)
    accessible(page, problems)
    page.get_by_label("Vrouwen", exact=True).select_option("cohort:postpartum")
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_label("Vrouwen", exact=True)).to_have_value("cohort:postpartum")
    expect(page.get_by_role("img", name=re.compile("Staafdiagram van de vrouwen"))).to_have_count(2)
    accessible(page, problems)
    page.set_viewport_size({"width": 360, "height": 740})
    accessible(page, problems)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing runs off
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Excel").click()
    expect(page.get_by_role("heading", name="Download van het rapport")).to_be_visible()
    accessible(page, problems)
    link = page.get_by_role("link", name="Download het bestand")
    expect(link).to_be_visible(timeout=60_000)  # the job ran; the page showed itself anew
    accessible(page, problems)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = [
        [cell for cell in row if cell is not None]
        for row in book.active.iter_rows(values_only=True)
    ]
    assert ["Vrouwen: Groep: na de bevalling"] in rows
    invited = next(row for row in rows if row[2:3] == ["Uitgenodigd of ingeschreven"])
    assert isinstance(invited[3], int)
    assert invited[3] > 200  # the demo insurer's members after giving birth
    text = " ".join(str(cell) for row in rows for cell in row)
    for named in (
        "lotte@horizon.example",
        "Lotte",
        "iris@horizon.example",
        "fatima@horizon.example",
    ):
        assert named not in text
    assert problems == []
