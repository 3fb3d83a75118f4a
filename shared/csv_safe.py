"""The one way the product writes CSV: every cell is inert when a spreadsheet opens it.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return runs as a
formula in Excel, LibreOffice and Google Sheets (``=HYPERLINK("http://evil")``). Following
OWASP's CSV injection advice such a cell gets a leading single quote, which the spreadsheet
shows as text. A plain number (``-3``, ``-0.5``, ``42``) is left alone: it is a figure, not a
formula, nor is a phone number (``+15555550101``). Quoting is the ``csv`` module's: a cell
holding a comma, a quote, a line feed or a bare carriage return is quoted, so rows stay aligned.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

# ASCII triggers, plus the full-width forms some spreadsheets also read as formula starts.
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
PHONE = re.compile(r"\+\d[\d •]*")  # +15555550101, or masked: +1 •••• 0101; no operator after the sign
LINE_END = "\r\n"


def safe_cell(value: Any) -> str | int | float:
    """``value`` as a cell no spreadsheet will run: ``"=1+1"`` → ``"'=1+1"``; ``-3`` stays ``-3``."""
    if value.__class__ is str:  # most cells: an export writes millions
        text = value
        if not text or (text[0] not in FORMULA_STARTS and text[0] != " "):
            return text
    elif isinstance(value, bool):
        return "yes" if value else "no"
    elif isinstance(value, int | float):
        return value
    else:
        text = "" if value is None else str(value)
    first = text.lstrip(" ")[:1]
    if first in FORMULA_STARTS and not (NUMBER.fullmatch(text) or PHONE.fullmatch(text)):
        return "'" + text
    return text


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through :func:`safe_cell` (QUOTE_MINIMAL, CRLF rows)."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
