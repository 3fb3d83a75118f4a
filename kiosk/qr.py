"""The idle screen's QR code: an ``sms:`` link drawn with half blocks in the terminal.

``sms:+15551234567?&body=Feedback%20%23front-desk`` opens the messages app with the
number and a text carrying the station's code filled in, on iOS (which reads
``&body=``) and Android (``?body=``). The SMS channel reads the ``#code`` back
(its ``[sms.stations]`` table maps codes to station names).
"""

from __future__ import annotations

import re

import qrcode
import qrcode.constants

from shared.stations import sms_link, station_code

__all__ = ["CODE", "half_block_lines", "qr_matrix", "sms_link", "station_code"]

CODE = re.compile(r"[a-z][a-z0-9_-]{0,39}")


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
