"""Password rules: long enough, and not one of the passwords every attacker tries first."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

STAFF_MIN_LENGTH = 12
PATIENT_MIN_LENGTH = 8
MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    text = (Path(__file__).parent / "data" / "common-passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def problems(password: str, *, staff: bool, email: str = "") -> list[str]:
    """What is wrong with a new password, in words for the person choosing it (empty: fine)."""
    found = []
    minimum = STAFF_MIN_LENGTH if staff else PATIENT_MIN_LENGTH
    if len(password) < minimum:
        found.append(str(_l("Use at least %(n)d characters.", n=minimum)))
    if len(password) > MAX_LENGTH:
        found.append(str(_l("Use at most %(n)d characters.", n=MAX_LENGTH)))
    lowered = password.lower()
    if lowered in common_passwords() or (email and lowered == email.lower()):
        found.append(
            str(_l("This password is too common. Choose something only you would think of."))
        )
    return found
