"""The report page: for a tenant's admins and analysts only, one filter at a time, counts and
never a woman."""

from __future__ import annotations

import pytest

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
