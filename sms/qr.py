"""QR posters: an ``sms:`` link to the shop's number with a body that names the station.

Scanning it opens the customer's messages app with ``Feedback #front-desk`` typed in;
sending that starts a walk-in conversation at that station and gets the question back.
"""

from __future__ import annotations

from pathlib import Path

import qrcode
import qrcode.image.pure
import qrcode.image.svg

from shared.stations import sms_link as shared_sms_link
from shared.stations import station_code as shared_station_code


class PosterError(ValueError):
    """The poster cannot be made as asked (unknown format, no number)."""


def station_code(station: str) -> str:
    """The station's code (:func:`shared.stations.station_code`); a name without letters or digits is refused."""
    code = shared_station_code(station)
    if not code:
        raise PosterError(f"the station name {station!r} has no letters or digits to make a code from")
    return code


def sms_link(number: str, station: str) -> str:
    """The link a poster encodes: a text to ``number`` that carries the station's code."""
    return shared_sms_link(number, f"Feedback #{station_code(station)}")


def write_poster(path: Path, number: str, station: str) -> str:
    """Write the QR code as PNG or SVG (by the file's suffix); return the link it encodes."""
    if not number:
        raise PosterError("no business number to text: set TWILIO_FROM_NUMBER or [sms] from_number, or pass --number")
    factories = {".png": qrcode.image.pure.PyPNGImage, ".svg": qrcode.image.svg.SvgPathImage}
    factory = factories.get(path.suffix.lower())
    if factory is None:
        raise PosterError(f"{path.name}: the poster file must end in .png or .svg")
    link = sms_link(number, station)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=12, border=4)
    code.add_data(link)
    code.make(fit=True)
    image = code.make_image(image_factory=factory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        image.save(out)
    return link
