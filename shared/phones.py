"""Phone numbers: normalised to E.164 on the way in, masked on the way out.

The only place that parses or shows a phone number; every channel calls it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers

# Numbers text again and again: up to this many are remembered, and only texts this short (a number
# written any way); a longer text is read each time rather than kept.
_REMEMBERED = 4096
_NUMBER_CHARS = 64


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number that can be called back."""


@dataclass(frozen=True, slots=True)
class Phone:
    """A number read once: E.164 to store, masked to log."""

    e164: str  # +15551234567
    masked: str  # +1 ••• ••• ••67


def read_phone(text: str, default_region: str = "US") -> Phone:
    """``text`` normalised and masked from one parse, or :class:`InvalidPhoneNumber`; see :func:`normalise_phone`."""
    read = _read_remembered if len(text) <= _NUMBER_CHARS else _read
    phone, problem = read(text, default_region.upper())
    if phone is None:
        raise InvalidPhoneNumber(f"{mask_text(text)} {problem}")
    return phone


def normalise_phone(text: str, default_region: str = "US") -> str:
    """Return ``text`` as an E.164 number (``+15551234567``) or raise :class:`InvalidPhoneNumber`.

    ``default_region`` (ISO 3166 code) applies to numbers written without a ``+`` country code.
    """
    return read_phone(text, default_region).e164


def _read(text: str, region: str) -> tuple[Phone | None, str]:
    """The number, or None and why not (pure: the same text in the same region reads the same)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, "is not a phone number"
    if not phonenumbers.is_valid_number(number):
        return None, "is not a valid phone number"
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), _masked(number)), ""


_read_remembered = functools.lru_cache(maxsize=_REMEMBERED)(_read)


def mask_phone(e164: str | None) -> str:
    """Show only the country code and the last two digits: ``+1 ••• ••• ••67``."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return mask_text(e164)
    return _masked(number)


def _masked(number: phonenumbers.PhoneNumber) -> str:
    national = str(number.national_number)
    hidden = "•" * max(len(national) - 2, 0)
    return f"+{number.country_code} {hidden}{national[-2:]}"


def mask_text(text: str) -> str:
    """Mask anything that may be a number, for error messages and logs."""
    digits = [c for c in text if c.isdigit()]
    if len(digits) <= 2:
        return "•" * len(text)
    return "•" * (len(digits) - 2) + "".join(digits[-2:])


def display_phone(e164: str, region: str = "US") -> str:
    """A number as people write it: national in the shop's own region (``(500) 555-0006``), else international."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    same_region = phonenumbers.region_code_for_number(number) == region.upper()
    style = phonenumbers.PhoneNumberFormat.NATIONAL if same_region else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


_NUMBER_RUN = re.compile(r"\+?\d[\d \t().\-/]{4,}\d")
NUMBER_DIGITS = 6  # a run of at least this many digits may be a phone, card or account number


def mask_numbers(text: str) -> str:
    """``text`` with every long run of digits masked but its last two: "call 555 010 1234" → "call ••• ••• ••34".

    For what customers wrote, shown to managers and sent to other tools: a number in a comment may
    be the customer's own. Short numbers ("waited 40 minutes", "till 3") stay readable.
    """

    def hide(match: re.Match[str]) -> str:
        run = match.group()
        digits = sum(char.isdigit() for char in run)
        if digits < NUMBER_DIGITS:
            return run
        seen = 0
        out = []
        for char in run:
            if char.isdigit():
                seen += 1
                out.append(char if seen > digits - 2 else "•")
            else:
                out.append(char)
        return "".join(out)

    return _NUMBER_RUN.sub(hide, text)
