"""printable(): a person's string shown as it was typed, with nothing in it that acts on a terminal."""

from __future__ import annotations

import pytest

from shared.text import printable


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("price was [too] high", "price was [too] high"),  # brackets are text: markup is Text's job
        ("[link=https://evil]x[/link] [@click=app.quit]", "[link=https://evil]x[/link] [@click=app.quit]"),
        ("\x1b[2J", "␛[2J"),  # clear screen: the ESC shows, the rest is harmless text
        ("\x1b]8;;http://evil\x07here", "␛]8;;http://evil␇here"),  # a hyperlink escape
        ("line one\nline two\r\nthree\tfour", "line one line two three four"),
        ("rewrite\rthe start", "rewrite␍the start"),  # a bare CR would overwrite the line
        ("nul\x00 del\x7f", "nul␀ del␡"),
        ("c1\x85\x9b2J", "c1\ufffd\ufffd2J"),  # NEL and the one-byte CSI
        ("invoice\u202egnp.exe", "invoice\ufffdgnp.exe"),  # right-to-left override
        ("isolate\u2066x\u2069", "isolate\ufffdx\ufffd"),
        ("para\u2028graph", "para graph"),
        ("café ✓ 🙂 ½", "café ✓ 🙂 ½"),
        ("", ""),
    ],
)
def test_control_characters_become_visible_stand_ins(typed: str, shown: str) -> None:
    assert printable(typed) == shown


def test_a_long_value_is_kept_whole() -> None:
    assert printable("x" * 10_000) == "x" * 10_000


def test_keep_lines_keeps_line_feeds_only() -> None:
    assert printable("one\r\ntwo\nthree\rfour\x1b", keep_lines=True) == "one\ntwo\nthree␍four␛"
