"""The care-provider directory: CSV as people send it (BOM or not, Windows-1252, commas or
semicolons), every bad row reported and no good row lost, a safe export, and the admin's pages."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.tenants import provider_import
from pelvicoach.tenants.care_providers import CareProvider, add_provider

GOOD_AND_BAD = """naam;soort;adres;postcode;plaats;telefoon;website;gecontracteerd
Bekkenfysiotherapie Domstad;bekkenfysiotherapeut;Oudegracht 1;3511 AB;Utrecht;030-1234567;https://domstad.example;ja
Huisartsenpraktijk Café Zuid;huisarts;Biltstraat 2;3572 AA;Utrecht;;;nee
Nergens;huisarts;Straat 3;0000 XX;Nergens;;;
Verkeerd soort;tandarts;Straat 4;3511 AB;Utrecht;;;
;huisarts;Straat 5;3511 AB;Utrecht;;;
Onveilige site;huisarts;Straat 6;3511 AB;Utrecht;;http://onveilig.example;
Bekkenfysiotherapie Domstad;bekkenfysiotherapeut;Oudegracht 1;3511AB;Utrecht;;;
Te veel cellen;huisarts;Straat 7;3511 AB;Utrecht;;;;extra
"""


def test_good_rows_are_kept_and_every_bad_row_is_named(app):
    with app.test_request_context("/?lang=en"):
        parsed = provider_import.parse(GOOD_AND_BAD)
    assert [row["name"] for row in parsed.good] == [
        "Bekkenfysiotherapie Domstad",
        "Huisartsenpraktijk Café Zuid",
    ]
    assert parsed.good[0]["kind"] == "pelvic_physio"
    assert parsed.good[0]["contracted"] is True
    assert parsed.good[1]["accepting_patients"] is True
    lines = dict(parsed.bad)
    assert sorted(lines) == [4, 5, 6, 7, 8, 9]
    assert "postcode" in lines[4]
    assert "kind" in lines[5]
    assert "name" in lines[6]
    assert "https://" in lines[7]
    assert "already" in lines[8]
    assert "cells" in lines[9]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: "\ufeff".encode() + text.encode("utf-8"),
        lambda text: text.encode("cp1252"),
    ],
)
def test_encodings_and_separators(app, encode):
    text = GOOD_AND_BAD.replace(";", ",")
    decoded = provider_import.decode(encode(text))
    with app.test_request_context():
        parsed = provider_import.parse(decoded)
    assert parsed.good[1]["name"] == "Huisartsenpraktijk Café Zuid"


def test_files_that_are_no_csv(app):
    assert provider_import.decode(b"%PDF-1.7\x00\x01\x02") is None
    assert provider_import.decode(bytes([0x81, 0x8D, 0x8F, 0x90])) is None
    with app.test_request_context():
        assert provider_import.parse("").problem
        assert "postcode" in provider_import.parse("name,kind,address,city\nX,gp,Y,Z\n").problem


def test_the_export_reads_back_and_starts_no_formula(app, make_tenant, db):
    tenant = make_tenant("linde")
    with tenant_context(tenant.id, db.session):
        add_provider(
            tenant.id,
            kind="gp",
            name='=HYPERLINK("https://evil.example")',
            address="Oudegracht 1",
            postcode="3511 AB",
            city="Utrecht",
            phone="+31 30 1234567",
        )
        db.session.commit()
        rows = db.session.scalars(select(CareProvider)).all()
    exported = provider_import.export(rows)
    assert exported.startswith("\ufeffkind;name;")
    assert ";\"'=HYPERLINK(" in exported  # quoted, and made text with a leading '
    with app.test_request_context():
        again = provider_import.parse(exported.lstrip("\ufeff"))
    assert again.bad == []
    assert again.good[0]["name"].startswith("=HYPERLINK")
    assert again.good[0]["phone"] == "+31 30 1234567"


@pytest.fixture
def admin(client, make_tenant, make_user, sign_in_staff):
    tenant = make_tenant("linde")
    sign_in_staff("linde", make_user(tenant, "admin@linde.nl", "admin"))
    return tenant


def test_import_previews_then_adds_the_good_rows(client, admin, db):
    preview = client.post(
        "/t/linde/admin/providers/import?lang=en",
        data={"file": (io.BytesIO(GOOD_AND_BAD.encode("cp1252")), "providers.csv")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    assert preview.text.count("<tr><td>") == 6 + 2  # six bad rows, two good ones
    assert db.session.scalar(select(CareProvider)) is None  # nothing added yet
    content = provider_import.decode(GOOD_AND_BAD.encode("cp1252"))
    added = client.post("/t/linde/admin/providers/import/confirm", data={"content": content})
    assert added.status_code == 302
    names = db.session.scalars(select(CareProvider.name).order_by(CareProvider.name)).all()
    assert names == ["Bekkenfysiotherapie Domstad", "Huisartsenpraktijk Café Zuid"]
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "care_providers.imported")
    )
    assert event.detail == {"after": {"added": 2, "refused": 6}}
    exported = client.get("/t/linde/admin/providers/export.csv")
    assert exported.mimetype == "text/csv"
    assert "Café Zuid" in exported.get_data(as_text=True)


@pytest.mark.parametrize(
    "upload",
    [
        (io.BytesIO(b"%PDF-1.7\n\x00\x00binary"), "providers.csv"),
        (io.BytesIO(b"x" * (1024 * 1024 + 1)), "big.csv"),
        (io.BytesIO(b"naam,plaats\nX,Y\n"), "providers.csv"),
    ],
)
def test_unreadable_files_are_refused_at_the_field(client, admin, upload):
    response = client.post(
        "/t/linde/admin/providers/import",
        data={"file": upload},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "is-invalid" in response.text


def test_add_edit_and_remove_with_messages_at_the_field(client, admin, db, make_user):
    refused = client.post(
        "/t/linde/admin/providers",
        data={
            "kind": "gp",
            "name": "Praktijk",
            "address": "Straat 1",
            "postcode": "0000 XX",
            "city": "Nergens",
        },
    )
    assert refused.status_code == 422
    assert "is-invalid" in refused.text
    assert db.session.scalar(select(CareProvider)) is None
    added = client.post(
        "/t/linde/admin/providers",
        data={
            "kind": "pelvic_physio",
            "name": "Bekken Utrecht",
            "address": "Oudegracht 1",
            "postcode": "3511ab",
            "city": "Utrecht",
            "accepting_patients": "y",
        },
    )
    assert added.status_code == 302
    provider = db.session.scalar(select(CareProvider))
    assert provider.postcode == "3511 AB"
    changed = client.post(
        f"/t/linde/admin/providers/{provider.id}",
        data={
            "kind": "pelvic_physio",
            "name": "Bekken Utrecht Centrum",
            "address": "Oudegracht 1",
            "postcode": "3572 AA",
            "city": "Utrecht",
        },
    )
    assert changed.status_code == 302
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "care_provider.changed")
    )
    assert event.detail["before"]["name"] == "Bekken Utrecht"
    assert event.detail["after"]["accepting_patients"] is False
    assert client.post(f"/t/linde/admin/providers/{provider.id}/remove").status_code == 302
    assert db.session.scalar(select(CareProvider)) is None
