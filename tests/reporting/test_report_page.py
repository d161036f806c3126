"""The report page: for a tenant's admins and analysts only, one filter at a time, counts and
never a woman."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.tenancy import tenant_context

PAGE = "/t/linde/staff/reports/"


@pytest.fixture
def linde(make_tenant):
    return make_tenant("linde")


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_admins_and_analysts_read_it(client, linde, make_user, sign_in_staff, role):
    sign_in_staff("linde", make_user(linde, f"{role}@linde.nl", role))
    page = client.get(PAGE + "?lang=en")
    assert page.status_code == 200
    assert "From invitation to exercise therapy" in page.text
    assert "Where the intake sent her" in page.text
    assert "One filter at a time" in page.text
    assert 'href="/t/linde/staff/reports/"' in page.text  # in the staff menu


@pytest.mark.parametrize("role", ["clinician", "enrolment"])
def test_nobody_else_does(client, linde, make_user, sign_in_staff, role):
    sign_in_staff("linde", make_user(linde, f"{role}@linde.nl", role))
    assert client.get(PAGE).status_code == 403


def test_a_filter_that_is_not_offered_is_refused(client, linde, make_user, sign_in_staff):
    sign_in_staff("linde", make_user(linde, "analyst@linde.nl", "analyst"))
    bad = client.get(PAGE + "?lang=en&show=cohort:men")
    assert bad.status_code == 400
    assert "Not a valid choice" in bad.text
    assert client.get(PAGE + "?show=cohort:menopause").status_code == 200


def test_the_admin_raises_the_smallest_group_and_cannot_go_below_five(
    client, linde, make_user, sign_in_staff, db
):
    sign_in_staff("linde", make_user(linde, "admin@linde.nl", "admin"))
    assert "groups smaller than 10 are hidden" in client.get(PAGE + "?lang=en").text
    too_small = client.post(PAGE + "smallest-group?lang=en", data={"size": "4"})
    assert too_small.status_code == 422
    assert "Number must be between 5 and 100" in too_small.text
    saved = client.post(PAGE + "smallest-group", data={"size": "15"})
    assert saved.headers["Location"].endswith("/staff/reports/")
    assert "groups smaller than 15 are hidden" in client.get(PAGE + "?lang=en").text
    with tenant_context(linde.id, db.session):
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.min_group_changed")
        ).all()
    assert event.detail == {"before": {"report_min_group": 10}, "after": {"report_min_group": 15}}


def test_an_analyst_reads_the_smallest_group_but_does_not_change_it(
    client, linde, make_user, sign_in_staff
):
    sign_in_staff("linde", make_user(linde, "analyst@linde.nl", "analyst"))
    assert "Smallest group shown" not in client.get(PAGE + "?lang=en").text
    assert client.post(PAGE + "smallest-group", data={"size": "20"}).status_code == 403
