"""The reporting API: the page's published figures for BI tools, hidden counts as null, one
filter at a time, a `reports:read` key of the tenant itself, every read audited, no woman named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from pelvicoach.platform.api_keys import ApiKey
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Consent, ConsentKind, Patient
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.reporting import services
from pelvicoach.reporting.report import EVERYONE, Dim, Setting

API = "/t/linde/api/v1/reports"


def outcome(route: str, rule: str, kind: str, severity: str, control: str) -> dict:
    return {
        "route": route,
        "rule": rule,
        "scores": {
            "incontinence_type": kind,
            "isi": 6,
            "isi_severity": severity,
            "control": control,
        },
    }


# (how many, group, born, enrolled, with accounts, her intake); a training intake opens a plan.
# Accounts only where a name and e-mail are wanted for the search: no figure here needs them.
GROUPS = (
    (
        14,
        "postpartum",
        1994,
        datetime(2026, 1, 10, 9, tzinfo=UTC),
        False,
        outcome("training", "training", "stress", "moderate", "sufficient"),
    ),
    (
        12,
        "postpartum",
        1990,
        datetime(2026, 2, 15, 9, tzinfo=UTC),
        False,
        outcome("awareness", "control_unsure", "urge", "slight", "unsure"),
    ),
    (
        11,
        "menopause",
        1972,
        datetime(2025, 11, 20, 9, tzinfo=UTC),
        True,
        outcome("see_gp", "red_flag", "mixed", "severe", "insufficient"),
    ),
    (10, "postpartum", 1994, datetime(2026, 3, 5, 9, tzinfo=UTC), False, None),
)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def linde(make_tenant):
    return make_tenant("linde")


@pytest.fixture
def women(linde, make_user, db) -> list[str]:
    """47 women in four groups, as the page's test cohort (test_figures.py) but fewer: enough
    that some counts are shown and others hidden. Returns every seeded name, e-mail and
    pseudonym."""
    identities = []
    number = 0
    for size, cohort, born, enrolled, registered, intake in GROUPS:
        for _ in range(size):
            number += 1
            user = make_user(linde, f"geheim{number}@example.nl") if registered else None
            with tenant_context(linde.id, db.session):
                woman = Patient(
                    tenant_id=linde.id,
                    user_id=user.id if user else None,
                    pseudonym=f"PG{number:07d}",
                    cohort=cohort,
                    birth_year=born,
                    enrolled_at=enrolled,
                )
                db.session.add(woman)
                db.session.flush()
                if intake:
                    db.session.add_all(_history(linde.id, woman, intake))
                db.session.commit()
            identities.append(woman.pseudonym)
            if user:
                identities += [user.email, user.name]
    return identities


def _history(tenant_id: int, woman: Patient, intake: dict) -> list:
    """Her consent and finished intake, and a training plan where the intake opened one."""
    done = woman.enrolled_at + timedelta(days=2)
    common = {"tenant_id": tenant_id, "patient_id": woman.id}
    rows = [
        Consent(**common, kind=ConsentKind.HEALTH_DATA, version="1", given_at=woman.enrolled_at),
        Intake(
            **common,
            cohort=woman.cohort,
            answers={},
            started_at=done,
            updated_at=done,
            completed_at=done,
            **intake,
        ),
    ]
    if intake["route"] == "training":
        rows.append(TrainingPlan(**common, level_since=done, updated_at=done))
    return rows


def _settings(published) -> list[Setting]:
    return [EVERYONE] + [
        Setting(dim, value) for dim, values in published.options.items() for value in values
    ]


def _query(setting: Setting) -> str:
    return (
        "" if setting.dim is None else "?" + urlencode({"filter": f"{setting.dim}:{setting.value}"})
    )


def _as_json(report) -> list[dict]:
    """The tables of a `Report` as the API should give them."""
    tables = {**report.tables, "months": report.months}
    for month, by_week in report.curve.items():  # all women, or a year: the curve by month
        tables |= {f"curve_{month}_week_{week}": table for week, table in by_week.items()}
    return [
        {
            "key": key,
            "total": table.total,
            "total_hidden": table.total is None,
            "rows": [
                {"category": str(row.category), "count": row.count, "hidden": row.count is None}
                for row in table.rows
            ],
        }
        for key, table in tables.items()
    ]


def test_every_answer_has_the_pages_figures_and_names_no_woman(client, linde, women, key_for, db):
    key = key_for(linde, "reports:read")
    with tenant_context(linde.id, db.session):
        published = services.published(linde)
    assert published.options[Dim.COHORT] == ["postpartum", "menopause"]
    options = {str(dim): values for dim, values in published.options.items()}
    bodies = [client.get(API, headers=bearer(key)).text]
    hidden = shown = 0
    for setting in _settings(published):
        answer = client.get(f"{API}/summary{_query(setting)}", headers=bearer(key))
        assert answer.status_code == 200, answer.json
        bodies.append(answer.text)
        if setting == EVERYONE:  # no woman stopped at an account: a 0, hidden, said so
            (funnel,) = [table for table in answer.json["tables"] if table["key"] == "funnel"]
            assert funnel["rows"][1] == {"category": "1", "count": None, "hidden": True}
        expected = _as_json(published.report(setting))
        assert answer.json["tables"] == expected
        assert answer.json["k"] == 10
        assert datetime.fromisoformat(answer.json["computed_at"]) <= datetime.now(UTC)
        assert answer.json["options"] == options
        assert answer.json["filter"] == (
            None if setting.dim is None else {"dimension": setting.dim, "value": setting.value}
        )
        counts = [row["count"] for table in expected for row in table["rows"]]
        hidden += counts.count(None)
        shown += len(counts) - counts.count(None)
        assert all(count >= 10 for count in counts if count is not None)
    assert hidden
    assert shown
    assert any(table["key"].startswith("curve_") for table in _as_json(published.report(EVERYONE)))
    # A table on its own is the summary's (the same code serves every key).
    menopause = Setting(Dim.COHORT, "menopause")
    applied = {"dimension": "cohort", "value": "menopause"}
    for table in _as_json(published.report(menopause)):
        if table["key"] in ("funnel", "route", "months"):
            one = client.get(f"{API}/tables/{table['key']}{_query(menopause)}", headers=bearer(key))
            bodies.append(one.text)
            got = one.json
            assert got.pop("computed_at")
            assert got == {"k": 10, "filter": applied, "options": options, "table": table}
    assert len(women) == 47 + 2 * 11
    named = {who for who in women for body in bodies if who.lower() in body.lower()}
    assert named == set()


def test_the_index_lists_the_tables_and_the_filters(client, linde, women, key_for):
    index = client.get(API, headers=bearer(key_for(linde))).json
    assert index["k"] == 10
    assert {"funnel", "type", "referral", "months"} <= set(index["tables"])
    assert index["options"]["cohort"] == ["postpartum", "menopause"]
    assert index["options"]["period"] == ["2025", "2026"]
    assert "filter" not in index


def test_a_filter_not_offered_or_two_at_once_is_a_400_that_lists_the_offered_ones(
    client, linde, women, key_for
):
    key = key_for(linde)
    for query in ("?filter=cohort:men", "?filter=colour:red", "?filter=cohort"):
        bad = client.get(f"{API}/summary{query}", headers=bearer(key))
        assert bad.status_code == 400
        assert bad.mimetype == "application/problem+json"
        assert "cohort:menopause" in bad.json["allowed"]
        assert "period:2025" in bad.json["allowed"]
    two = client.get(
        f"{API}/tables/funnel?filter=cohort:postpartum&filter=period:2026", headers=bearer(key)
    )
    assert two.status_code == 400
    assert two.json["detail"] == "One filter at a time."
    empty = client.get(f"{API}/summary?filter=", headers=bearer(key))
    assert empty.json["filter"] is None  # all women, as the page's empty choice


def test_an_unknown_table_is_a_404_that_lists_the_tables(client, linde, key_for):
    missing = client.get(f"{API}/tables/names", headers=bearer(key_for(linde)))
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    assert "funnel" in missing.json["allowed"]


@pytest.mark.parametrize("path", ["", "/summary", "/tables/funnel"])
def test_only_a_reports_key_of_the_tenant_itself_reads_it(
    client, linde, women, make_tenant, make_user, key_for, sign_in_staff, path
):
    horizon = make_tenant("horizon", kind="insurer")
    assert client.get(f"{API}{path}").status_code == 401
    other_scopes = client.get(
        f"{API}{path}", headers=bearer(key_for(linde, "enrolments:write", "program:write"))
    )
    assert other_scopes.status_code == 403
    assert "reports:read" in other_scopes.json["detail"]
    horizon_key = key_for(horizon, "reports:read")
    assert client.get(f"{API}{path}", headers=bearer(horizon_key)).status_code == 401
    horizons_own = client.get(f"/t/horizon/api/v1/reports{path}", headers=bearer(horizon_key))
    assert horizons_own.status_code == 200
    assert horizons_own.json["options"]["period"] == []  # none of Linde's women
    # A signed-in admin or analyst reads the page, not the API: that takes a key.
    sign_in_staff("linde", make_user(linde, "analyst@linde.nl", "analyst"))
    assert client.get(f"{API}{path}").status_code == 401


def test_every_read_is_audited_with_the_key_and_the_filter(client, linde, women, key_for, db):
    key = key_for(linde)
    client.get(API, headers=bearer(key))
    client.get(f"{API}/summary?filter=cohort:menopause", headers=bearer(key))
    client.get(f"{API}/tables/type", headers=bearer(key))
    with tenant_context(linde.id, db.session):
        key_id = db.session.scalar(select(ApiKey.id))
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.view").order_by(AuditEvent.seq)
        ).all()
    assert [(event.object_id, event.detail) for event in events] == [
        (None, {"filter": "all"}),
        (None, {"filter": "cohort:menopause"}),
        ("type", {"filter": "all"}),
    ]
    assert {event.actor_roles for event in events} == {f"api_key:{key_id}"}


def test_the_openapi_document_describes_the_reports(client, linde):
    spec = client.get("/t/linde/api/v1/openapi.json").json
    paths = spec["paths"]
    assert {"/api/v1/reports", "/api/v1/reports/summary", "/api/v1/reports/tables/{table}"} <= set(
        paths
    )
    summary = paths["/api/v1/reports/summary"]["get"]
    assert "reports:read" in summary["description"]
    assert {"400", "401", "403"} <= set(summary["responses"])
    (query,) = [p for p in summary["parameters"] if p["in"] == "query"]
    assert query["name"] == "filter"
    table = paths["/api/v1/reports/tables/{table}"]["get"]
    assert {"name": "table", "in": "path", "required": True, "schema": {"type": "string"}} in table[
        "parameters"
    ]
    schemas = spec["components"]["schemas"]
    assert {"ReportIndex", "Report", "ReportOneTable", "ReportTable", "ReportRow"} <= set(schemas)
    assert schemas["ReportRow"]["properties"]["count"]["nullable"] is True
    assert schemas["ReportTable"]["properties"]["total"]["nullable"] is True
