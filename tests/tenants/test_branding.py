"""Branding: readable colours (with the nearest shade that is), images decoded and re-encoded,
field-level messages and nothing saved on bad input, and the brand on the patient's pages."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.tenants.branding import (
    ImageRefusedError,
    clean_image,
    colour_problem,
    contrast_ratio,
    nearest_readable,
)
from pelvicoach.tenants.models import Tenant, TenantAsset

SCRIPTED_SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.cookie)</script></svg>"
)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize(
    ("colour", "passes"),
    [
        ("#1f6b45", True),
        ("#0b5fa5", True),
        ("#000000", True),
        ("#ffcc00", False),
        ("#777777", False),
        ("#767676", True),
        ("#ff0000", False),
        ("#ffffff", False),
    ],
)
def test_a_brand_colour_must_carry_white_text(app, colour, passes):
    with app.test_request_context():
        assert (colour_problem(colour) is None) is passes


@pytest.mark.parametrize("colour", ["#ffcc00", "#ff0000", "#87ceeb", "#777777", "#ffffff"])
def test_the_suggestion_is_the_nearest_readable_shade_of_the_same_hue(colour):
    shade = nearest_readable(colour)
    assert contrast_ratio(shade, "#ffffff") >= 4.5
    # One step lighter would fail again: it is the nearest that passes, not just any dark one.
    lighter = "#" + "".join(f"{min(int(shade[i : i + 2], 16) + 3, 255):02x}" for i in (1, 3, 5))
    assert contrast_ratio(lighter, "#ffffff") < 4.5


def test_the_message_names_ratio_and_suggestion(app):
    with app.test_request_context():
        message = colour_problem("#ffcc00")
    assert "1.51:1" in message  # (1 + 0.05) / (0.644 + 0.05)
    assert nearest_readable("#ffcc00") in message


def test_images_are_re_encoded_without_metadata_and_capped(png):
    cleaned = clean_image(png(2000, 1000, comment="GPS 52.09,5.12 secret"), "logo")
    assert cleaned.content.startswith(b"\x89PNG")
    assert b"secret" not in cleaned.content
    assert (cleaned.width, cleaned.height) == (512, 256)
    with Image.open(io.BytesIO(cleaned.content)) as image:
        assert image.format == "PNG"
        assert "Comment" not in image.info
    favicon = clean_image(png(300, 100), "favicon")
    assert (favicon.width, favicon.height) == (64, 64)


def test_a_jpeg_with_exif_loses_it(png):
    image = Image.new("RGB", (100, 80), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker Secret"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    cleaned = clean_image(out.getvalue(), "logo")
    assert b"Camera Maker Secret" not in cleaned.content
    assert cleaned.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (SCRIPTED_SVG, "SVG"),
        (PDF, "not a PNG, JPEG or WebP"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a PNG, JPEG or WebP"),  # a broken PNG
        (b"GIF89a" + b"\x00" * 100, "not a PNG, JPEG or WebP"),
        (b"\x89PNG\r\n\x1a\n" + b"x" * (5 * 1024 * 1024), "1 MB"),
    ],
)
def test_anything_but_a_real_image_is_refused(app, data, words):
    with app.test_request_context("/?lang=en"), pytest.raises(ImageRefusedError) as refused:
        clean_image(data, "logo")
    assert words in str(refused.value)


def _form(**overrides):
    return {
        "name": "Praktijk De Linde",
        "brand_color": "#1f6b45",
        "accent_color": "#8a3b76",
        "welcome_nl": "Welkom bij De Linde.",
        "welcome_en": "Welcome to De Linde.",
        "support_email": "vragen@delinde.nl",
        "support_phone": "030-1234567",
        "privacy_url": "https://delinde.nl/privacy",
        **overrides,
    }


@pytest.fixture
def admin(client, make_tenant, make_user, sign_in_staff):
    tenant = make_tenant("linde")
    sign_in_staff("linde", make_user(tenant, "admin@linde.nl", "admin"))
    return tenant


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"brand_color": "#ffcc00"}, "brand_color", "4.5:1"),
        ({"accent_color": "blue"}, "accent_color", "#rrggbb"),
        ({"logo": (io.BytesIO(b"x" * (5 * 1024 * 1024)), "big.png")}, "logo", "1 MB"),
        ({"logo": (io.BytesIO(PDF), "report.png")}, "logo", "not a PNG, JPEG or WebP"),
        ({"logo": (io.BytesIO(SCRIPTED_SVG), "logo.svg")}, "logo", "SVG"),
        ({"favicon": (io.BytesIO(SCRIPTED_SVG), "icon.png")}, "favicon", "SVG"),
        ({"privacy_url": "http://insecure.example/privacy"}, "privacy_url", "https://"),
        ({"support_email": "not-an-address"}, "support_email", "e-mail"),
    ],
)
def test_bad_branding_gives_a_message_at_the_field_and_saves_nothing(
    client, admin, db, overrides, field, words
):
    response = client.post(
        "/t/linde/admin/branding?lang=en",
        data=_form(name="Een Nieuwe Naam", **overrides),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.text
    assert f'id="{field}"' in page
    assert words in page
    db.session.expire_all()
    tenant = db.session.get(Tenant, admin.id)
    assert tenant.name == "Praktijk Linde"  # nothing saved, not even the good fields
    assert tenant.logo_digest is None
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "branding.changed")) is None
    )


def test_branding_is_saved_audited_and_worn_by_the_patient_portal(
    app, client, admin, db, png, make_patient
):
    saved = client.post(
        "/t/linde/admin/branding",
        data=_form(
            logo=(io.BytesIO(png(400, 200, comment="secret")), "logo.png"),
            favicon=(io.BytesIO(png(32, 32)), "icon.png"),
        ),
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302, saved.text
    db.session.expire_all()
    tenant = db.session.get(Tenant, admin.id)
    assert (tenant.name, tenant.brand_color, tenant.accent_color) == (
        "Praktijk De Linde",
        "#1f6b45",
        "#8a3b76",
    )
    asset = db.session.get(TenantAsset, (tenant.id, "logo"))
    assert b"secret" not in asset.content
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "branding.changed"))
    assert event.detail["before"]["name"] == "Praktijk Linde"
    assert event.detail["after"]["name"] == "Praktijk De Linde"
    assert event.detail["after"]["logo_digest"] == tenant.logo_digest

    make_patient(tenant, "sanne@example.nl")
    patient = app.test_client()
    welcome = patient.get("/t/linde/").text
    assert "Welkom bij De Linde." in welcome
    assert "Praktijk De Linde" in welcome
    assert "030-1234567" in welcome
    assert 'href="https://delinde.nl/privacy"' in welcome
    assert f"/t/linde/brand/favicon-{tenant.favicon_digest}.png" in welcome
    css = patient.get("/t/linde/brand.css").text
    assert "--pc-accent: #8a3b76;" in css
    assert f"/t/linde/brand/logo-{tenant.logo_digest}.png" in css
    assert "Welcome to De Linde." in patient.get("/t/linde/?lang=en").text


def test_the_preview_may_be_framed_by_the_branding_page_only(client, admin):
    preview = client.get("/t/linde/admin/branding/preview")
    assert preview.status_code == 200
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert "blob:" in preview.headers["Content-Security-Policy"]
    page = client.get("/t/linde/admin/branding")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert 'src="/t/linde/admin/branding/preview"' in page.text


def test_removing_the_logo(client, admin, db, png):
    client.post(
        "/t/linde/admin/branding",
        data=_form(logo=(io.BytesIO(png()), "logo.png")),
        content_type="multipart/form-data",
    )
    client.post(
        "/t/linde/admin/branding", data=_form(remove_logo="y"), content_type="multipart/form-data"
    )
    db.session.expire_all()
    assert db.session.get(Tenant, admin.id).logo_digest is None
    assert db.session.get(TenantAsset, (admin.id, "logo")) is None


def test_the_tenants_mails_carry_its_name_and_contact(
    mail_app, db, make_tenant, run_jobs, platform_twin
):
    import contextvars

    from pelvicoach.platform import outbox
    from pelvicoach.platform.mail import queue_mail
    from pelvicoach.platform.tenancy import tenant_context

    tenant = make_tenant("linde", name="Bekkenpraktijk Één")
    db.session.get(Tenant, tenant.id).support_phone = "030-1234567"
    db.session.commit()

    def write() -> None:
        with platform_twin(mail_app).app_context():
            with tenant_context(tenant.id, db.session):
                queue_mail(
                    tenant_id=tenant.id,
                    to="sanne@example.nl",
                    subject="Hallo",
                    body="Tekst.",
                    purpose="test",
                )
                db.session.commit()
            outbox.relay(limit=10)

    contextvars.Context().run(write)
    run_jobs(mail_app)
    (message,) = mail_app.mailbox.messages
    (sender,) = message["From"].addresses
    assert sender.display_name == "Bekkenpraktijk Één"  # encoded on the wire, read back whole
    assert sender.addr_spec == "no-reply@pelvicoach.test"
    lines = message.get_content().splitlines()
    assert lines[-4:] == ["Tekst.", "-- ", "Bekkenpraktijk Één", "030-1234567"]


def test_the_api_refuses_a_low_contrast_colour_with_problem_details(
    client, make_tenant, key_for, db
):
    tenant = make_tenant("linde")
    key = key_for(tenant, "program:write")
    refused = client.patch(
        "/t/linde/api/v1/program/settings?lang=en",
        json={"brand_color": "#ffcc00"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert "#907300" in refused.json["errors"]["brand_color"][0]  # the nearest readable shade
    db.session.expire_all()
    assert db.session.get(Tenant, tenant.id).brand_color == "#0b5fa5"
