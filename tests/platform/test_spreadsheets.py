"""Reading what spreadsheets export, and writing what they open safely."""

from __future__ import annotations

import io
import zipfile
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


def test_a_cell_as_long_as_its_file_is_read_and_the_rows_after_it_too():
    data = b'a,b\n1,2\n"' + b"x" * 200_000 + b'",3\n4,5\n'  # past the csv module's own limit
    read = list(rows(data))
    assert [number for number, _cells in read] == [1, 2, 3, 4]
    assert len(read[2][1][0]) == 200_000


def _workbook(*lines: list) -> bytes:
    book = Workbook()
    for line in lines:
        book.active.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML changed, as a damaged or hostile file has it."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.namelist():
            content = source.read(member)
            target.writestr(member, change(content) if member.endswith("sheet1.xml") else content)
    return out.getvalue()


CELL = b'<c r="B3" t="n"><v>1991</v></c>'
DAMAGED = {
    "a number cell holding text": lambda xml: xml.replace(CELL, CELL.replace(b"1991", b"abc")),
    "a shared text past the table": lambda xml: xml.replace(CELL, b'<c r="B3" t="s"><v>7</v></c>'),
    "a yes/no cell holding text": lambda xml: xml.replace(
        CELL, b'<c r="B3" t="b"><v>maybe</v></c>'
    ),
    "its XML cut off": lambda xml: xml[: xml.index(b'<row r="3"') + 20],
}


@pytest.mark.parametrize("change", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_workbook_says_from_which_row(change):
    data = _with_sheet(_workbook(["naam", "jaar"], ["Anna", 1990], ["Bea", 1991]), change)
    reader = rows(data, "x.xlsx")
    assert next(reader) == (1, ["naam", "jaar"])
    assert next(reader) == (2, ["Anna", "1990"])
    with pytest.raises(UnreadableError, match="Row 3 and after"):
        next(reader)


def test_a_workbook_claiming_the_whole_sheet_is_read_as_it_is():
    """Its size says A1:XFD1048576: believed, every row would be 16,384 cells long."""
    data = _with_sheet(
        _workbook(["naam", "jaar"], ["Anna", 1990]),
        lambda xml: xml.replace(b'ref="A1:B2"', b'ref="A1:XFD1048576"'),
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert list(rows(data, "x.xlsx")) == [(1, ["naam", "jaar"]), (2, ["Anna", "1990"])]


def test_workbook_cells_read_as_their_csv_export_would():
    data = _workbook(
        ["datum", "jaar", "moment", "leeg", "tekst"],
        [datetime(2026, 9, 12), 1994.0, datetime(2026, 9, 12, 8, 30), None, "ja"],
        [date(2026, 1, 2), 12.5, None, None, None],
    )
    assert list(rows(data, "x.xlsx"))[1:] == [
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
