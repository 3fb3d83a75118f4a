"""The idle screen's QR code: an ``sms:`` link drawn with half blocks in the terminal.

``sms:+15551234567?&body=Feedback%20%23front-desk`` opens the messages app with the
number and a text carrying the station's code filled in, on iOS (which reads
``&body=``) and Android (``?body=``). The SMS channel reads the ``#code`` back
(its ``[sms.stations]`` table maps codes to station names).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import qrcode
import qrcode.constants

CODE = re.compile(r"[a-z][a-z0-9_-]{0,39}")


def station_code(station: str) -> str:
    """``Front Desk 2`` → ``front-desk-2``: the same code the SMS channel's QR posters use.

    (The same rule as ``sms.qr.station_code``; kiosk and sms must not import each other.)
    """
    code = re.sub(r"[^a-z0-9]+", "-", station.casefold()).strip("-")
    if code and not code[0].isalpha():
        code = f"s-{code}"
    return code[:40]


def sms_link(number: str, body: str) -> str:
    """An ``sms:`` URI to ``number`` (E.164) with ``body`` prefilled."""
    return f"sms:{number}?&body={quote(body, safe='')}"


def qr_matrix(data: str, border: int = 2) -> list[list[bool]]:
    """The QR code's modules (True = dark), with a quiet zone of ``border`` modules."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=border)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def half_block_lines(matrix: list[list[bool]]) -> list[str]:
    """Two module rows per text line: ``▀`` top dark, ``▄`` bottom dark, ``█`` both.

    Draw the result dark on light (e.g. ``black on white``): scanners expect dark modules.
    """
    glyphs = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
    lines = []
    for top in range(0, len(matrix), 2):
        upper = matrix[top]
        lower = matrix[top + 1] if top + 1 < len(matrix) else [False] * len(upper)
        lines.append("".join(glyphs[(a, b)] for a, b in zip(upper, lower, strict=True)))
    return lines
