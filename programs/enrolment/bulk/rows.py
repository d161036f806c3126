"""The columns of an enrolment file and the check of each row: the same rules as the desk and
the API (EnrolmentSchema), plus what only a file can get wrong: a column missing, a woman twice
in one file, a date written the Dutch way."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from pelvicoach.platform.accounts import Role, User, UserRole, normalise_email
from pelvicoach.platform.extensions import db
from pelvicoach.platform.spreadsheets import UnreadableError, header_key, unescape
from pelvicoach.programs.enrolment.models import Cohort
from pelvicoach.programs.enrolment.schemas import EnrolmentSchema

REQUIRED = ("email", "name", "birth_year")
LABELS = {
    "email": _l("e-mail address"),
    "name": _l("name"),
    "birth_year": _l("year of birth"),
    "cohort": _l("group"),
    "delivery_date": _l("delivery date"),
    "clinician_email": _l("clinician"),
}
HEADERS = {
    **{column: column for column in LABELS},
    "e_mail": "email",
    "emailadres": "email",
    "e_mailadres": "email",
    "e_mail_adres": "email",
    "e_mail_address": "email",
    "email_address": "email",
    "mail": "email",
    "naam": "name",
    "volledige_naam": "name",
    "full_name": "name",
    "geboortejaar": "birth_year",
    "year_of_birth": "birth_year",
    "geboortedatum": "birth_year",  # the year is taken from the date
    "birth_date": "birth_year",
    "date_of_birth": "birth_year",
    "groep": "cohort",
    "group": "cohort",
    "doelgroep": "cohort",
    "bevallingsdatum": "delivery_date",
    "datum_bevalling": "delivery_date",
    "bevallen_op": "delivery_date",
    "uitgerekende_datum": "delivery_date",
    "due_date": "delivery_date",
    "behandelaar": "clinician_email",
    "e_mail_behandelaar": "clinician_email",
    "clinician": "clinician_email",
    "fysiotherapeut": "clinician_email",
}
COHORTS = {
    "postpartum": Cohort.POSTPARTUM,
    "bevallen": Cohort.POSTPARTUM,
    "na_de_bevalling": Cohort.POSTPARTUM,
    "zwanger": Cohort.POSTPARTUM,
    "kraam": Cohort.POSTPARTUM,
    "menopause": Cohort.MENOPAUSE,
    "menopauze": Cohort.MENOPAUSE,
    "overgang": Cohort.MENOPAUSE,
}
# 2026-03-01, 1-3-2026, 01/03/2026, 1.3.2026: day before month, as written in the Netherlands.
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_DUTCH = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def columns(header: list[str]) -> list[str | None]:
    """What each column of the file holds (None: a column this import does not use)."""
    found = [HEADERS.get(header_key(title)) for title in header]
    missing = [str(LABELS[column]) for column in REQUIRED if column not in found]
    if missing:
        raise UnreadableError(
            _l(
                "The first row must name the columns; missing: %(columns)s.",
                columns=", ".join(missing),
            )
        )
    twice = {column for column in found if column and found.count(column) > 1}
    if twice:
        raise UnreadableError(
            _l(
                "More than one column holds the %(columns)s.",
                columns=", ".join(str(LABELS[column]) for column in sorted(twice)),
            )
        )
    return found


def iso_date(text: str) -> str:
    """A date written the ISO or the Dutch way as ISO text; anything else as it was (the schema
    then says it is no date)."""
    if match := _ISO.match(text):
        year, month, day = match.groups()
    elif match := _DUTCH.match(text):
        day, month, year = match.groups()
    else:
        return text
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return text


def _year(text: str) -> str:
    as_date = iso_date(text)
    return as_date[:4] if as_date != text else text


@dataclass
class Checker:
    """Checks the rows of one file in order, remembering which addresses it has seen."""

    existing: set[str]  # addresses with an account in the tenant
    clinicians: dict[str, int]  # a clinician's address -> her user id
    seen: dict[str, int] = field(default_factory=dict)  # address -> first row with it
    schema: EnrolmentSchema = field(default_factory=EnrolmentSchema)

    @classmethod
    def for_tenant(cls, tenant_id: int) -> Checker:
        existing = set(db.session.scalars(select(User.email).where(User.tenant_id == tenant_id)))
        clinicians = dict(
            db.session.execute(
                select(User.email, User.id)
                .join(UserRole)
                .where(User.tenant_id == tenant_id, User.active, UserRole.role == Role.CLINICIAN)
            ).all()
        )
        return cls(existing=existing, clinicians=clinicians)

    def check(self, row: int, found: list[str | None], cells: list[str]) -> dict[str, Any] | str:
        """The woman on this row, ready to enrol, or the reason she cannot be."""
        if any(cell.strip() for cell in cells[len(found) :]):
            return _("This row has more cells than the file has columns.")
        values = {
            column: unescape(cell.strip())
            for column, cell in zip(found, cells, strict=False)
            if column and cell.strip()
        }
        empty = [str(LABELS[column]) for column in REQUIRED if column not in values]
        if empty:
            return _("Empty: %(columns)s.", columns=", ".join(empty))
        if "cohort" in values:
            cohort = COHORTS.get(header_key(values["cohort"]))
            values["cohort"] = cohort.value if cohort else values["cohort"]
        values["birth_year"] = _year(values["birth_year"])
        if "delivery_date" in values:
            values["delivery_date"] = iso_date(values["delivery_date"])
        try:
            loaded = self.schema.load(values)
        except ValidationError as invalid:
            return " ".join(
                f"{LABELS[column]}: {' '.join(_(str(text)) for text in problems)}"
                for column, problems in invalid.messages.items()
            )
        email = normalise_email(loaded["email"])
        if email in self.existing:
            return _("An account with this e-mail address exists here already.")
        if email in self.seen:
            return _("The same e-mail address is on row %(row)d.", row=self.seen[email])
        clinician_id = None
        if loaded["clinician_email"]:
            clinician_id = self.clinicians.get(normalise_email(loaded["clinician_email"]))
            if clinician_id is None:
                return _(
                    "No clinician with the address %(email)s here.", email=values["clinician_email"]
                )
        self.seen[email] = row
        return {
            "email": email,
            "name": loaded["name"].strip(),
            "cohort": loaded["cohort"],
            "birth_year": loaded["birth_year"],
            "delivery_date": loaded["delivery_date"],
            "clinician_id": clinician_id,
        }


@dataclass
class Checked:
    row: int
    cells: list[str]
    outcome: dict[str, Any] | str  # the woman to enrol, or why not


def read(
    lines: Iterable[tuple[int, list[str]]], checker: Checker
) -> tuple[list[str], Iterator[Checked]]:
    """The file's header and its data rows, each checked as it is read. UnreadableError when the
    file or its header will not do; a row the reader cannot get past ends the file as a refused
    row."""
    lines = iter(lines)
    try:
        _number, header = next(lines)
    except StopIteration:
        raise UnreadableError(_l("The file is empty.")) from None
    found = columns(header)

    def checked() -> Iterator[Checked]:
        row = 1
        try:
            for row, cells in lines:
                yield Checked(row, cells, checker.check(row, found, cells))
        except UnreadableError as unreadable:
            yield Checked(row + 1, [], str(unreadable))

    return header, checked()
