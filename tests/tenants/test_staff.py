"""Staff management in the admin console: invitations that work once, roles under the tenant
kind's rules, deactivation that ends sessions at once, every change audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from pelvicoach.platform.accounts import User, find_user
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.tenants.care_providers import add_provider
from pelvicoach.tenants.staff.models import StaffInvitation, StaffProfile

NEW_PASSWORD = "a-long-and-new-staff-password"


@pytest.fixture
def admin_client(client, make_tenant, make_user, sign_in_staff):
    def sign_in(slug: str = "linde", kind: str = "practice"):
        tenant = make_tenant(slug, kind=kind)
        admin = make_user(tenant, f"admin@{slug}.nl", "admin")
        assert sign_in_staff(slug, admin).status_code == 302
        return tenant, admin

    return sign_in


def _physio(tenant, name: str, *, contracted: bool):
    """A pelvic physiotherapy practice in the tenant's directory (call in its context)."""
    return add_provider(
        tenant.id,
        kind="pelvic_physio",
        name=name,
        address="Amstel 1",
        postcode="1072 LN",
        city="Amsterdam",
        contracted=contracted,
    )


def _invitation_link(db, email: str) -> str:
    body = db.session.scalar(
        select(OutgoingMail.body)
        .where(OutgoingMail.recipient == email)
        .order_by(OutgoingMail.id.desc())
    )
    return re.search(r"https?://\S+(/t/\S+/invitation/\S+)", body).group(1)


def _events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_invited_clinician_joins_and_must_set_up_two_step_verification(
    app, client, admin_client, db
):
    tenant, _admin = admin_client()
    invited = client.post(
        "/t/linde/admin/staff",
        data={
            "name": "Fleur de Wit",
            "email": "Fleur@Example.nl",
            "roles": ["clinician"],
            "register": "BIG",
            "number": "19012345601",
            "organisation": "Praktijk De Linde",
            "team": " Zwolle-Zuid ",
        },
    )
    assert invited.status_code == 302, invited.text
    link = _invitation_link(db, "fleur@example.nl")
    (event,) = _events(db, "staff.invited")
    assert event.detail["after"] == {"email": "fleur@example.nl", "roles": ["clinician"]}

    newcomer = app.test_client()
    page = newcomer.get(link)
    assert "Fleur de Wit" in page.text
    short = newcomer.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 200
    assert "is-invalid" in short.text
    joined = newcomer.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert joined.headers["Location"] == "/t/linde/login/setup-2fa"
    assert newcomer.get("/t/linde/staff/").status_code == 302  # not signed in before 2FA
    with tenant_context(tenant.id, db.session):
        user = find_user(tenant.id, "fleur@example.nl")
        profile = db.session.get(StaffProfile, user.id)
    assert user.roles == {"clinician"}
    assert (profile.registration, profile.organisation) == ("BIG 19012345601", "Praktijk De Linde")
    assert profile.team == "Zwolle-Zuid"  # the report's filter by team reads it
    setup = newcomer.get("/t/linde/login/setup-2fa")
    secret = re.search(r"[A-Z2-7]{32}", setup.text).group(0)
    done = newcomer.post("/t/linde/login/setup-2fa", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert newcomer.get("/t/linde/staff/").status_code == 200
    # Once only: the link is spent.
    assert app.test_client().get(link).status_code == 404


def test_an_invitation_expires_and_can_be_withdrawn(app, client, admin_client, db):
    tenant, _admin = admin_client()
    for email in ("laat@example.nl", "weg@example.nl"):
        client.post(
            "/t/linde/admin/staff", data={"name": "X Y", "email": email, "roles": ["analyst"]}
        )
    with tenant_context(tenant.id, db.session):
        late = db.session.scalar(
            select(StaffInvitation).where(StaffInvitation.email == "laat@example.nl")
        )
        late.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        withdrawn = db.session.scalar(
            select(StaffInvitation).where(StaffInvitation.email == "weg@example.nl")
        )
        db.session.commit()
    client.post(f"/t/linde/admin/staff/invitations/{withdrawn.id}/revoke")
    for email in ("laat@example.nl", "weg@example.nl"):
        link = _invitation_link(db, email)
        stranger = app.test_client()
        assert stranger.get(link).status_code == 404
        refused = stranger.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert refused.status_code == 404
    with tenant_context(tenant.id, db.session):
        assert find_user(tenant.id, "weg@example.nl") is None
    assert len(_events(db, "staff.invitation_revoked")) == 1


def test_an_insurer_clinician_works_for_a_contracted_provider_in_no_other_role(
    client, admin_client, db
):
    tenant, _admin = admin_client("horizon", kind="insurer")
    with tenant_context(tenant.id, db.session):
        contracted = _physio(tenant, "Bekkenfysiotherapie Amstel", contracted=True)
        other = _physio(tenant, "Fysio Elders", contracted=False)
        db.session.commit()
    form = {
        "name": "Marloes Jansen",
        "email": "marloes@example.nl",
        "register": "BIG",
        "number": "19012345601",
    }
    page = client.get("/t/horizon/admin/staff").text
    assert "Bekkenfysiotherapie Amstel" in page
    assert "Fysio Elders" not in page  # only contracted providers are offered
    for roles, provider in (
        (["clinician", "admin"], contracted.id),
        (["clinician"], other.id),
        (["clinician"], 0),
    ):
        refused = client.post(
            "/t/horizon/admin/staff", data={**form, "roles": roles, "care_provider": provider}
        )
        assert refused.status_code == 422
        assert "is-invalid" in refused.text
    assert db.session.scalar(select(StaffInvitation)) is None  # nothing was saved
    accepted = client.post(
        "/t/horizon/admin/staff",
        data={**form, "roles": ["clinician"], "care_provider": contracted.id},
    )
    assert accepted.status_code == 302
    invitation = db.session.scalar(select(StaffInvitation))
    assert (invitation.care_provider_id, invitation.organisation) == (
        contracted.id,
        "Bekkenfysiotherapie Amstel",
    )


def test_roles_change_with_before_and_after_and_sessions_end(
    app, client, admin_client, make_user, sign_in_staff, db
):
    tenant, _admin = admin_client()
    colleague = make_user(tenant, "eva@example.nl", "enrolment")
    their_client = app.test_client()
    assert (
        their_client.post(
            "/t/linde/login",
            data={"email": colleague.email, "password": "correct-horse-battery-staple"},
        ).status_code
        == 302
    )
    their_client.post(
        "/t/linde/login/verify", data={"code": pyotp.TOTP(colleague.totp_secret).now()}
    )
    assert their_client.get("/t/linde/staff/").status_code == 200
    changed = client.post(
        f"/t/linde/admin/staff/{colleague.id}",
        data={
            "roles": ["enrolment", "clinician"],
            "register": "KRF",
            "number": "1234567",
            "organisation": "De Linde",
            "team": "Noord",
        },
    )
    assert changed.status_code == 302, changed.text
    (event,) = _events(db, "staff.changed")
    assert event.detail["before"]["roles"] == ["enrolment"]
    assert event.detail["after"]["roles"] == ["clinician", "enrolment"]
    assert (event.detail["before"]["team"], event.detail["after"]["team"]) == ("", "Noord")
    assert 'value="Noord"' in client.get(f"/t/linde/admin/staff/{colleague.id}").text
    assert event.detail["after"]["registration"] == "KRF 1234567"
    assert their_client.get("/t/linde/staff/").status_code == 302  # signs in again
    deactivated = client.post(f"/t/linde/admin/staff/{colleague.id}/deactivate")
    assert deactivated.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, colleague.id).active is False
    assert _events(db, "staff.deactivated")[0].detail["after"]["active"] is False


def test_the_last_admin_stays_and_nobody_deactivates_herself(client, admin_client, db):
    _tenant, admin = admin_client()
    demoted = client.post(f"/t/linde/admin/staff/{admin.id}", data={"roles": ["analyst"]})
    assert demoted.status_code == 422
    assert "is-invalid" in demoted.text
    client.post(f"/t/linde/admin/staff/{admin.id}/deactivate")
    db.session.expire_all()
    assert db.session.get(User, admin.id).roles == {"admin"}
    assert db.session.get(User, admin.id).active


def test_admins_list_staff_never_patients(client, admin_client, make_patient, db):
    tenant, _admin = admin_client()
    patient = make_patient(tenant, "geheime.patient@example.nl")
    page = client.get("/t/linde/admin/staff").text
    assert "admin@linde.nl" in page
    assert "geheime.patient" not in page
    assert client.get(f"/t/linde/admin/staff/{patient.user_id}").status_code == 404


@pytest.mark.parametrize("role", ["enrolment", "clinician", "analyst", "patient"])
def test_only_admins_manage_staff(
    client, make_tenant, make_user, make_patient, sign_in_staff, sign_in, role
):
    tenant = make_tenant("linde")
    if role == "patient":
        make_patient(tenant, "p@example.nl")
        sign_in("linde", "p@example.nl")
    else:
        sign_in_staff("linde", make_user(tenant, f"{role}@example.nl", role))
    for path in (
        "/t/linde/admin/staff",
        "/t/linde/admin/branding",
        "/t/linde/admin/branding/preview",
    ):
        assert client.get(path).status_code == 403, path


def test_an_admin_opens_and_saves_a_clinicians_details(client, admin_client, make_user, db):
    from pelvicoach.tenants.staff import services

    tenant, _admin = admin_client("horizon", kind="insurer")
    with tenant_context(tenant.id, db.session):
        provider = _physio(tenant, "Bekkenfysiotherapie Amstel", contracted=True)
        db.session.commit()
    clinician = make_user(tenant, "marloes@example.nl", "clinician")
    with tenant_context(tenant.id, db.session):
        services.change(
            db.session.get(User, clinician.id),
            "insurer",
            services.Details(
                roles=frozenset({"clinician"}),
                register="BIG",
                number="19012345601",
                care_provider_id=provider.id,
            ),
        )
        db.session.commit()
    page = client.get(f"/t/horizon/admin/staff/{clinician.id}")
    assert page.status_code == 200
    assert 'value="19012345601"' in page.text
    assert f'<option selected value="{provider.id}">' in page.text
    saved = client.post(
        f"/t/horizon/admin/staff/{clinician.id}",
        data={
            "roles": ["clinician"],
            "register": "BIG",
            "number": "19012345602",
            "care_provider": provider.id,
        },
    )
    assert saved.status_code == 302, saved.text
