"""Who may hold which roles in which kind of tenant, as a table."""

from __future__ import annotations

import pytest

from pelvicoach.tenants.staff.rules import Organisation, problems, registration

CONTRACTED = Organisation("Bekkenfysiotherapie Amstel", contracted=True)
NOT_CONTRACTED = Organisation("Fysio Elders", contracted=False)


@pytest.mark.parametrize(
    ("kind", "roles", "valid", "organisation", "provider", "fields"),
    [
        ("practice", {"admin"}, False, "", None, set()),
        ("practice", {"admin", "clinician"}, True, "De Linde", None, set()),
        ("practice", {"clinician"}, True, "", None, {"organisation"}),
        ("practice", {"clinician"}, False, "De Linde", None, {"registration"}),
        ("practice", {"clinician", "analyst"}, True, "De Linde", None, {"roles"}),
        ("practice", {"enrolment", "analyst"}, False, "", None, set()),
        ("practice", set(), False, "", None, {"roles"}),
        ("practice", {"patient"}, False, "", None, {"roles"}),
        ("practice", {"operator", "admin"}, False, "", None, {"roles"}),
        ("insurer", {"clinician"}, True, "", CONTRACTED, set()),
        ("insurer", {"clinician"}, True, "", NOT_CONTRACTED, {"care_provider"}),
        ("insurer", {"clinician"}, True, "Eigen praktijk", None, {"care_provider"}),
        ("insurer", {"clinician", "admin"}, True, "", CONTRACTED, {"roles"}),
        ("insurer", {"clinician", "enrolment"}, True, "", CONTRACTED, {"roles"}),
        ("insurer", {"clinician"}, False, "", None, {"registration", "care_provider"}),
        ("insurer", {"admin", "analyst", "enrolment"}, False, "", None, set()),
    ],
)
def test_roles_per_tenant_kind(app, kind, roles, valid, organisation, provider, fields):
    with app.test_request_context():
        found = problems(
            kind, roles, registration_valid=valid, organisation=organisation, provider=provider
        )
    assert set(found) == fields


@pytest.mark.parametrize(
    ("register", "number", "stored"),
    [
        ("BIG", "19012345601", "BIG 19012345601"),
        ("BIG", "190 123 456 01", "BIG 19012345601"),
        ("BIG", "1901234560", None),  # 10 digits
        ("BIG", "1901234560a", None),
        ("KRF", "1234567", "KRF 1234567"),
        ("KRF", "1234", None),
        ("XYZ", "19012345601", None),
        ("BIG", "", None),
    ],
)
def test_registration_numbers(register, number, stored):
    assert registration(register, number) == stored
