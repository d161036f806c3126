"""Enrolling women from a file, as officers really send them: every good row in, every bad row
reported with its reason, nothing twice on a second upload; the work done by real rq jobs on
PostgreSQL and Redis."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from pelvicoach.platform import outbox
from pelvicoach.platform.accounts import User
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.bulk import jobs
from pelvicoach.programs.enrolment.bulk.models import EnrolmentImport, RefusedRow
from pelvicoach.programs.enrolment.models import Patient

DESK = "/t/linde/staff/enrolment"
HEADER = ["naam", "e-mailadres", "geboortejaar", "groep", "bevallingsdatum", "behandelaar"]


@pytest.fixture
def officer(client, make_tenant, make_user, sign_in_staff):
    tenant = make_tenant("linde")
    make_user(tenant, "fysio@linde.nl", "clinician")
    make_user(tenant, "al@example.nl", "patient")  # has an account here already
    sign_in_staff("linde", make_user(tenant, "eva@linde.nl", "enrolment"))
    return tenant


def _csv(rows: list[list[str]], delimiter: str = ",", header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _upload(client, data: bytes, filename: str = "vrouwen.csv"):
    return client.post(
        f"{DESK}/imports?lang=en",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _checked(client, run_jobs, data: bytes, filename: str = "vrouwen.csv") -> int:
    response = _upload(client, data, filename)
    assert response.status_code == 302, response.text
    run_jobs()
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _import(db, import_id: int) -> EnrolmentImport:
    db.session.expire_all()
    return db.session.get(EnrolmentImport, import_id)


def _confirm(client, run_jobs, import_id: int, invite: bool = False) -> None:
    data = {"invite": "y"} if invite else {}
    response = client.post(f"{DESK}/imports/{import_id}/confirm", data=data)
    assert response.status_code == 302
    run_jobs()


def _reasons(db, import_id: int) -> dict[int, str]:
    rows = db.session.scalars(select(RefusedRow).where(RefusedRow.import_id == import_id))
    return {row.row: row.reason for row in rows}


def _enrolled(db, tenant) -> set[str]:
    with tenant_context(tenant.id, db.session):
        return set(db.session.scalars(select(User.email).join(Patient, Patient.user_id == User.id)))


GOOD = [
    ["Anna de Vries", "anna@example.nl", "1994", "postpartum", "12-09-2026", ""],
    ["Fatima el Amrani", "Fatima@Example.nl", "1990", "bevallen", "2026-10-03", "fysio@linde.nl"],
    ["Ingrid Bakker", "ingrid@example.nl", "1971", "menopauze", "", ""],
]
BAD = {
    5: (["Bea", "geen-adres", "1990", "", "", ""], "Not a valid e-mail address"),
    6: (["Anna again", "ANNA@example.nl", "1994", "", "", ""], "same e-mail address is on row 2"),
    7: (["Al", "al@example.nl", "1980", "", "", ""], "exists here already"),
    8: (["Cor", "cor@example.nl", "1990", "", "", "nobody@linde.nl"], "No clinician"),
    9: (["Dee", "dee@example.nl", "1990", "", "31-02-2026", ""], "Not a date"),
    10: (["", "eef@example.nl", "1990", "", "", ""], "Empty: name"),
    11: (["Fem", "fem@example.nl", "1800", "", "", ""], "from 1930 to 2015"),
    12: (["Gea", "gea@example.nl", "1990", "", "01-01-2099", ""], "10 months ahead"),
    13: (["Hes", "hes@example.nl", "1990", "elders", "", ""], "postpartum or menopause"),
    14: (['=HYPERLINK("http://x")', "@bad", "1990", "", "", ""], "Not a valid e-mail address"),
}


def test_good_rows_are_enrolled_and_every_bad_one_reported(client, officer, db, run_jobs):
    content = _csv(GOOD + [cells for cells, _reason in BAD.values()])
    import_id = _checked(client, run_jobs, content.encode("utf-8"))
    row = _import(db, import_id)
    assert (row.state, row.rows, row.good) == ("checked", 13, 3)
    preview = client.get(f"{DESK}/imports/{import_id}?lang=en").text
    assert "3 women can be enrolled." in preview
    assert "10 rows cannot" in preview
    reasons = _reasons(db, import_id)
    assert set(reasons) == set(BAD)
    for number, (_cells, reason) in BAD.items():
        assert reason in reasons[number], (number, reasons[number])
    assert _enrolled(db, officer) == set()  # nobody before the officer confirms

    _confirm(client, run_jobs, import_id)
    row = _import(db, import_id)
    assert (row.state, row.created, row.content) == ("done", 3, None)
    assert _enrolled(db, officer) == {"anna@example.nl", "fatima@example.nl", "ingrid@example.nl"}
    with tenant_context(officer.id, db.session):
        fatima = db.session.scalar(
            select(Patient).join(User, User.id == Patient.user_id).where(User.name.like("Fatima%"))
        )
        assert fatima.clinician.email == "fysio@linde.nl"
        assert str(fatima.delivery_date) == "2026-10-03"
    done = client.get(f"{DESK}/imports/{import_id}?lang=en").text
    assert "3 women enrolled." in done
    assert "10 rows were not enrolled." in done

    report = client.get(f"{DESK}/imports/{import_id}/report.csv?lang=en")
    lines = list(csv.reader(io.StringIO(report.text.lstrip("\ufeff")), delimiter=";"))
    assert lines[0] == ["row", "reason", *HEADER]
    assert [int(line[0]) for line in lines[1:]] == sorted(BAD)
    formula = next(line for line in lines if line[0] == "14")
    assert formula[2] == '\'=HYPERLINK("http://x")'
    assert formula[3] == "'@bad"
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "patients.import_uploaded",
        "patients.import_confirmed",
        "patients.imported",
        "patients.import_report_downloaded",
    } <= actions


def test_uploading_the_same_file_again_enrols_nobody_twice(client, officer, db, run_jobs):
    content = _csv(GOOD).encode()
    _confirm(client, run_jobs, _checked(client, run_jobs, content))
    again = _checked(client, run_jobs, content)
    row = _import(db, again)
    assert (row.rows, row.good) == (3, 0)
    page = client.get(f"{DESK}/imports/{again}?lang=en").text
    assert "You imported this same file on" in page
    assert "0 women can be enrolled." in page
    assert set(_reasons(db, again).values()) == {
        "An account with this e-mail address exists here already."
    }
    with tenant_context(officer.id, db.session):
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 3


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ","), ("utf-8", ";"), ("cp1252", ";"), ("cp1252", ","), ("utf-8", "\t")],
)
def test_encodings_and_separators_of_real_spreadsheets(
    client, officer, db, run_jobs, encoding, delimiter
):
    rows = [
        ["Eléonore Dupré", "eleonore@example.nl", "1992", "postpartum", "1-8-2026", ""],
        ["Noëlle Ünal", "noelle@example.nl", "1989", "", "", ""],
    ]
    content = _csv(rows, delimiter=delimiter).encode(encoding)
    import_id = _checked(client, run_jobs, content)
    assert _import(db, import_id).good == 2, _reasons(db, import_id)
    _confirm(client, run_jobs, import_id)
    with tenant_context(officer.id, db.session):
        names = set(db.session.scalars(select(User.name).join(Patient, Patient.user_id == User.id)))
    assert names == {"Eléonore Dupré", "Noëlle Ünal"}


def test_quoted_cells_with_line_breaks_and_unknown_columns(client, officer, db, run_jobs):
    content = (
        b"naam;e-mailadres;opmerking;geboortejaar\r\n"
        b'"Anna de Vries";anna@example.nl;"belt liever\r\nna 17 uur; niet op vrijdag";1994\r\n'
        b'"Bo ""Bobbie"" Jansen";bo@example.nl;;1991\r\n'
        b"Cas;cas@;;1990\r\n"
    )
    import_id = _checked(client, run_jobs, content)
    row = _import(db, import_id)
    assert (row.rows, row.good) == (3, 2)
    assert list(_reasons(db, import_id)) == [4]  # the spreadsheet's row, not the text line
    _confirm(client, run_jobs, import_id)
    assert _enrolled(db, officer) == {"anna@example.nl", "bo@example.nl"}


def test_an_excel_workbook_with_real_dates(client, officer, db, run_jobs):
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "E-mail", "Year of birth", "Delivery date"])
    sheet.append(["Anna de Vries", "anna@example.nl", 1994, datetime(2026, 9, 12)])
    sheet.append(["Bo Jansen", "bo@example.nl", 1991.0, None])
    sheet.append([None, None, None, None])
    sheet.append(["Cas", "cas@example.nl", "negentig", None])
    out = io.BytesIO()
    book.save(out)
    import_id = _checked(client, run_jobs, out.getvalue(), "vrouwen.xlsx")
    assert _import(db, import_id).good == 2
    assert list(_reasons(db, import_id)) == [5]  # the blank row 4 counts, as Excel shows it
    _confirm(client, run_jobs, import_id)
    with tenant_context(officer.id, db.session):
        delivered = db.session.scalar(
            select(Patient.delivery_date).where(Patient.birth_year == 1994)
        )
    assert str(delivered) == "2026-09-12"


def test_a_workbook_damaged_halfway_keeps_the_rows_before_it(client, officer, db, run_jobs):
    book = Workbook()
    for line in [HEADER[:3], ["Anna", "anna@example.nl", 1994], ["Bea", "bea@example.nl", 1991]]:
        book.active.append(line)
    whole, damaged = io.BytesIO(), io.BytesIO()
    book.save(whole)
    with (
        zipfile.ZipFile(whole) as source,
        zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.namelist():
            content = source.read(member)
            if member.endswith("sheet1.xml"):  # Bea's year of birth: a number that is text
                content = content.replace(b"<v>1991</v>", b"<v>negentig</v>")
            target.writestr(member, content)
    import_id = _checked(client, run_jobs, damaged.getvalue(), "vrouwen.xlsx")
    row = _import(db, import_id)
    assert (row.state, row.good) == ("checked", 1)
    assert "Row 3 and after cannot be read" in _reasons(db, import_id)[3]


def test_a_cell_too_long_is_its_rows_problem_and_the_rows_after_it_count(
    client, officer, db, run_jobs
):
    content = _csv([GOOD[0], ["Bea", "bea@example.nl", "9" * 200_000, "", "", ""], GOOD[2]])
    import_id = _checked(client, run_jobs, content.encode())
    assert (_import(db, import_id).rows, _import(db, import_id).good) == (3, 2)
    assert "Not a year" in _reasons(db, import_id)[3]
    # a page past the last, however far, is the last
    for far in ("2", "99999999999999999999"):
        page = client.get(f"{DESK}/imports/{import_id}?page={far}&lang=en")
        assert page.status_code == 200
        assert "Not a year" in page.text
    kept = db.session.scalar(select(RefusedRow.cells).where(RefusedRow.import_id == import_id))
    assert kept[2] == "9" * jobs.CELL_KEPT  # enough of it to find it in the file


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "leeg.csv", "The file is empty."),
        (b"   \r\n\r\n", "leeg.csv", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "foto.csv", "holds no text"),
        (bytes(range(1, 9)) * 200, "data.csv", "holds no text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "oud.xls", "old Excel file"),
        (b"%PDF-1.7\n\x00\x01", "brief.pdf", "Only CSV and XLSX"),
    ],
)
def test_files_that_are_no_spreadsheet_are_refused_at_once(
    client, officer, db, data, filename, message
):
    response = _upload(client, data, filename)
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(select(func.count()).select_from(EnrolmentImport)) == 0


def test_an_oversized_file_is_refused(app, client, officer, db):
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = _upload(client, _csv(GOOD * 20).encode())
    assert response.status_code == 422
    assert "larger than" in response.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("naam,geboortejaar\nAnna,1990\n", "missing: e-mail address"),
        ("email,name\nanna@example.nl,Anna\n", "missing: year of birth"),
        ("email,e-mail,naam,geboortejaar\na@b.nl,a@b.nl,A,1990\n", "More than one column"),
        ("PK\x03\x04 not really a workbook", "cannot be read"),
    ],
)
def test_a_file_without_its_columns_is_refused_whole(
    client, officer, db, run_jobs, content, message
):
    import_id = _checked(client, run_jobs, content.encode())
    row = _import(db, import_id)
    assert row.state == "refused"
    assert message in row.problem
    assert row.content is None
    assert message in client.get(f"{DESK}/imports/{import_id}?lang=en").text


def test_ten_thousand_rows_with_three_percent_bad(client, officer, db, run_jobs):
    rng = random.Random(7)
    rows, bad = [], set()
    for number in range(10_000):
        cells = [
            f"Vrouw {number}",
            f"vrouw{number}@example.nl",
            str(1980 + number % 20),
            "",
            "",
            "",
        ]
        if number % 100 < 3:
            bad.add(number + 2)  # the header is row 1
            kind = rng.choice(["email", "year", "date", "clinician", "twice"])
            if kind == "email":
                cells[1] = f"vrouw{number}.example.nl"
            elif kind == "year":
                cells[2] = "19xx"
            elif kind == "date":
                cells[4] = "30-02-2026"
            elif kind == "clinician":
                cells[5] = "onbekend@linde.nl"
            else:
                cells[1] = f"vrouw{number - 10}@example.nl" if number > 10 else "al@example.nl"
        rows.append(cells)
    content = _csv(rows, delimiter=";").encode("cp1252")
    import_id = _checked(client, run_jobs, content)
    assert _import(db, import_id).good == 9_700
    _confirm(client, run_jobs, import_id)
    row = _import(db, import_id)
    assert (row.state, row.created, row.progress) == ("done", 9_700, 10_000)
    assert set(_reasons(db, import_id)) == bad
    assert len(_enrolled(db, officer)) == 9_700
    # The same file again: nobody new, every row reported.
    again = _checked(client, run_jobs, content)
    assert _import(db, again).good == 0
    assert len(_reasons(db, again)) == 10_000
    with tenant_context(officer.id, db.session):
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 9_700
        assert db.session.scalar(select(func.count(func.distinct(Patient.pseudonym)))) == 9_700


def test_a_job_that_dies_halfway_goes_on_where_it_stopped(
    client, officer, db, run_jobs, monkeypatch
):
    rows = [[f"Vrouw {n}", f"v{n}@example.nl", "1990", "", "", ""] for n in range(25)]
    rows[12][1] = "kapot"
    import_id = _checked(client, run_jobs, _csv(rows).encode())
    monkeypatch.setattr(jobs, "CHUNK", 10)
    real = jobs.enrol_many
    calls = []

    def dies_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "enrol_many", dies_on_the_second_chunk)
    client.post(f"{DESK}/imports/{import_id}/confirm")
    run_jobs()  # fails after the first chunk was committed
    row = _import(db, import_id)
    assert (row.state, row.progress, row.created) == ("importing", 10, 10)
    with tenant_context(officer.id, db.session):  # rq's retry, by hand and at once
        jobs.run_import(import_id, "http://x/welcome/")
    row = _import(db, import_id)
    assert (row.state, row.created) == ("done", 24)
    assert len(_enrolled(db, officer)) == 24
    assert list(_reasons(db, import_id)) == [14]


def _worker(
    redis_url: str, smtp_port: int, *options: str, retry_after: int = 2
) -> subprocess.Popen:
    """`pelvicoach worker` as deployed: its own process, and rq's work horse forked for each
    job; on the suite's database as the platform role."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "pelvicoach"), "worker", *options],
        env={
            **os.environ,
            "PELVICOACH_REDIS_URL": redis_url,
            "PELVICOACH_OUTBOX_RETRY_AFTER": str(retry_after),
            "PELVICOACH_MAIL_SERVER": "127.0.0.1",
            "PELVICOACH_MAIL_PORT": str(smtp_port),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_with_children(pid: int) -> None:
    """SIGKILL a process and its children at once, as a node lost or a pod killed does (rq's
    work horse leads a process group of its own, so the worker's group alone would miss it)."""
    children = [
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if _parent_of(stat) == pid
    ]
    for victim in (pid, *children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def _parent_of(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):  # a process that ended meanwhile
        return None


def test_a_worker_killed_mid_import_enrols_and_invites_every_woman_once(
    client, officer, db, run_jobs, make_app, redis_url, smtp_server
):
    """SIGKILL, not an exception: the worker and the job's process die between two commits;
    the outbox hands the job on again once its claim is old, a new worker goes on where the
    last commit left it, and nobody is enrolled or invited twice."""
    mailbox, smtp_port = smtp_server
    women = 2 * jobs.CHUNK  # killed after the first chunk's commit, before the second's
    rows = [[f"Vrouw {n}", f"v{n}@example.nl", "1990", "", "", ""] for n in range(women)]
    import_id = _checked(client, run_jobs, _csv(rows).encode())
    confirmed = client.post(f"{DESK}/imports/{import_id}/confirm", data={"invite": "y"})
    assert confirmed.status_code == 302

    first = _worker(redis_url, smtp_port)
    try:
        deadline = time.monotonic() + 60
        while (row := _import(db, import_id)).progress < jobs.CHUNK:
            assert time.monotonic() < deadline, first.stderr.read().decode()
            time.sleep(0.01)
    finally:
        _kill_with_children(first.pid)
        first.wait(timeout=10)
    row = _import(db, import_id)
    assert row.state == "importing"
    assert jobs.CHUNK <= row.created < women  # died between two commits
    job = db.session.scalar(
        select(outbox.OutboxJob).where(outbox.OutboxJob.job_id == f"import-run-{import_id}")
    )
    assert (job.attempts, job.done_at) == (1, None)

    relaying = make_app(platform=True, REDIS_URL=redis_url, OUTBOX_RETRY_AFTER=2)

    def relay_and_work(retry_after: int) -> None:
        with relaying.app_context():
            assert outbox.relay() == 1  # handed on again: its relay is older than 2 s
        worker = _worker(redis_url, smtp_port, "--burst", retry_after=retry_after)
        _out, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors.decode()

    # A copy that arrives while the claim is younger than the worker's limit (here 10 min)
    # is skipped: the first run may still be going
    relay_and_work(retry_after=600)
    assert _import(db, import_id).created == row.created
    time.sleep(2.1)
    relay_and_work(retry_after=2)  # the claim is old now: the job runs, where it stopped

    row = _import(db, import_id)
    assert (row.state, row.created) == ("done", women)
    with tenant_context(officer.id, db.session):
        enrolled = db.session.scalars(
            select(User.email).join(Patient, Patient.user_id == User.id)
        ).all()
    assert sorted(enrolled) == sorted(f"v{n}@example.nl" for n in range(women))  # once each
    db.session.expire_all()
    assert db.session.get(outbox.OutboxJob, job.id).attempts == 2  # the skipped copy: none
    invited = sorted(message["To"] for message in mailbox.messages)
    assert invited == sorted(f"v{n}@example.nl" for n in range(women))


def test_invitations_go_out_once_after_the_import(client, officer, db, run_jobs):
    import_id = _checked(client, run_jobs, _csv(GOOD).encode())
    _confirm(client, run_jobs, import_id, invite=True)
    run_jobs()  # the invitations, then their mails
    mails = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.purpose == "patient_invitation")
    ).all()
    assert sorted(mail.recipient for mail in mails) == sorted(
        ["anna@example.nl", "fatima@example.nl", "ingrid@example.nl"]
    )
    assert all(re.search(r"/t/linde/welcome/\S+", mail.body) for mail in mails)
    with tenant_context(officer.id, db.session):
        assert jobs.invite_imported(import_id, "http://x/") == 0  # a retry sends nobody another


def test_cancelling_deletes_the_file_and_its_rows(client, officer, db, run_jobs):
    import_id = _checked(client, run_jobs, _csv([*GOOD, BAD[5][0]]).encode())
    assert client.post(f"{DESK}/imports/{import_id}/cancel").status_code == 302
    row = _import(db, import_id)
    assert (row.state, row.content) == ("cancelled", None)
    assert _reasons(db, import_id) == {}
    assert client.post(f"{DESK}/imports/{import_id}/confirm").status_code == 302
    assert _enrolled(db, officer) == set()


@pytest.mark.parametrize("role", ["admin", "analyst", "patient"])
def test_only_officers_and_clinicians_import(
    client, make_tenant, make_user, sign_in_staff, sign_in, role
):
    tenant = make_tenant("linde")
    user = make_user(tenant, f"{role}@linde.nl", role)
    if role == "patient":
        sign_in("linde", user.email)
    else:
        sign_in_staff("linde", user)
    assert client.get(f"{DESK}/imports").status_code in (403, 404)
    assert _upload(client, _csv(GOOD).encode()).status_code in (403, 404)


def test_an_imports_invitations_reach_the_mailbox_in_one_batch(
    mail_app, db, make_tenant, run_jobs, platform_twin
):
    import contextvars
    from datetime import UTC, datetime

    from pelvicoach.platform import outbox
    from pelvicoach.programs.enrolment.services import enrol_many

    tenant = make_tenant("linde", name="Bekkenpraktijk Linde")
    women = [
        {
            "email": f"v{n}@example.nl",
            "name": f"Vrouw {n}",
            "cohort": "postpartum",
            "birth_year": 1990,
            "delivery_date": None,
            "clinician_id": None,
        }
        for n in range(7)
    ]

    def write() -> int:
        with platform_twin(mail_app).app_context(), tenant_context(tenant.id, db.session):
            row = EnrolmentImport(
                tenant_id=tenant.id,
                filename="v.csv",
                digest="0" * 64,
                size=1,
                locale="nl",
                state="done",
                created_at=datetime.now(UTC),
            )
            db.session.add(row)
            db.session.flush()
            enrol_many(tenant.id, women, taken=set(), import_id=row.id)
            db.session.commit()
            sent = jobs.invite_imported(row.id, "https://linde.example/welcome/")
            outbox.relay(limit=10)
            return sent

    assert contextvars.Context().run(write) == 7
    assert run_jobs(mail_app) == 1  # one job for the batch
    messages = mail_app.mailbox.messages
    assert sorted(message["To"] for message in messages) == [f"v{n}@example.nl" for n in range(7)]
    for message in messages:
        assert message["From"].addresses[0].display_name == "Bekkenpraktijk Linde"
        assert "https://linde.example/welcome/" in message.get_content()
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutgoingMail).where(OutgoingMail.body.is_not(None))
        )
        == 0
    )  # the links are not kept once sent
