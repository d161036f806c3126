"""Any program text in the tenant's words: found by path, Markdown sanitized, previewed, put in
the draft; and program prose as safe HTML everywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pelvicoach.platform.prose import to_html
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.configuration import texts
from pelvicoach.programs.configuration.models import ProgramDraft
from pelvicoach.programs.configuration.services import build, publish

PATH = "modules.anatomy.sections.0.body"


def test_every_text_has_a_path_that_leads_back_to_it():
    document = build()
    found = texts.texts(document)
    assert len(found) > 100
    for path, text in found:
        assert texts.get(document, path) == text
    assert texts.get(document, "modules.nope.title") is None
    assert texts.get(document, "settings.alert_week") is None
    changed = texts.put(document, PATH, {"nl": "Eigen", "en": "Own"})
    assert texts.get(changed, PATH) == {"nl": "Eigen", "en": "Own"}
    assert texts.get(document, PATH) != {"nl": "Eigen", "en": "Own"}  # a copy


@pytest.mark.parametrize(
    ("markdown", "inside", "never"),
    [
        ("Een **sterke** zin.\n\n- een\n- twee", "<strong>sterke</strong>", "<script"),
        ("<script>alert(1)</script>", "&lt;script&gt;", "<script"),
        ("[klik](javascript:alert(1))", "klik", 'href="javascript'),
        ('<img src=x onerror="alert(1)">', "&lt;img", "<img"),
        (
            "[site](https://delinde.nl)",
            'href="https://delinde.nl" rel="noopener noreferrer"',
            "<script",
        ),
        ("# Kop", "<h3>Kop</h3>", "<h1>"),
    ],
)
def test_markdown_is_sanitized(markdown, inside, never):
    html = str(to_html(markdown))
    assert inside in html
    assert never not in html


@pytest.fixture
def admin(client, make_tenant, make_user, sign_in_staff, db):
    tenant = make_tenant("linde")
    sign_in_staff("linde", make_user(tenant, "admin@linde.nl", "admin"))
    with tenant_context(tenant.id, db.session):
        publish(tenant.id, {})
        db.session.commit()
    return tenant


def test_an_admin_previews_and_puts_her_own_text_in_the_draft(client, admin, db, app, make_patient):
    listed = client.get("/t/linde/admin/program/texts")
    assert f'href="/t/linde/admin/program/texts/{PATH}"' in listed.text
    own = {
        "nl": "Bij ons **oefen** je samen.\n\n<script>x</script>",
        "en": "With us you **practise** together.",
    }
    preview = client.post(f"/t/linde/admin/program/texts/{PATH}", data={**own, "action": "preview"})
    assert "<strong>oefen</strong>" in preview.text
    assert "<script>x" not in preview.text
    assert db.session.scalar(select(ProgramDraft)) is None  # a preview keeps nothing
    empty = client.post(
        f"/t/linde/admin/program/texts/{PATH}", data={"nl": own["nl"], "en": " ", "action": "save"}
    )
    assert empty.status_code == 422
    assert db.session.scalar(select(ProgramDraft)) is None
    saved = client.post(f"/t/linde/admin/program/texts/{PATH}", data={**own, "action": "save"})
    assert saved.status_code == 302
    draft = db.session.scalar(select(ProgramDraft))
    assert draft.overrides["modules"][0]["key"] == "anatomy"
    assert client.post("/t/linde/admin/program/publish", data={"move": "now"}).status_code == 302
    make_patient(admin, "sanne@example.nl", phase="information")
    patient = app.test_client()
    patient.post(
        "/t/linde/login",
        data={"email": "sanne@example.nl", "password": "correct-horse-battery-staple"},
    )
    page = patient.get("/t/linde/learn/anatomy").text
    assert "Bij ons <strong>oefen</strong> je samen." in page
    assert "<script>x" not in page
    assert client.get("/t/linde/admin/program/texts/settings.alert_week").status_code == 404
