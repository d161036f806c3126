"""Tenant resolution by path, signing in, and what each kind of account lands on."""

from __future__ import annotations

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context


def test_unknown_tenant_is_a_404_page(client):
    response = client.get("/t/nobody/login")
    assert response.status_code == 404
    assert "We kunnen deze pagina niet vinden" in response.text


def test_suspended_tenant_is_a_403_that_reveals_nothing(client, make_tenant):
    tenant = make_tenant("dicht", name="Gesloten Praktijk")
    tenant.status = "suspended"
    database.session.commit()
    response = client.get("/t/dicht/login")
    assert response.status_code == 403
    assert "Gesloten Praktijk" not in response.text


def test_patient_signs_in_and_sees_her_program(client, make_tenant, make_patient, sign_in):
    tenant = make_tenant("linde", name="Praktijk De Linde")
    make_patient(tenant, "sanne@example.nl", phase="training")
    response = sign_in("linde", "Sanne@Example.nl ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/t/linde/"
    home = client.get("/t/linde/")
    assert "Praktijk De Linde" in home.text
    assert "Hallo Sanne" in home.text
    # The current step is marked for assistive technology, and only that one.
    assert home.text.count('aria-current="step"') == 1
    steps = home.text.index("pc-steps")  # after the menu, which names "Oefenen" too
    assert home.text.index('aria-current="step"') < home.text.index("Oefenen", steps)


def test_staff_lands_on_the_staff_page(client, make_tenant, make_user, sign_in_staff):
    tenant = make_tenant("linde")
    user = make_user(tenant, "anouk@example.nl", "admin", "clinician")
    response = sign_in_staff("linde", user)
    assert response.headers["Location"] == "/t/linde/staff/"
    page = client.get("/t/linde/staff/")
    assert "Beheerder, Zorgverlener" in page.text  # her roles, in the page's language


def test_wrong_password_and_unknown_address_get_the_same_answer(
    client, make_tenant, make_user, sign_in
):
    tenant = make_tenant("linde")
    make_user(tenant, "anouk@example.nl", "admin")
    wrong = sign_in("linde", "anouk@example.nl", "not-the-password")
    unknown = sign_in("linde", "nobody@example.nl", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    message = "Dit e-mailadres en wachtwoord horen niet bij elkaar"
    assert message in wrong.text
    assert message in unknown.text


def test_an_account_only_counts_at_its_own_tenant(client, make_tenant, make_patient, sign_in):
    linde = make_tenant("linde")
    make_tenant("horizon", kind="insurer")
    make_patient(linde, "sanne@example.nl")
    # The same credentials do not work at another tenant ...
    assert "horen niet bij elkaar" in sign_in("horizon", "sanne@example.nl").text
    # ... and a session from one tenant is anonymous at the other.
    sign_in("linde", "sanne@example.nl")
    assert "Hallo" in client.get("/t/linde/").text
    other = client.get("/t/horizon/staff/")
    assert other.status_code == 302
    assert other.headers["Location"].startswith("/t/horizon/login")


def test_login_does_not_redirect_off_site(client, make_tenant, make_patient):
    tenant = make_tenant("linde")
    make_patient(tenant, "sanne@example.nl")
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(
            f"/t/linde/login?next={target}",
            data={"email": "sanne@example.nl", "password": "correct-horse-battery-staple"},
        )
        assert response.headers["Location"] == "/t/linde/"
        client.post("/t/linde/logout")


def test_deactivated_account_cannot_sign_in(client, make_tenant, make_user, sign_in):
    tenant = make_tenant("linde")
    user = make_user(tenant, "anouk@example.nl", "clinician")
    user.active = False
    database.session.commit()
    assert "horen niet bij elkaar" in sign_in("linde", "anouk@example.nl").text


def test_sign_out_needs_a_post(client, make_tenant, make_patient, sign_in):
    tenant = make_tenant("linde")
    make_patient(tenant, "sanne@example.nl")
    sign_in("linde", "sanne@example.nl")
    assert client.get("/t/linde/logout").status_code == 405
    assert client.post("/t/linde/logout").status_code == 302
    assert "Hallo" not in client.get("/t/linde/").text


def test_forms_need_a_csrf_token(make_app, db, make_tenant, make_patient):
    app = make_app(WTF_CSRF_ENABLED=True)
    tenant = make_tenant("linde")
    make_patient(tenant, "sanne@example.nl")
    response = app.test_client().post(
        "/t/linde/login",
        data={"email": "sanne@example.nl", "password": "correct-horse-battery-staple"},
    )
    assert response.status_code == 400


def test_portal_home_queries_stay_constant(
    client, make_tenant, make_patient, sign_in, count_queries
):
    tenant = make_tenant("linde")
    make_patient(tenant, "sanne@example.nl", phase="training")
    sign_in("linde", "sanne@example.nl")
    with count_queries() as counter:
        assert client.get("/t/linde/").status_code == 200
    # tenant, the tenant into the transaction (RLS), session with user and roles, patient
    assert counter.count <= 4, "\n".join(counter.statements)


def test_brand_stylesheet_carries_the_tenant_colour(client, make_tenant):
    make_tenant("linde", brand_color="#1F6B45")
    response = client.get("/t/linde/brand.css")
    assert response.mimetype == "text/css"
    assert "--pc-brand: #1f6b45;" in response.text
    assert "--pc-on-brand: #ffffff;" in response.text
    again = client.get("/t/linde/brand.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert "--pc-logo" not in response.text


def test_the_logo_comes_from_a_custom_property(client, make_tenant, db, png):
    from pelvicoach.tenants.branding import clean_image
    from pelvicoach.tenants.services import store_image

    tenant = make_tenant("linde")
    with tenant_context(tenant.id, db.session):
        store_image(tenant, "logo", clean_image(png(300, 100), "logo"))
        db.session.commit()
    address = f"/t/linde/brand/logo-{tenant.logo_digest}.png"
    assert f'--pc-logo: url("{address}");' in client.get("/t/linde/brand.css").text
    assert 'class="pc-logo"' in client.get("/t/linde/login").text
    image = client.get(address)
    assert image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG")
    assert "immutable" in image.headers["Cache-Control"]
    assert client.get("/t/linde/brand/logo-0123456789abcdef.png").status_code == 404


def test_security_headers(client, make_tenant):
    make_tenant("linde")
    response = client.get("/t/linde/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_production_forces_https_with_hsts_and_secure_cookies(make_app, db, make_tenant):
    app = make_app(PELVICOACH_MODE="production", SESSION_COOKIE_SECURE=True)
    make_tenant("linde")
    client = app.test_client()
    plain = client.get("/t/linde/login", base_url="http://localhost")
    assert plain.status_code == 302
    assert plain.headers["Location"].startswith("https://")
    secure = client.get("/t/linde/login?lang=en", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]
    cookie = secure.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_platform_root_leads_to_its_sign_in_or_the_operators_console(
    client, make_user, sign_in_staff
):
    assert client.get("/").headers["Location"] == "/login"
    sign_in_staff(None, make_user(None, "ops@pelvicoach.nl", "operator"))
    assert client.get("/").headers["Location"] == "/operator/"
