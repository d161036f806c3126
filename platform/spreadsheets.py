"""Reading the files people export from their spreadsheets, and writing files safe to open in one.

CSV arrives as UTF-8 with or without a byte-order mark or as Windows-1252, with commas or (Dutch
Excel) semicolons and quoted fields that hold line breaks; XLSX is read with openpyxl in read-only
mode. Both are streamed row by row, so a large file never becomes a large list. A cell that
starts with = + - @ is neutralised on the way out, so a report opened in Excel runs no formula."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc) format
_CONTROL = bytes(set(range(32)) - {9, 10, 13})
# A cell as long as its file (which the upload limit bounds), where Python's csv module stops
# at 128 KiB: a long cell is then refused by its row's checks and the rows after it still read.
csv.field_size_limit(2**31 - 1)
# What openpyxl raises on a damaged sheet: a number cell holding text, a shared string past the
# table, XML cut off (a SyntaxError), a zip member cut short.
_DAMAGED = (ValueError, TypeError, IndexError, KeyError, SyntaxError, EOFError, OSError)


class UnreadableError(ValueError):
    """The file as a whole cannot be read; the message says why, for the person who sent it."""


def decode(data: bytes) -> str | None:
    """UTF-8 (a byte-order mark is dropped), else Windows-1252; None for what is no text."""
    encoding = text_encoding(data)
    return data.decode(encoding) if encoding else None


def text_encoding(data: bytes) -> str | None:
    """The encoding `data` is text in, checked in pieces so a large file is not copied whole;
    None for what is no text (a NUL byte, control characters, bytes Windows-1252 leaves out)."""
    if b"\x00" in data:
        return None
    sample = data[:65536]
    if sample and sum(sample.count(byte) for byte in _CONTROL) > len(sample) // 100:
        return None
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 20):
                decoder.decode(data[start : start + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def delimiter(sample: str) -> str:
    """Comma, semicolon or tab, whichever the first lines are written with."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        return ";" if sample.count(";") > sample.count(",") else ","


def header_key(name: Any) -> str:
    """A column title as a lookup key: `E-mail adres` and `e_mail_adres` are the same column."""
    text = str(name or "").strip().strip("\ufeff").lower()
    return "_".join(text.replace("-", " ").replace("_", " ").split())


def unescape(value: str) -> str:
    """A cell as `safe` wrote it, read back."""
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START else value


def safe(value: Any) -> str:
    """A cell no spreadsheet takes for a formula."""
    text = (
        "ja" if value is True else "nee" if value is False else "" if value is None else str(value)
    )
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(header: list[str], rows: Iterator[list[Any]] | list[list[Any]]) -> str:
    """Semicolons and a byte-order mark, as Dutch Excel expects; every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe(cell) for cell in header])
    for row in rows:
        writer.writerow([safe(cell) for cell in row])
    return "\ufeff" + out.getvalue()


def kind_of(data: bytes, filename: str) -> str:
    """'xlsx' or 'csv' by what the bytes are (a workbook renamed .csv is still read as one);
    UnreadableError for an empty file, an old .xls or anything else that is not text."""
    if not data.strip():
        raise UnreadableError(_l("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        raise UnreadableError(_l("This is an old Excel file (.xls): save it as .xlsx or as CSV."))
    if text_encoding(data) is None:
        name = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        raise UnreadableError(
            _l("This is not a CSV file (it holds no text): choose the CSV or XLSX file.")
            if name in ("csv", "txt", "")
            else _l("Only CSV and XLSX files can be read.")
        )
    return "csv"


def rows(data: bytes, filename: str = "") -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) for every row, the header being row 1; blank rows are skipped
    but counted, so the numbers match what the sender sees in her spreadsheet."""
    if kind_of(data, filename) == "xlsx":
        yield from _xlsx_rows(data)
    else:
        yield from _csv_rows(data)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    encoding = text_encoding(data) or "cp1252"
    head = data[:8192].decode(encoding, errors="ignore")
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter(head))
    number = 0
    try:
        for cells in reader:
            number += 1
            if any(cell.strip() for cell in cells):
                yield number, cells
    except csv.Error as exc:
        raise UnreadableError(
            _l("Row %(row)d and after cannot be read (%(error)s).", row=number + 1, error=exc)
        ) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # only the workbook path pays for importing it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise UnreadableError(
            _l("This Excel file cannot be read (%(error)s).", error=exc)
        ) from None
    number, width = 0, 0
    try:
        sheet = book.worksheets[0]
        # The size the file claims for its sheet is not believed ("A1:XFD1048576" would pad
        # every row to 16,384 cells): a row as short as its last cell is filled out to the
        # first row's width, as a CSV export would be.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_text(value) for value in values]
            if any(cell.strip() for cell in cells):
                width = width or len(cells)
                yield number, cells + [""] * (width - len(cells))
    except _DAMAGED as exc:
        raise UnreadableError(
            _l("Row %(row)d and after cannot be read (%(error)s).", row=number + 1, error=exc)
        ) from None
    finally:
        book.close()


def _text(value: Any) -> str:
    """A workbook cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
