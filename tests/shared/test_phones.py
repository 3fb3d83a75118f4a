from __future__ import annotations

import pytest

from shared.phones import InvalidPhoneNumber, mask_phone, normalise_phone


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("(202) 555-0143", "US", "+12025550143"),
        ("+1 202-555-0143", "FR", "+12025550143"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+44 7911 123456", "US", "+447911123456"),
        ("0044 7911 123456", "FR", "+447911123456"),
    ],
)
def test_numbers_are_normalised_to_e164(text: str, region: str, expected: str) -> None:
    assert normalise_phone(text, region) == expected


@pytest.mark.parametrize("text", ["", "12", "call me", "+1 555", "555-5555-5555-5555"])
def test_invalid_numbers_are_refused_without_echoing_them(text: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as raised:
        normalise_phone(text, "US")
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) > 4:
        assert digits not in str(raised.value)


def test_masked_numbers_show_only_country_code_and_last_two_digits() -> None:
    assert mask_phone("+12025550143") == "+1 ••••••••43"
    assert mask_phone("+33612345678") == "+33 •••••••78"
    assert mask_phone("") == ""
    assert "2025550143" not in mask_phone("+12025550143")
