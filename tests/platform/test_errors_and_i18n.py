"""Error pages in Dutch and English, problem details for API clients, complete catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "platform" / "translations"


@pytest.mark.parametrize(
    ("lang", "title"),
    [("nl", "We kunnen deze pagina niet vinden"), ("en", "We cannot find this page")],
)
def test_404_page_in_both_languages(client, lang, title):
    response = client.get(f"/no/such/page?lang={lang}")
    assert response.status_code == 404
    assert title in response.text
    assert f'<html lang="{lang}">' in response.text


def test_language_choice_is_remembered(client):
    client.get("/nothing?lang=en")
    assert "We cannot find this page" in client.get("/nothing").text


def test_dutch_is_the_default(client):
    assert "Naar de inhoud" in client.get("/nothing").text


def test_405_page(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "Dit kan hier niet" in response.text
    assert "GET" in response.headers["Allow"]


def test_json_clients_get_problem_details(client):
    response = client.get("/nothing", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["title"] == "Not Found"


def test_500_page_hides_the_error_and_rolls_back(make_app, db, make_tenant):
    from pelvicoach.platform.extensions import db as database
    from pelvicoach.tenants.models import Tenant

    tenant = make_tenant("linde", name="Before")
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        database.session.get(Tenant, tenant.id).name = "Half done"
        database.session.flush()
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom?lang=en")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text
    database.session.expire_all()
    assert database.session.get(Tenant, tenant.id).name == "Before"


def test_a_malformed_slug_is_no_tenant(client):
    assert client.get("/t/bad_slug!/login").status_code == 404


def test_400_page(make_app, db, make_tenant):
    make_tenant("linde")
    response = make_app(WTF_CSRF_ENABLED=True).test_client().post("/t/linde/login", data={})
    assert response.status_code == 400
    assert "Er klopte iets niet in je verzoek" in response.text


def test_403_page(client, make_tenant):
    tenant = make_tenant("dicht")
    tenant.status = "suspended"
    from pelvicoach.platform.extensions import db

    db.session.commit()
    response = client.get("/t/dicht/?lang=en")
    assert response.status_code == 403
    assert "You cannot open this page" in response.text


def test_every_dutch_message_is_translated_and_compiled():
    with open(TRANSLATIONS / "nl/LC_MESSAGES/messages.po", "rb") as f:
        po = read_po(f)
    with open(TRANSLATIONS / "nl/LC_MESSAGES/messages.mo", "rb") as f:
        mo = read_mo(f)
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []

    def plain(value):  # plural entries come as lists or tuples, depending on the reader
        return tuple(value) if isinstance(value, list | tuple) else value

    po_pairs = {plain(m.id): plain(m.string) for m in po if m.id}
    mo_pairs = {plain(m.id): plain(m.string) for m in mo if m.id}
    assert po_pairs == mo_pairs, "run scripts/i18n.sh to recompile the catalogue"


def test_every_text_in_the_code_is_in_the_catalogue(tmp_path):
    import subprocess
    import sys

    repo = TRANSLATIONS.parent.parent
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            "--ignore-dirs",
            ".venv tests node_modules .tmp build",
            ".",
        ],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as f:
        source_ids = {m.id for m in read_po(f) if m.id}
    with open(TRANSLATIONS / "nl/LC_MESSAGES/messages.po", "rb") as f:
        catalogue_ids = {m.id for m in read_po(f) if m.id}
    assert source_ids - catalogue_ids == set(), "run scripts/i18n.sh and translate the new texts"
