"""Station codes and the ``sms:`` links that carry them (kiosk QR codes and printed posters).

One rule for both channels, so a code on a poster and a code on a kiosk screen read back
the same when the text arrives: ``Front Desk 2`` → ``front-desk-2``.
"""

from __future__ import annotations

import re
from urllib.parse import quote


def station_code(station: str) -> str:
    """A short code for a station name: lower case letters, digits and ``-``; '' when it has none."""
    code = re.sub(r"[^a-z0-9]+", "-", station.casefold()).strip("-")
    if code and not code[0].isalpha():
        code = f"s-{code}"
    return code[:40]


def sms_link(number: str, body: str) -> str:
    """An ``sms:`` URI to ``number`` (E.164) with ``body`` prefilled.

    ``?&body=`` is read by Android (``?body``) and by iOS, old and new (``&body``).
    """
    return f"sms:{number}?&body={quote(body, safe='')}"
