"""Reading a directory of care providers from a CSV file as people really send them: UTF-8 with
or without a byte-order mark or Windows-1252, commas or semicolons, Dutch or English headers.

Every row is checked on its own with the schema the admin's form uses; a bad row is reported
with its line and reason and never costs a good row its place. Writing out is the reverse, safe
to open in a spreadsheet (no cell starts a formula)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from pelvicoach.platform.spreadsheets import decode, delimiter, header_key, unescape, write_csv
from pelvicoach.tenants.schemas import CareProviderSchema

__all__ = ["decode", "export", "parse"]

MAX_ROWS = 5000
COLUMNS = (
    "kind",
    "name",
    "address",
    "postcode",
    "city",
    "phone",
    "website",
    "accepting_patients",
    "contracted",
)
REQUIRED = ("kind", "name", "address", "postcode", "city")
HEADERS = {
    **{column: column for column in COLUMNS},
    "soort": "kind",
    "type": "kind",
    "naam": "name",
    "adres": "address",
    "straat": "address",
    "plaats": "city",
    "woonplaats": "city",
    "telefoon": "phone",
    "telefoonnummer": "phone",
    "site": "website",
    "neemt_patienten_aan": "accepting_patients",
    "neemt_patiënten_aan": "accepting_patients",
    "accepting": "accepting_patients",
    "gecontracteerd": "contracted",
}
KINDS = {
    "huisarts": "gp",
    "huisartsenpraktijk": "gp",
    "bekkenfysiotherapeut": "pelvic_physio",
    "bekkenfysiotherapie": "pelvic_physio",
    "oefentherapeut": "exercise_therapist",
    "oefentherapie": "exercise_therapist",
    "gynaecoloog": "gynaecologist",
    "uroloog": "urologist",
}
YES = {"ja", "j", "yes", "y", "true", "1", "x", "waar"}
NO = {"nee", "n", "no", "false", "0", "onwaar", ""}


@dataclass
class Parsed:
    good: list[dict[str, Any]] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    problem: str | None = None  # the file as a whole cannot be read


def _header(name: str) -> str:
    key = header_key(name)
    return HEADERS.get(key, key)


def _cell(column: str, value: str) -> Any:
    value = unescape((value or "").strip())
    if column == "kind":
        return KINDS.get(value.lower(), value.lower())
    if column in ("accepting_patients", "contracted"):
        lowered = value.lower()
        if lowered in YES:
            return True
        if lowered in NO:
            return None if column == "accepting_patients" and lowered == "" else False
        return value  # the schema says what is wrong with it
    return value


def _reason(messages: dict[str, Any]) -> str:
    parts = []
    for column, problems in messages.items():
        texts = problems if isinstance(problems, list) else [str(problems)]
        parts.append(f"{column}: {' '.join(str(text) for text in texts)}")
    return "; ".join(parts)


def parse(text: str, existing: Iterable[tuple[str, str]] = ()) -> Parsed:
    """The rows of `text`; `existing` holds the (name, postcode) pairs already in the directory."""
    parsed = Parsed()
    reader = csv.reader(io.StringIO(text), delimiter=delimiter(text[:4096]))
    try:
        header = [_header(name) for name in next(reader)]
    except StopIteration:
        parsed.problem = str(_l("The file is empty."))
        return parsed
    except csv.Error as exc:
        parsed.problem = str(_l("This is not a CSV file we can read (%(error)s).", error=exc))
        return parsed
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        parsed.problem = str(
            _l(
                "The first line must name the columns; missing: %(columns)s.",
                columns=", ".join(missing),
            )
        )
        return parsed
    seen = {(name.lower(), postcode.replace(" ", "").upper()) for name, postcode in existing}
    schema = CareProviderSchema()
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(parsed.good) + len(parsed.bad) >= MAX_ROWS:
                parsed.bad.append(
                    (line, str(_l("More than %(n)d rows: split the file.", n=MAX_ROWS)))
                )
                break
            if len(values) > len(header):
                parsed.bad.append((line, str(_l("More cells than columns."))))
                continue
            row = {
                column: _cell(column, value)
                for column, value in zip(header, values, strict=False)
                if column in COLUMNS
            }
            row = {column: value for column, value in row.items() if value is not None}
            try:
                provider = schema.load(row)
            except ValidationError as invalid:
                parsed.bad.append((line, _reason(invalid.messages)))
                continue
            identity = (provider["name"].lower(), provider["postcode"].replace(" ", ""))
            if identity in seen:
                parsed.bad.append(
                    (line, str(_l("This provider is in the directory or the file already.")))
                )
                continue
            seen.add(identity)
            parsed.good.append(provider)
    except csv.Error as exc:
        parsed.bad.append(
            (reader.line_num, str(_l("Unreadable from here on (%(error)s).", error=exc)))
        )
    return parsed


def export(rows: Iterable[Any]) -> str:
    """The directory as CSV, to import again."""
    return write_csv(list(COLUMNS), ([getattr(row, column) for column in COLUMNS] for row in rows))
