"""Staff PINs, kept only as salted scrypt hashes and checked in constant time.

Format: ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``, so the cost can change later
without breaking stored hashes. Make one with ``feedback kiosk-pin``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1
MIN_DIGITS, MAX_DIGITS = 4, 12


class InvalidPin(ValueError):
    """A PIN that staff cannot use (too short, not digits)."""


class InvalidPinHash(ValueError):
    """The configured ``pin_hash`` is not one that ``feedback kiosk-pin`` made."""


def check_pin_format(pin: str) -> str:
    """Return ``pin`` if it is 4 to 12 digits, else raise :class:`InvalidPin`."""
    if not (pin.isascii() and pin.isdigit() and MIN_DIGITS <= len(pin) <= MAX_DIGITS):
        raise InvalidPin(f"a staff PIN must be {MIN_DIGITS} to {MAX_DIGITS} digits")
    return pin


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """A salted hash of ``pin`` to put in ``[kiosk] pin_hash``."""
    check_pin_format(pin)
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"{SCHEME}${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches ``stored``; a malformed ``stored`` raises :class:`InvalidPinHash`."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != SCHEME:
            raise ValueError(scheme)
        n_, r_, p_ = int(n), int(r), int(p)
        salt_bytes, expected_bytes = bytes.fromhex(salt), bytes.fromhex(expected)
    except ValueError:
        raise InvalidPinHash("the kiosk's pin_hash is not valid; make a new one with `feedback kiosk-pin`") from None
    if not (1 <= r_ * p_ <= 64 and 2 <= n_ <= 2**20):
        raise InvalidPinHash("the kiosk's pin_hash asks for unusual scrypt costs; make a new one")
    try:
        digest = hashlib.scrypt(
            pin.encode(), salt=salt_bytes, n=n_, r=r_, p=p_, dklen=len(expected_bytes), maxmem=256 * 1024 * 1024
        )
    except ValueError:
        raise InvalidPinHash("the kiosk's pin_hash asks for unusual scrypt costs; make a new one") from None
    return hmac.compare_digest(digest, expected_bytes)


@dataclass
class PinGuard:
    """Slows PIN guessing at an unattended kiosk.

    After ``limit`` wrong PINs in a row the prompt stays shut for ``lockout``, twice as
    long after each further run of wrong PINs (at most ``longest``); a right PIN resets it.
    A customer sees nothing: the staff key simply does nothing while locked.
    """

    limit: int = 5
    lockout: timedelta = timedelta(minutes=5)
    longest: timedelta = timedelta(hours=1)
    failures: int = 0
    locked_until: datetime | None = None

    def allows(self, now: datetime) -> bool:
        return self.locked_until is None or now >= self.locked_until

    def failed(self, now: datetime) -> None:
        self.failures += 1
        if self.failures % self.limit == 0:
            runs = self.failures // self.limit
            self.locked_until = now + min(self.lockout * 2 ** (runs - 1), self.longest)

    def succeeded(self) -> None:
        self.failures = 0
        self.locked_until = None
