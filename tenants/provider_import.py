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

from pelvicoach.tenants.schemas import CareProviderSchema

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
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Parsed:
    good: list[dict[str, Any]] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    problem: str | None = None  # the file as a whole cannot be read


def decode(data: bytes) -> str | None:
    """UTF-8 (a byte-order mark is dropped), else Windows-1252; None for what is no text."""
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _header(name: str) -> str:
    key = name.strip().strip("\ufeff").lower().replace(" ", "_").replace("-", "_")
    return HEADERS.get(key, key)


def _cell(column: str, value: str) -> Any:
    value = (value or "").strip()
    if value.startswith("'") and value[1:2] in FORMULA_START:  # as `export` wrote it
        value = value[1:]
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
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
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


def _safe(value: Any) -> str:
    """A cell no spreadsheet takes for a formula."""
    text = "ja" if value is True else "nee" if value is False else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export(rows: Iterable[Any]) -> str:
    """The directory as CSV (semicolons, as Dutch spreadsheets expect), to import again."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_safe(getattr(row, column)) for column in COLUMNS])
    return "\ufeff" + out.getvalue()
