"""Reading what spreadsheets export, and writing what they open safely."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from pelvicoach.platform.spreadsheets import (
    UnreadableError,
    header_key,
    kind_of,
    rows,
    safe,
    text_encoding,
    unescape,
    write_csv,
)
from pelvicoach.programs.enrolment.bulk.rows import iso_date


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("naam;Zoë\r\n".encode("utf-8-sig"), "utf-8-sig"),
        ("naam;Zoë\r\n".encode(), "utf-8-sig"),  # no mark: read the same
        ("naam;Zoë\r\n".encode("cp1252"), "cp1252"),
        (b"naam\x00;x", None),
        (bytes([0x81, 0x8D, 0x8F, 0x90]), None),  # bytes Windows-1252 leaves out
        (bytes(range(1, 9)) * 50, None),  # control characters, not text
    ],
)
def test_text_encoding(data, encoding):
    assert text_encoding(data) == encoding


@pytest.mark.parametrize(
    ("data", "filename", "kind"),
    [(b"a,b\n1,2\n", "x.csv", "csv"), (b"PK\x03\x04rest", "x.csv", "xlsx")],
)
def test_kind_by_content_not_by_name(data, filename, kind):
    assert kind_of(data, filename) == kind


def test_rows_are_numbered_as_the_spreadsheet_shows_them():
    data = b'a;b\r\n\r\n"one\r\ntwo";2\r\n;;\r\nx;3\r\n'
    assert list(rows(data)) == [(1, ["a", "b"]), (3, ["one\r\ntwo", "2"]), (5, ["x", "3"])]


def test_a_broken_csv_says_from_which_row():
    data = b'a,b\n1,2\n"' + b"x" * 200_000 + b'",3\n'
    reader = rows(data)
    assert next(reader) == (1, ["a", "b"])
    assert next(reader) == (2, ["1", "2"])
    with pytest.raises(UnreadableError, match="Row 3 and after"):
        next(reader)


def test_workbook_cells_read_as_their_csv_export_would():
    book = Workbook()
    book.active.append(["datum", "jaar", "moment", "leeg", "tekst"])
    book.active.append([datetime(2026, 9, 12), 1994.0, datetime(2026, 9, 12, 8, 30), None, "ja"])
    book.active.append([date(2026, 1, 2), 12.5, None, None, None])
    out = io.BytesIO()
    book.save(out)
    assert list(rows(out.getvalue(), "x.xlsx"))[1:] == [
        (2, ["2026-09-12", "1994", "2026-09-12 08:30:00", "", "ja"]),
        (3, ["2026-01-02", "12.5", "", "", ""]),
    ]


@pytest.mark.parametrize("cell", ["=1+1", "+31 6", "-5", "@SUM(A1)", "\tx", "gewoon"])
def test_safe_cells_read_back_as_they_were(cell):
    written = safe(cell)
    assert not written.startswith(("=", "+", "-", "@", "\t"))
    assert unescape(written) == cell


def test_written_csv_has_a_bom_and_semicolons():
    assert write_csv(["a", "b"], [["=x", True]]) == "\ufeffa;b\r\n'=x;ja\r\n"


@pytest.mark.parametrize(
    ("title", "key"),
    [("E-mail adres", "e_mail_adres"), ("\ufeffNaam ", "naam"), ("e_mail-adres", "e_mail_adres")],
)
def test_header_keys(title, key):
    assert header_key(title) == key


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-03-01", "2026-03-01"),
        ("1-3-2026", "2026-03-01"),
        ("01/03/2026", "2026-03-01"),
        ("1.3.2026", "2026-03-01"),
        ("31-02-2026", "31-02-2026"),  # impossible: left for the schema to refuse
        ("maart 2026", "maart 2026"),
    ],
)
def test_dates_the_dutch_way(text, iso):
    assert iso_date(text) == iso
