"""Who may hold which roles in which kind of tenant: pure functions, so every combination is
tested as a table.

Admins and analysts never see identifiable patient data, so no one holds analyst beside the
identifiable clinician role. A practice's clinician may also run the practice (admin); in an
insurer a clinician belongs to a contracted care organisation and holds no other role, so the
insurer's own people never reach a patient record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from pelvicoach.platform.accounts import STAFF_ROLES, Role

REGISTERS = {
    # BIG-register (Wet BIG): 11 digits.
    "BIG": re.compile(r"[0-9]{11}"),
    # Kwaliteitsregister Fysiotherapie NL: a number of its own.
    "KRF": re.compile(r"[0-9]{5,10}"),
}


@dataclass(frozen=True)
class Organisation:
    """A care provider of the tenant's directory, as the rules need it."""

    name: str
    contracted: bool


def registration(register: str, number: str) -> str | None:
    """ "BIG 19012345601" for a valid register and number, else None."""
    number = re.sub(r"[\s.-]", "", number or "")
    pattern = REGISTERS.get(register)
    return f"{register} {number}" if pattern and pattern.fullmatch(number) else None


def problems(
    tenant_kind: str,
    roles: set[str],
    *,
    registration_valid: bool,
    organisation: str,
    provider: Organisation | None,
) -> dict[str, str]:
    """What is wrong with this person's roles and details, by form field; empty when fine."""
    found: dict[str, str] = {}
    if not roles:
        found["roles"] = str(_l("Choose at least one role."))
    elif roles - STAFF_ROLES:
        found["roles"] = str(_l("Staff hold staff roles only."))
    elif Role.CLINICIAN in roles and Role.ANALYST in roles:
        found["roles"] = str(
            _l("A clinician cannot also be an analyst: analysts see anonymous data only.")
        )
    elif Role.CLINICIAN in roles and tenant_kind == "insurer" and roles != {Role.CLINICIAN}:
        found["roles"] = str(
            _l("At an insurer a clinician holds no other role: she works for a care provider.")
        )
    if Role.CLINICIAN not in roles:
        return found
    if not registration_valid:
        found["registration"] = str(
            _l("Give a BIG number (11 digits) or a KRF number (5 to 10 digits).")
        )
    if tenant_kind == "insurer":
        if provider is None or not provider.contracted:
            found["care_provider"] = str(_l("Choose the contracted care provider she works for."))
    elif not organisation.strip():
        found["organisation"] = str(_l("Give the organisation she works for."))
    return found


ROLE_LABELS = {
    Role.ADMIN: _l("Admin"),
    Role.ENROLMENT: _l("Enrolment officer"),
    Role.CLINICIAN: _l("Clinician"),
    Role.ANALYST: _l("Analyst"),
}
