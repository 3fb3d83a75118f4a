"""QR codes that text the shop: an ``sms:`` link to its number with a body that names the station.

Scanning one opens the customer's messages app with ``Feedback #front-desk`` typed in;
sending that starts a walk-in conversation at that station and gets the question back.
``feedback qr`` prints it on a poster (:mod:`sms.poster`) or, with ``--code-only``, alone.
"""

from __future__ import annotations

from pathlib import Path

import qrcode
import qrcode.constants
import qrcode.image.pure
import qrcode.image.svg

from shared.stations import sms_link
from shared.stations import station_code as shared_station_code

FORMATS = (".png", ".svg")
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


class PosterError(ValueError):
    """The poster cannot be made as asked (unknown format, no number, a station without a code)."""


def station_code(station: str) -> str:
    """The station's code (:func:`shared.stations.station_code`); a name without letters or digits is refused."""
    code = shared_station_code(station)
    if not code:
        raise PosterError(f"the station name {station!r} has no letters or digits to make a code from")
    return code


def poster_link(number: str, station: str) -> str:
    """The link a poster encodes: a text to ``number`` that carries the station's code."""
    if not number:
        raise PosterError("no business number to text: set TWILIO_FROM_NUMBER or [sms] from_number, or pass --number")
    return sms_link(number, f"Feedback #{station_code(station)}")


def file_format(path: Path) -> str:
    """``.png`` or ``.svg``, from the file's suffix; anything else is refused before any work."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise PosterError(f"{path.name}: the file must end in .png or .svg")
    return suffix


def qr_code(link: str) -> qrcode.QRCode:
    """The code for ``link``, with medium error correction: a poster gets scuffed and glared on."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=12, border=QUIET_ZONE)
    code.add_data(link)
    code.make(fit=True)
    return code


def write_code(path: Path, link: str) -> None:
    """Write the bare code (no words, no page) as PNG or SVG, by the file's suffix."""
    factory = qrcode.image.pure.PyPNGImage if file_format(path) == ".png" else qrcode.image.svg.SvgPathImage
    image = qr_code(link).make_image(image_factory=factory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        image.save(out)
