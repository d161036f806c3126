"""Every route, every method, as every role of tenant B, against tenant A's objects.

Generated from the app's URL map, so a new route is covered the day it is added; a route whose
parameter this test cannot fill fails here until someone says which of tenant A's objects it
takes. Expected: 404 for another tenant's object, or 403 where B's role may not use the route at
all. Routes without objects are checked for not leaking anything of A's.
"""

from __future__ import annotations

import contextvars
import copy
import itertools
import re
import uuid
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pyotp
import pytest
from sqlalchemy import select

from pelvicoach.platform import api_keys, password_reset
from pelvicoach.platform.accounts import User
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.platform.tokens import digest
from pelvicoach.programs.configuration.services import publish
from pelvicoach.programs.content import default_document
from pelvicoach.programs.diary import services as diaries
from pelvicoach.programs.diary.models import DiaryEntry, EntryKind
from pelvicoach.programs.enrolment import codes
from pelvicoach.programs.enrolment.bulk import services as bulk
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.monitoring import messages, record
from pelvicoach.reporting import exports
from pelvicoach.reporting.models import ExportFormat
from pelvicoach.tenants.branding import clean_image
from pelvicoach.tenants.care_providers import ProviderKind, add_provider
from pelvicoach.tenants.models import AssetKind
from pelvicoach.tenants.services import add_domain, get_by_slug, store_image
from pelvicoach.tenants.staff import services as staff

PASSWORD = "correct-horse-battery-staple"
ROLES = ("admin", "enrolment", "clinician", "analyst", "patient")
# Shared, tenant-free files; and signing out, which would end the very sessions under test.
SKIP_ENDPOINTS = {
    "static",
    "bootstrap.static",
    "portal.static",
    "admin.static",
    "auth.logout",
}
# Public pages that send a visitor without their first step back to it, not to sign in.
PUBLIC_STEPS = {"portal.join_details": "/t/linde/join"}
METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}
A_ONLY = "lindeboom-eigen"
A_LEVEL = 13  # a level only A's program has
# Route parameters that name no one's object: a kind of diary entry or image, a verb, a table
# of the report.
NOT_OBJECTS = {"kind", "action", "table"}


@pytest.fixture
def tenant_a(make_tenant, make_user, make_patient, db, png):
    tenant = make_tenant("linde", name="Praktijk Lindeboom Geheim")
    clinician = make_user(tenant, "fysio-a@lindeboom.nl", "clinician")
    admin = make_user(tenant, "admin-a@lindeboom.nl", "admin")
    patient = make_patient(tenant, "geheime.patient@lindeboom.nl", clinician=clinician)
    with tenant_context(tenant.id, database.session):
        store_image(tenant, AssetKind.LOGO, clean_image(png(), "logo"))
        provider = add_provider(
            tenant.id,
            kind="gp",
            name="Huisarts Lindeboom",
            address="Geheimstraat 1",
            postcode="3511 AB",
            city="Utrecht",
        )
        add_domain(tenant, "coach.lindeboom.nl")
        invitation = staff.invite(
            tenant.id,
            tenant.kind,
            email="nieuwe.collega@lindeboom.nl",
            name="Nieuwe Collega",
            details=staff.Details(roles=frozenset({"analyst"})),
            invited_by=admin.id,
            link=lambda token: token,
            site_name=tenant.name,
            locale="nl",
        )
        key, _secret = api_keys.create(tenant.id, "Lindeboom HIS", ["reports:read"], None)
        # A module and an exercise of A's own program: B's site must not know them.
        module = copy.deepcopy(default_document()["modules"][0])
        exercise = copy.deepcopy(default_document()["exercises"][0])
        publish(
            tenant.id,
            {
                "modules": [
                    {**module, "key": A_ONLY, "title": {"nl": "Lindeboom", "en": "Lindeboom"}}
                ],
                "exercises": [{**exercise, "key": A_ONLY}],
                "levels": [{**default_document()["levels"][-1], "level": A_LEVEL}],
            },
        )
        diary = diaries.start(patient, datetime.now(UTC).date(), 3)
        diaries.add(
            diary,
            EntryKind.PAD,
            ZoneInfo("Europe/Amsterdam"),
            client_id=uuid.uuid4(),
            day=diary.starts_on,
            time=time(9, 0),
        )
        entry_id = database.session.scalar(select(DiaryEntry.id))
        referral = followup.confirm_referral(patient, None, ProviderKind.GP, None)
        alert = followup.report_red_flags(patient, ["bulge"])
        messages.post(
            patient,
            clinician,
            "Geheime Patiënt: hoe gaat het?",
            from_patient=False,
            site_name=tenant.name,
            link=lambda to_patient: "https://lindeboom.example/",
        )
        record.add_note(patient, clinician.id, "Gesprek met geheime patiënt")
        code = codes.create_code(
            tenant.id,
            label="Lindeboom folder",
            cohort="postpartum",
            max_uses=5,
            expires_on=date(2999, 1, 1),
            created_by=admin.id,
        )
        upload = bulk.upload(tenant.id, admin.id, "geheime.patient.csv", b"naam\nX\n", "nl")
        download = exports.ask_for(tenant.id, admin.id, ExportFormat.CSV, "", "nl")
        token = "tenant-a-reset-token-0123456789abcdef"
        database.session.add(
            password_reset.PasswordResetToken(
                tenant_id=tenant.id,
                user_id=patient.user_id,
                token_hash=digest(token),
                expires_at=datetime(2999, 1, 1, tzinfo=UTC),
                session_token=database.session.get(User, patient.user_id).session_token,
            )
        )
        database.session.commit()
        values = {
            "pseudonym": patient.pseudonym,
            "key_id": str(key.id),
            "token": token,
            "key": A_ONLY,
            "number": str(A_LEVEL),
            "kind": "void",
            "entry_id": str(entry_id),
            "referral_id": str(referral.id),
            "alert_id": str(alert.id),
            "user_id": str(admin.id),
            "invitation_id": str(invitation.id),
            "digest": tenant.logo_digest,
            "tenant_id": str(tenant.id),
            "domain": "coach.lindeboom.nl",
            "provider_id": str(provider.id),
            "code_id": str(code.id),
            "import_id": str(upload.id),
            "export_id": str(download.id),
            "path": f"modules.{A_ONLY}.title",  # a text only A's program has
            "table": "funnel",
        }
    secrets = [
        "Lindeboom",
        "geheime.patient",
        "fysio-a@",
        patient.pseudonym,
        "Lindeboom HIS",
        "admin-a@",
        "nieuwe.collega",
    ]
    return values, secrets


@pytest.fixture
def b_clients(app, make_tenant, make_user, make_patient):
    """A signed-in client for every role of tenant B, plus an API key with every scope."""
    tenant = make_tenant("horizon", name="Zorgverzekeraar Horizon", kind="insurer")
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role == "patient":
            make_patient(tenant, "b-patient@horizon.nl")
            response = client.post(
                "/t/horizon/login",
                data={"email": "b-patient@horizon.nl", "password": "correct-horse-battery-staple"},
            )
        else:
            user = make_user(tenant, f"b-{role}@horizon.nl", role)
            client.post(
                "/t/horizon/login",
                data={"email": user.email, "password": "correct-horse-battery-staple"},
            )
            code = pyotp.TOTP(user.totp_secret).now()
            response = client.post("/t/horizon/login/verify", data={"code": code})
        assert response.status_code == 302, (role, response.text[:300])
        clients[role] = client
    with tenant_context(tenant.id, database.session):
        _key, secret = api_keys.create(tenant.id, "B", list(api_keys.SCOPES), None)
        database.session.commit()
    return clients, secret


WORDS = re.compile(r"<any\(([^)]*)\):(\w+)>")


def _fill(rule, values: dict[str, str]) -> list[str] | None:
    """The rule's paths with A's values, one for each word a choice of words (`any(...)`)
    offers; None where a parameter has no value."""
    words = {
        name: [word.strip() for word in items.split(",")]
        for items, name in WORDS.findall(rule.rule)
    }
    paths = [rule.rule]
    for argument in rule.arguments:
        choices = words.get(argument) or ([values[argument]] if argument in values else None)
        if choices is None:
            return None
        pattern = rf"<(?:[^<>]*:)?{argument}>"
        paths = [re.sub(pattern, choice, path) for path in paths for choice in choices]
    return paths


def test_tenant_b_cannot_reach_tenant_as_objects(app, tenant_a, b_clients, record_property):
    values, secrets = tenant_a
    clients, b_key = b_clients
    attempts = 0
    problems = []
    unknown = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        paths = _fill(rule, values)
        if paths is None:
            unknown.update(set(rule.arguments) - set(values))
            continue
        for path, method in itertools.product(paths, sorted(rule.methods - {"HEAD", "OPTIONS"})):
            callers = [(role, client, {}) for role, client in clients.items()]
            if rule.rule.startswith("/api/"):
                callers.append(("api-key", app.test_client(), {"Authorization": f"Bearer {b_key}"}))
            for who, client, headers in callers:
                attempts += 1
                kwargs = {"headers": headers}
                if method in METHODS_WITH_BODY:
                    kwargs["data"] = {
                        "reason": "isolation test " * 2,
                        "password": "x" * 20,
                        "confirm": "x" * 20,
                        "name": "x",
                        "email": "x@example.nl",
                    }
                response = contextvars.Context().run(
                    client.open, f"/t/horizon{path}", method=method, **kwargs
                )
                body = response.get_data().decode("utf-8", errors="replace")  # MP3s, PDFs
                leaked = [s for s in secrets if s in body]
                if leaked:
                    problems.append(f"{who} {method} {path}: shows {leaked}")
                objects = set(rule.arguments) - NOT_OBJECTS
                if objects and response.status_code not in (403, 404):
                    problems.append(f"{who} {method} {path}: {response.status_code}, not 403/404")
    routes = len(list(app.url_map.iter_rules()))
    record_property(
        "isolation", f"{attempts} requests by tenant B for A's objects ({routes} routes)"
    )
    assert not unknown, f"add a tenant-A value for route parameter(s): {sorted(unknown)}"
    assert problems == []
    assert attempts > 100


def test_tenant_as_site_does_not_accept_tenant_bs_sessions_or_keys(
    app, tenant_a, b_clients, record_property
):
    values, _secrets = tenant_a
    clients, b_key = b_clients
    attempts = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or rule.endpoint.startswith("operator."):
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS", "POST", "PATCH"})
        for path, method in itertools.product(_fill(rule, values) or [], methods):
            for who, client in [*clients.items(), ("api-key", app.test_client())]:
                attempts += 1
                headers = {"Authorization": f"Bearer {b_key}"} if who == "api-key" else {}
                response = contextvars.Context().run(
                    client.open, f"/t/linde{path}", method=method, headers=headers
                )
                if response.status_code == 302:  # B's session does not count here
                    expected = PUBLIC_STEPS.get(rule.endpoint, "/t/linde/login")
                    assert response.headers["Location"].startswith(expected), (who, path)
                ok = response.status_code == 200
                body = response.get_data().decode("utf-8", errors="replace") if ok else ""
                assert values["pseudonym"] not in body, (who, path)
                assert "geheime.patient" not in body, (who, path)
                if rule.rule.startswith("/api/") and rule.endpoint != "api.openapi":
                    assert response.status_code == 401, (who, path)
    record_property(
        "isolation", f"{attempts} requests with tenant B's sessions and key at A's site"
    )
    assert attempts > 50


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_admins_and_analysts_see_no_patient_of_their_own_tenant(
    app, tenant_a, make_user, role, record_property
):
    """Every page of A's site, fetched by A's own admin or analyst: none names or shows a
    patient, not even by pseudonym."""
    values, _secrets = tenant_a
    tenant = get_by_slug("linde")
    user = make_user(tenant, f"{role}-walk@lindeboom.nl", role)
    client = app.test_client()
    client.post("/t/linde/login", data={"email": user.email, "password": PASSWORD})
    signed_in = client.post(
        "/t/linde/login/verify", data={"code": pyotp.TOTP(user.totp_secret).now()}
    )
    assert signed_in.status_code == 302
    identities = [values["pseudonym"].lower(), "geheime.patient", "geheime patiënt"]
    pages = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods:
            continue
        for path in _fill(rule, values) or []:
            response = contextvars.Context().run(client.get, f"/t/linde{path}")
            pages += 1
            body = response.get_data().decode("utf-8", errors="replace").lower()
            assert not [who for who in identities if who in body], (
                role,
                path,
                response.status_code,
            )
    record_property("isolation", f"{pages} pages of its own site walked by A's {role}")
    assert pages > 50
