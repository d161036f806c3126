"""Downloads of the report: asked for by an admin or analyst, built by a job, fetched while the
link lasts; the page's published figures and nothing that names a woman; every step audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from conftest import PASSWORD
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select, update

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.reporting import export_files, exports, services
from pelvicoach.reporting.labels import month_label as named_month
from pelvicoach.reporting.models import ExportFormat, ReportExport
from pelvicoach.reporting.report import EVERYONE

PAGE = "/t/linde/staff/reports/"


@pytest.fixture
def linde(make_tenant, make_patient, db):
    """Linde with 25 women who made an account (and nothing more yet): thirteen after giving
    birth, twelve around the menopause."""
    tenant = make_tenant("linde")
    tenant.women = [make_patient(tenant, f"vrouw{n}@example.nl") for n in range(25)]
    with tenant_context(tenant.id, db.session):
        for woman in tenant.women[13:]:
            db.session.execute(
                update(Patient)
                .where(Patient.id == woman.id)
                .values(cohort="menopause", birth_year=1970)
            )
        db.session.commit()
    return tenant


def month_label(app) -> str:
    """This month as the English page names it (the women enrolled today)."""
    with app.app_context(), force_locale("en"):
        return named_month(f"{datetime.now(UTC):%Y-%m}")


def ask(client, fmt: str, show: str = "", lang: str = "en") -> str:
    """Ask for a download; the file is written in the language of the page it was asked on."""
    asked = client.post(f"{PAGE}exports?lang={lang}", data={"format": fmt, "show": show})
    assert asked.status_code == 302, asked.text
    return asked.headers["Location"]


def signed_in(app, slug: str, user):
    """Another browser, signed in as `user` with both steps."""
    other = app.test_client()
    other.post(f"/t/{slug}/login", data={"email": user.email, "password": PASSWORD})
    other.post(f"/t/{slug}/login/verify", data={"code": pyotp.TOTP(user.totp_secret).now()})
    return other


def identifying(linde, db) -> list[str]:
    with tenant_context(linde.id, db.session):
        return [
            text
            for woman in linde.women
            for text in (woman.pseudonym, woman.user.email, woman.user.name)
        ]


def test_an_analyst_downloads_the_workbook_of_one_group(
    app, client, linde, make_user, sign_in_staff, run_jobs, db
):
    sign_in_staff("linde", make_user(linde, "analyst@linde.nl", "analyst"))
    status = ask(client, "xlsx", "cohort:postpartum")
    waiting = client.get(status + "?lang=en")
    assert "Being made: 0%" in waiting.text
    assert 'max="100"' in waiting.text
    assert client.get(status + "/progress").json == {"state": "queued", "progress": 0, "total": 100}
    assert client.get(status + "/file").status_code == 404  # not made yet
    assert run_jobs() == 1
    ready = client.get(status + "?lang=en")
    assert "The file is ready" in ready.text
    assert client.get(status + "/progress").json["state"] == "done"
    got = client.get(status + "/file")
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert got.headers["Content-Disposition"].startswith('attachment; filename="report-linde-')
    sheet = load_workbook(io.BytesIO(got.data)).active
    rows = [
        tuple(cell for cell in row if cell is not None) for row in sheet.iter_rows(values_only=True)
    ]
    assert ("Women: Group: after giving birth",) in rows
    funnel = "From invitation to exercise therapy", "Reached this step"
    # The thirteen after giving birth are shown; how far each came would point at too few
    assert (*funnel, "Invited or enrolled", 13, 13) in rows
    assert (*funnel, "Consented to the use of health data", "hidden", 13) in rows
    assert ("Enrolments per month", "Women enrolled", month_label(app), 13, 13) in rows
    text = " ".join(str(cell) for row in rows for cell in row)
    assert "hidden" in text
    for secret in identifying(linde, db):
        assert secret not in text
    with tenant_context(linde.id, db.session):
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("report.export%"))
        ).all()
    assert sorted(actions) == ["report.export_requested", "report.exported"]


def test_csv_and_pdf_hold_the_same_figures(
    app, client, linde, make_user, sign_in_staff, run_jobs, db
):
    sign_in_staff("linde", make_user(linde, "admin@linde.nl", "admin"))
    as_csv, as_pdf = ask(client, "csv", lang="nl"), ask(client, "pdf")
    assert run_jobs() == 2
    table = client.get(as_csv + "/file")
    assert table.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = table.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    # As published for all women: the same figures as the page shows
    with app.app_context(), tenant_context(linde.id, db.session):
        shown = services.published(linde).report(EVERYONE)
    invited = [str(figure) if figure is not None else "verborgen" for figure in shown.reached]
    funnel = ["Van uitnodiging tot oefentherapie", "Deze stap bereikt"]
    total = invited[0]
    assert [*funnel, "Uitgenodigd of ingeschreven", invited[0], total] in rows
    assert [*funnel, "Oefentherapie opengezet", invited[4], total] in rows
    document = client.get(as_pdf + "/file")
    assert document.headers["Content-Type"] == "application/pdf"
    assert document.data.startswith(b"%PDF")
    for secret in identifying(linde, db):
        assert secret not in text
        assert secret.encode() not in document.data


def test_the_link_expires_and_the_file_goes(client, linde, make_user, sign_in_staff, run_jobs, db):
    sign_in_staff("linde", make_user(linde, "analyst@linde.nl", "analyst"))
    status = ask(client, "csv")
    run_jobs()
    export_id = int(status.rsplit("/", 1)[1])
    with tenant_context(linde.id, db.session):
        db.session.execute(
            update(ReportExport)
            .where(ReportExport.id == export_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
    assert client.get(status + "/file").status_code == 410
    assert "This link has expired" in client.get(status + "?lang=en").text
    assert exports.purge() == 1
    assert client.get(status).status_code == 404


def test_a_file_that_cannot_be_made_says_so(
    client, linde, make_user, sign_in_staff, run_jobs, db, monkeypatch, caplog
):
    """A writer that breaks (a fault injected here) fails the download at once: its page says
    so instead of a bar that never moves, no file is served, the error is logged."""

    def broken(report, tenant_name):
        raise RuntimeError("the writer broke")

    monkeypatch.setitem(export_files.WRITERS, ExportFormat.PDF, broken)
    sign_in_staff("linde", make_user(linde, "analyst@linde.nl", "analyst"))
    status = ask(client, "pdf")
    assert run_jobs() == 1  # the job ends (it is not tried again: the page offers that)
    assert client.get(status + "/progress").json["state"] == "failed"
    page = client.get(status + "?lang=en")
    assert "The file could not be made. Ask for it again" in page.text
    assert "job-progress.js" not in page.text
    assert client.get(status + "/file").status_code == 404
    assert "report export" in caplog.text
    assert "the writer broke" in caplog.text
    assert run_jobs() == 0


def test_refused_asks_and_other_peoples_files(
    client, app, linde, make_tenant, make_user, sign_in_staff, run_jobs, db
):
    sign_in_staff("linde", make_user(linde, "analyst@linde.nl", "analyst"))
    for data in ({"format": "docx"}, {"format": "csv", "show": "cohort:men"}):
        refused = client.post(PAGE + "exports", data=data)
        assert refused.headers["Location"].endswith("/staff/reports/")
    with tenant_context(linde.id, db.session):
        assert db.session.scalar(select(ReportExport)) is None
    status = ask(client, "csv")
    run_jobs()
    for role in ("clinician", "enrolment"):
        other = signed_in(app, "linde", make_user(linde, f"{role}@linde.nl", role))
        assert other.get(status + "/file").status_code == 403
        assert other.post(PAGE + "exports", data={"format": "csv"}).status_code == 403
    horizon = make_tenant("horizon", kind="insurer")
    stranger = signed_in(app, "horizon", make_user(horizon, "analyst@horizon.nl", "analyst"))
    foreign = status.replace("/t/linde/", "/t/horizon/")
    assert stranger.get(foreign + "/file").status_code == 404
    assert stranger.get(foreign).status_code == 404
