"""Make a string that a person typed safe to show in a terminal, a report or a text message.

Customers, kiosks and managers set stations, names, reasons and comments; any of them may
hold an escape sequence (``ESC [ 2 J`` clears a manager's screen, ``ESC ] 8`` plants a
link), a bare carriage return that overwrites a report line, or a bidi override that makes
``exe.txt`` read as ``txt.exe``. :func:`printable` keeps every visible character and shows
every control one as a visible stand-in, so nothing is lost and nothing acts.

Markup (``[bold]``) is not a control character: Textual widgets still need ``rich.text.Text``.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"  # �: shown where an invisible character that changes the display was
SPACES = {"\t": " ", "\n": " ", "\r\n": " ", "\u2028": " ", "\u2029": " "}
# Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder what follows them.
BIDI = "\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(rf"\r\n|[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI}]")


def _stand_in(match: re.Match[str]) -> str:
    char = match.group()
    if char in SPACES:
        return SPACES[char]
    if char <= "\x1f":
        return chr(0x2400 + ord(char))  # the Unicode control picture: ESC shows as ␛, CR as ␍
    if char == "\x7f":
        return "\u2421"  # ␡
    return REPLACEMENT


def printable(value: str, *, keep_lines: bool = False) -> str:
    """``value`` on one line with no character that acts on a terminal: ``"\\x1b[2J"`` → ``"␛[2J"``.

    Tabs and line breaks become spaces (``keep_lines``: line feeds stay, for a text laid out on
    several lines); other C0 controls their control picture (␛, ␍, ␇); DEL ␡; C1 controls and
    bidi overrides U+FFFD. Printable text, brackets included, is kept.
    """
    if keep_lines:
        return "\n".join(_UNSAFE.sub(_stand_in, line) for line in value.replace("\r\n", "\n").split("\n"))
    return _UNSAFE.sub(_stand_in, value)
