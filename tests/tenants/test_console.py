"""The operator's console: a tenant on board with its first admin invited, custom domains
unique across tenants, suspension, no patient data, everything audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.tenants.models import Tenant, TenantDomain
from pelvicoach.tenants.staff.models import StaffInvitation

NEW_PASSWORD = "a-long-and-new-staff-password"


@pytest.fixture
def operator(client, make_user, sign_in_staff):
    user = make_user(None, "ops@pelvicoach.nl", "operator")
    assert sign_in_staff(None, user).headers["Location"] == "/operator/"
    return user


def _actions(db) -> list[tuple[int | None, str]]:
    return [
        (event.tenant_id, event.action)
        for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        if not event.action.startswith("login")
    ]


def test_the_operator_onboards_a_tenant_whose_admin_accepts(app, client, operator, db):
    assert client.get("/").headers["Location"] == "/operator/"
    assert 'href="/operator/tenants/"' in client.get("/operator/").text
    created = client.post(
        "/operator/tenants/new",
        data={
            "kind": "insurer",
            "name": "Zorgverzekeraar Noord",
            "slug": "noord",
            "admin_name": "Ingrid Admin",
            "admin_email": "ingrid@noord.nl",
        },
    )
    assert created.status_code == 302, created.text
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "noord"))
    assert tenant.kind == "insurer"
    body = db.session.scalar(
        select(OutgoingMail.body).where(OutgoingMail.recipient == "ingrid@noord.nl")
    )
    link = re.search(r"http://pelvicoach\.test(/t/noord/invitation/\S+)", body).group(1)
    page = client.get(f"/operator/tenants/{tenant.id}")
    assert "ingrid@noord.nl" in page.text
    joined = app.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert joined.headers["Location"] == "/t/noord/login/setup-2fa"
    assert (None, "tenant.created") in _actions(db)
    assert (tenant.id, "staff.invited") in _actions(db)
    assert (tenant.id, "staff.joined") in _actions(db)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"slug": "Not Valid"}, "slug"),
        ({"slug": "www"}, "slug"),
        ({"slug": "linde"}, "slug"),  # taken
        ({"admin_email": "not-an-address"}, "admin_email"),
        ({"kind": "hospital"}, "kind"),
    ],
)
def test_bad_tenants_are_refused_at_the_field(client, operator, make_tenant, db, form, field):
    make_tenant("linde")
    response = client.post(
        "/operator/tenants/new",
        data={
            "kind": "practice",
            "name": "Nieuwe Praktijk",
            "slug": "nieuw",
            "admin_name": "A B",
            "admin_email": "a@b.nl",
            **form,
        },
    )
    assert response.status_code == 422
    assert re.search(rf'id="{field}"[^>]*is-invalid|is-invalid[^>]*id="{field}"', response.text)
    assert db.session.scalar(select(Tenant).where(Tenant.name == "Nieuwe Praktijk")) is None
    assert db.session.scalar(select(StaffInvitation)) is None


def test_custom_domains_are_valid_and_unique_across_tenants(client, operator, make_tenant, db):
    linde = make_tenant("linde")
    horizon = make_tenant("horizon", kind="insurer")
    added = client.post(
        f"/operator/tenants/{linde.id}/domains", data={"domain": "Coach.DeLinde.nl."}
    )
    assert added.status_code == 302
    for domain in ("coach.delinde.nl", "not a host", "localhost"):
        refused = client.post(f"/operator/tenants/{horizon.id}/domains", data={"domain": domain})
        assert refused.status_code == 422, domain
        assert "is-invalid" in refused.text
    assert db.session.scalars(select(TenantDomain.domain)).all() == ["coach.delinde.nl"]
    served = client.get("/login", base_url="http://coach.delinde.nl")
    assert served.status_code == 200
    removed = client.post(f"/operator/tenants/{linde.id}/domains/coach.delinde.nl/remove")
    assert removed.status_code == 302
    assert client.get("/login", base_url="http://coach.delinde.nl").status_code == 404
    actions = _actions(db)
    assert (None, "tenant.domain_added") in actions
    assert (None, "tenant.domain_removed") in actions


def test_suspending_closes_the_site_and_reactivating_opens_it(
    app, client, operator, make_tenant, make_patient, db
):
    tenant = make_tenant("linde")
    make_patient(tenant, "sanne@example.nl")
    patient = app.test_client()
    assert patient.get("/t/linde/login").status_code == 200
    client.post(f"/operator/tenants/{tenant.id}/status")
    assert patient.get("/t/linde/login").status_code == 403
    client.post(f"/operator/tenants/{tenant.id}/status")
    assert patient.get("/t/linde/login").status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tenant.suspended"))
    assert event.detail == {"before": {"status": "active"}, "after": {"status": "suspended"}}


def test_the_operator_sees_no_patient_data(client, operator, two_tenants):
    linde, _horizon = two_tenants
    for path in ("/operator/", "/operator/tenants/", f"/operator/tenants/{linde.id}"):
        page = client.get(path).text
        assert "a-patient@" not in page
        assert "PT" + "0" not in page  # no pseudonyms either
    # Her session is the platform's: a tenant's pages do not know her.
    assert client.get("/t/linde/clinician/").status_code in (302, 404)


@pytest.mark.parametrize("role", ["admin", "clinician", "patient"])
def test_only_the_operator_uses_the_console(client, make_tenant, make_user, sign_in_staff, role):
    tenant = make_tenant("linde")
    user = make_user(tenant, f"{role}@example.nl", role)
    if role == "patient":
        client.post(
            "/t/linde/login", data={"email": user.email, "password": "correct-horse-battery-staple"}
        )
    else:
        sign_in_staff("linde", user)
    assert client.get("/t/linde/operator/tenants/").status_code == 404  # not on a tenant's site
    assert client.get("/operator/tenants/").status_code in (302, 403)  # not her session here
