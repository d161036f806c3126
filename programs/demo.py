"""The demo: two tenants with known logins, served from a SQLite file with jobs in-process."""

from __future__ import annotations

import random
import tomllib
import uuid
from datetime import UTC, date, datetime, time, timedelta
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

import click
from faker import Faker
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from pelvicoach.platform.accounts import Role, create_user, find_user
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.configuration.services import current_version, publish, version_for
from pelvicoach.programs.diary import services as diaries
from pelvicoach.programs.diary.models import DrinkKind, EntryKind, LeakActivity, LeakAmount
from pelvicoach.programs.enrolment import codes, lifecycle
from pelvicoach.programs.enrolment.invitations import give_consent
from pelvicoach.programs.enrolment.models import Cohort, ConsentKind, Patient, Phase
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.intake import services as intakes
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.monitoring.models import Message
from pelvicoach.programs.seed import add_women
from pelvicoach.programs.training import services as training
from pelvicoach.programs.training.models import Completion, Effort
from pelvicoach.tenants.branding import clean_image
from pelvicoach.tenants.care_providers import CareProvider, add_provider
from pelvicoach.tenants.models import AssetKind, Tenant
from pelvicoach.tenants.services import create_tenant, get_by_slug, store_image, update_settings
from pelvicoach.tenants.staff import services as staff

DEMO_PASSWORD = "demo-bekkenbodem-2026"  # noqa: S105 (demo mode only, printed on start)
# Staff must use two-step verification, demo staff too: all share this authenticator key.
DEMO_TOTP_SECRET = "PELVICOACHDEMOSTAFFTWOFACTORKEY2"  # noqa: S105 (demo mode only)

DEMO_OPERATOR = "operator@pelvicoach.example"

DEMO_TENANTS = [
    {
        "slug": "horizon",
        "name": "Zorgverzekeraar Horizon",
        "kind": "insurer",
        "brand_color": "#0b5fa5",
        "staff": [
            ("admin", "Ingrid de Vries", [Role.ADMIN], None),
            ("analist", "Sophie Bakker", [Role.ANALYST], None),
            # At an insurer a clinician works for a contracted care provider, in no other role.
            (
                "fysio",
                "Marloes Jansen",
                [Role.CLINICIAN],
                {
                    "register": "BIG",
                    "number": "19012345601",
                    "provider": "Bekkenfysiotherapie Amstel",
                },
            ),
        ],
        "program": None,  # the default program, published as its version 1
        "patients": [
            ("sanne", "Sanne Visser", Phase.INFORMATION, 3),
            ("fatima", "Fatima El Amrani", Phase.AWARENESS, 8),
            ("lotte", "Lotte de Boer", Phase.TRAINING, 20),
            ("marieke", "Marieke Vos", Phase.INFORMATION, None),
            ("iris", "Iris Bos", Phase.AWARENESS, 12),  # withdrew her consent: coach stopped
        ],
        # Synthetic members on nobody's caseload, so the report has groups large enough to show.
        "anonymous_women": 240,
    },
    {
        "slug": "delinde",
        "name": "Bekkenfysiotherapie De Linde",
        "kind": "practice",
        "brand_color": "#1f6b45",
        "logo": "delinde-logo.png",
        "welcome": {
            "nl": "Welkom bij de bekkenbodemcoach van De Linde. Oefen thuis, in je eigen tempo."
            " Wij kijken met je mee.",
            "en": "Welcome to De Linde's pelvic floor coach. Practise at home, at your own pace."
            " We are here with you.",
        },
        "support_phone": "030-2345678",
        "staff": [
            (
                "praktijk",
                "Anouk Smit",
                [Role.ADMIN, Role.CLINICIAN],
                {
                    "register": "KRF",
                    "number": "1234567",
                    "organisation": "Bekkenfysiotherapie De Linde",
                },
            ),
            ("inschrijving", "Eva Mulder", [Role.ENROLMENT], None),
        ],
        "program": "delinde-program.toml",  # a text of its own and gentler first levels
        "patients": [
            ("noor", "Noor Hendriks", Phase.INTAKE, 10),
            ("julia", "Julia Peters", Phase.TRAINING, 14),
            ("emma", "Emma van Dijk", Phase.REFERRED, 30),
        ],
    },
]


# Completed intakes, so each demo account shows one outcome (answers as she would give them).
_CLEAR = {"control_feel": "clearly", "control_relax": "yes", "control_hold": "yes"}
_NO_FLAGS = {"red_flags": ["none"], "delivery_kind": "vaginal", "tear_grade": "minor"}
DEMO_INTAKES: dict[str, dict[str, Any]] = {
    "fatima": {  # unsure of her control: awareness work, see a physio, check again
        **_NO_FLAGS,
        "leaked": "yes",
        "leak_when": ["activity"],
        "leak_most": "activity",
        "isi_frequency": "weekly",
        "isi_amount": "drops",
        "control_feel": "unsure",
        "control_relax": "yes",
        "control_hold": "unsure",
    },
    "lotte": {  # stress type, good control: training
        **_NO_FLAGS,
        **_CLEAR,
        "leaked": "yes",
        "leak_when": ["activity"],
        "leak_most": "activity",
        "isi_frequency": "weekly",
        "isi_amount": "small",
    },
    "julia": {  # urge type: training and bladder training
        **_NO_FLAGS,
        **_CLEAR,
        "leaked": "yes",
        "leak_when": ["urge"],
        "leak_most": "urge",
        "isi_frequency": "daily",
        "isi_amount": "drops",
    },
    "emma": {  # a red flag: her GP first
        **_NO_FLAGS,
        **_CLEAR,
        "red_flags": ["bulge"],
        "leaked": "yes",
        "leak_when": ["activity"],
        "leak_most": "activity",
        "isi_frequency": "weekly",
        "isi_amount": "small",
    },
}


DEMO_CODE = "DEMO2027"
DEMO_WITHDRAWN = {"iris"}  # a campaign code each demo tenant takes on its /join page


def _demo_data(name: str) -> dict[str, Any]:
    return tomllib.loads(files("pelvicoach.programs").joinpath("demo_data", name).read_text())


def seed_demo() -> list[Tenant]:
    """Create the demo tenants unless they exist; safe to run again."""
    tenants = []
    for spec in DEMO_TENANTS:
        existing = get_by_slug(spec["slug"])
        if existing is not None:
            tenants.append(existing)
            continue
        tenant = create_tenant(
            slug=spec["slug"], name=spec["name"], kind=spec["kind"], brand_color=spec["brand_color"]
        )
        db.session.flush()
        with tenant_context(tenant.id, db.session):
            _brand(tenant, spec)
            program = spec.get("program")
            publish(tenant.id, _demo_data(program) if program else {}, note="demo")
            for provider in _demo_data("care-providers.toml")[spec["slug"]]:
                add_provider(tenant.id, **provider)
            _seed_people(tenant, spec)
            if spec.get("anonymous_women"):
                fake = Faker("nl_NL")
                fake.seed_instance(2026)
                version = current_version(tenant.id)
                add_women(
                    tenant,
                    spec["anonymous_women"],
                    [None],
                    random.Random(2026),
                    fake,
                    datetime.now(UTC),
                    None,
                    version_id=version.id if version else None,
                )
            codes.create_code(
                tenant.id,
                label="Demo",
                cohort=Cohort.POSTPARTUM,
                max_uses=1000,
                expires_on=date.today() + timedelta(days=365),
                created_by=None,
                code=DEMO_CODE,
            )
        tenants.append(tenant)
    if find_user(None, DEMO_OPERATOR) is None:
        operator = create_user(
            tenant_id=None,
            email=DEMO_OPERATOR,
            name="Platform Operator",
            roles=[Role.OPERATOR],
            password=DEMO_PASSWORD,
        )
        operator.totp_secret = DEMO_TOTP_SECRET
    db.session.commit()
    return tenants


def _brand(tenant: Tenant, spec: dict) -> None:
    """Its look, through the same checks an admin's upload passes."""
    update_settings(
        tenant,
        {"welcome": spec.get("welcome", {}), "support_phone": spec.get("support_phone", "")},
    )
    if spec.get("logo"):
        logo = files("pelvicoach.programs").joinpath("demo_data", spec["logo"]).read_bytes()
        store_image(tenant, AssetKind.LOGO, clean_image(logo, AssetKind.LOGO))


def _seed_people(tenant: Tenant, spec: dict) -> None:
    """The tenant's staff and patients, written inside its tenant context."""
    clinician = None
    for local, name, roles, profile in spec["staff"]:
        user = create_user(
            tenant_id=tenant.id,
            email=f"{local}@{tenant.slug}.example",
            name=name,
            roles=roles,
            password=DEMO_PASSWORD,
        )
        user.totp_secret = DEMO_TOTP_SECRET
        db.session.flush()
        if profile is not None:  # checked by the rules an admin's change passes
            provider = db.session.scalar(
                select(CareProvider.id).where(
                    CareProvider.tenant_id == tenant.id,
                    CareProvider.name == profile.get("provider"),
                )
            )
            staff.change(
                user,
                tenant.kind,
                staff.Details(
                    roles=frozenset(roles),
                    register=profile["register"],
                    number=profile["number"],
                    organisation=profile.get("organisation", ""),
                    care_provider_id=provider,
                ),
            )
        if Role.CLINICIAN in roles:
            clinician = user
    db.session.flush()
    today = datetime.now(UTC)
    for number, (local, name, phase, weeks_postpartum) in enumerate(spec["patients"], 1):
        postpartum = weeks_postpartum is not None
        user = create_user(
            tenant_id=tenant.id,
            email=f"{local}@{tenant.slug}.example",
            name=name,
            roles=[Role.PATIENT],
            password=DEMO_PASSWORD,
            locale="nl",
        )
        db.session.flush()
        delivered = date.today() - timedelta(weeks=weeks_postpartum) if postpartum else None
        patient = Patient(
            tenant_id=tenant.id,
            user_id=user.id,
            pseudonym=f"PDEMO{tenant.id}{number:03d}",
            cohort=Cohort.POSTPARTUM if postpartum else Cohort.MENOPAUSE,
            birth_year=1990 + number if postpartum else 1972,
            delivery_date=delivered,
            phase=phase,
            clinician_id=clinician.id if clinician else None,
            enrolled_at=today - timedelta(weeks=max(0, (weeks_postpartum or 6) - 2)),
        )
        db.session.add(patient)
        db.session.flush()
        give_consent(patient, ConsentKind, patient.enrolled_at)
        if local in DEMO_WITHDRAWN:
            lifecycle.withdraw_consent(patient)
        answers = DEMO_INTAKES.get(local)
        if answers is not None:
            program = version_for(patient)
            for key, value in {"delivery_date": delivered.isoformat(), **answers}.items():
                intakes.answer(patient, program, key, value, date.today())
            intakes.complete(patient, program, intakes.draft(patient), date.today())
        if local in DEMO_PRACTICE:
            _practise(patient, **DEMO_PRACTICE[local])
        for days_ago, from_her, body in DEMO_MESSAGES.get(local, []):
            db.session.add(
                Message(
                    tenant_id=tenant.id,
                    patient_id=patient.id,
                    author_id=user.id if from_her else clinician.id,
                    from_patient=from_her,
                    body=body,
                    created_at=today - timedelta(days=days_ago),
                    read_at=None if days_ago == 0 else today,
                )
            )


# Weeks of practice behind the women in training, so their pages show a history.
DEMO_PRACTICE: dict[str, dict[str, Any]] = {
    "lotte": {"weeks": 6, "level": 3, "diary": False, "check_in": True},
    "julia": {"weeks": 3, "level": 2, "diary": True, "check_in": False},
}
# A thread with her clinician: (days ago, from her, text); today's is still unread.
DEMO_MESSAGES: dict[str, list[tuple[int, bool, str]]] = {
    "lotte": [
        (3, True, "Bij hardlopen verlies ik nog een beetje urine. Is dat normaal in week 6?"),
        (
            2,
            False,
            "Dat komt vaak voor en wordt meestal minder. Span je bekkenbodem aan vlak voor je"
            " begint te rennen (de knack). Hoe gaat het met de oefeningen?",
        ),
        (0, True, "Goed! Ik doe ze elke ochtend. Ik probeer de knack morgen."),
    ],
}
_ZONE = ZoneInfo("Europe/Amsterdam")


def _practise(patient: Patient, weeks: int, level: int, diary: bool, check_in: bool) -> None:
    """Sets on most days (fewer in the last weeks, as happens), her level, and for the urge
    type a bladder diary and bladder training under way."""
    now = datetime.now(UTC)
    plan = training.plan_for(patient, now - timedelta(weeks=weeks))
    for back in range(weeks * 7, 0, -1):
        if back % 4 == 0 or (back < 10 and back % 3 == 0):
            continue  # a day off now and then
        when = now - timedelta(days=back)
        for set_number in range(2 if back < 14 else 3):
            training.log_session(
                patient,
                plan,
                client_id=uuid.uuid5(
                    uuid.NAMESPACE_URL, f"{patient.pseudonym}/{back}/{set_number}"
                ),
                level=min(level, 1 + (weeks * 7 - back) // 10),
                completion=Completion.FULLY,
                effort=Effort.RIGHT,
                leaked=back % 5 == 0,
                zone=_ZONE,
                performed_at=when + timedelta(hours=4 * set_number),
            )
    plan.level = plan.highest_level = level
    plan.level_since = now - timedelta(days=8)
    if check_in:  # her week-4 check-in: a little better
        answers = {
            "leaked": "yes",
            "isi_frequency": "monthly",
            "isi_amount": "drops",
            "pgi_i": "a_little_better",
        }
        last = db.session.scalar(
            select(Intake).where(
                Intake.tenant_id == patient.tenant_id, Intake.patient_id == patient.id
            )
        )
        followup.complete(
            patient, version_for(patient), answers, week=4, intake=last, today=date.today()
        )
    if diary:
        _diary(patient, date.today() - timedelta(days=12))
        training.start_bladder_training(
            plan,
            version_for(patient),
            date.today() - timedelta(days=9),
            diaries.typical_interval(patient, _ZONE),
        )
        plan.bladder_weeks_done = 1
        plan.bladder_week_started_on = date.today() - timedelta(days=2)


def _diary(patient: Patient, starts_on: date) -> None:
    """Three days as an urge-type woman notes them: often, small amounts, a leak on the way."""
    diary = diaries.start(patient, starts_on, 3)
    for day in diaries.days_of(diary):
        entries = [
            (EntryKind.WAKE, "06:45", {}),
            *[
                (EntryKind.VOID, clock, {"millilitres": 180, "urgency": 3})
                for clock in (
                    "06:50",
                    "08:20",
                    "09:50",
                    "11:30",
                    "13:10",
                    "15:00",
                    "16:40",
                    "18:30",
                    "20:20",
                    "22:30",
                )
            ],
            (EntryKind.DRINK, "07:15", {"millilitres": 250, "drink": DrinkKind.COFFEE_TEA}),
            (EntryKind.DRINK, "10:30", {"millilitres": 250, "drink": DrinkKind.WATER}),
            (EntryKind.DRINK, "12:30", {"millilitres": 330, "drink": DrinkKind.WATER}),
            (EntryKind.DRINK, "15:30", {"millilitres": 250, "drink": DrinkKind.COFFEE_TEA}),
            (EntryKind.DRINK, "18:00", {"millilitres": 250, "drink": DrinkKind.WATER}),
            (
                EntryKind.LEAK,
                "16:35",
                {"leak_amount": LeakAmount.SMALL, "activity": LeakActivity.URGE, "urgency": 4},
            ),
            (EntryKind.PAD, "16:45", {}),
            (EntryKind.BED, "23:00", {}),
        ]
        for number, (kind, clock, details) in enumerate(entries):
            diaries.add(
                diary,
                kind,
                _ZONE,
                client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{patient.pseudonym}/{day}/{number}"),
                day=day,
                time=time.fromisoformat(clock),
                **details,
            )


def describe(base_url: str) -> str:
    lines = [f"Pelvicoach demo on {base_url}  (every password: {DEMO_PASSWORD})", ""]
    for spec in DEMO_TENANTS:
        lines.append(f"{spec['name']}: {base_url}/t/{spec['slug']}/login")
        lines.append(f"  sign up with code {DEMO_CODE}: {base_url}/t/{spec['slug']}/join")
        for local, _name, roles, _profile in spec["staff"]:
            lines.append(f"  staff    {local}@{spec['slug']}.example  ({', '.join(roles)})")
        for local, _name, phase, _weeks in spec["patients"]:
            stopped = ", consent withdrawn" if local in DEMO_WITHDRAWN else ""
            lines.append(f"  patient  {local}@{spec['slug']}.example  ({phase}{stopped})")
        lines.append("")
    lines.append(
        f"Platform operator: {base_url}/login  {DEMO_OPERATOR}  (demo mailbox: /operator/mailbox)"
    )
    lines.append(
        f"Staff sign in with a code from an authenticator app for key {DEMO_TOTP_SECRET},\n"
        "or print the current code with: .venv/bin/python -c "
        f"\"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\""
    )
    lines.append(f"Health: {base_url}/healthz   Readiness: {base_url}/readyz")
    return "\n".join(lines)


def closed_at_once(app: Any) -> Any:
    """werkzeug's development server closes a response, which runs the work queued for after
    it (the jobs a request deferred, in-process in the demo), only after draining the socket,
    and that can wait until the browser lets go of the connection. The demo builds each body
    and closes it at once: the jobs run before the answer leaves, never minutes later."""

    def wsgi(environ: dict, start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Migrate and seed, then stop.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Migrate, seed the demo tenants and serve them (demo mode only)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["PELVICOACH_MODE"] != "demo":
        raise click.ClickException("the demo only runs with PELVICOACH_ENV=demo")
    upgrade()
    seed_demo()
    if no_serve:
        click.echo(describe(f"http://{host}:{port}"))
        return
    from werkzeug.serving import make_server

    server = make_server(host, port, closed_at_once(app), threaded=True)
    click.echo(describe(f"http://{host}:{server.server_port}"))
    click.echo("Press Ctrl+C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
