"""The formula-safe CSV writer: no cell runs in a spreadsheet, numbers stay numbers, rows stay aligned."""

from __future__ import annotations

import csv
import io

import pytest

from shared.csv_safe import SafeWriter, safe_cell

PAYLOADS = [
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "  =1",
    "-A1",
    "-3+2",
    "＝1+1",  # full-width equals
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_start_gets_a_leading_quote(payload: str) -> None:
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["-3", "-0.5", "42", "3.25", "+15555550101", "+1 •••• 0101", "", "plain words"])
def test_numbers_phones_and_words_are_kept(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize(("value", "cell"), [(-3, -3), (0.5, 0.5), (True, "yes"), (False, "no"), (None, "")])
def test_typed_values(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


def test_rows_stay_aligned_whatever_the_cells_hold() -> None:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["name", "comment", "n"])
    writer.writerows([["a\rb", "line\nbreak", 1], ['say "hi", =1', "\r=1", -2], ["", "x" * 10_000, 0]])
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert [len(row) for row in rows] == [3, 3, 3, 3]
    assert rows[1] == ["a\rb", "line\nbreak", "1"]
    assert rows[2] == ['say "hi", =1', "'\r=1", "-2"]
    assert out.getvalue().endswith("\r\n")
