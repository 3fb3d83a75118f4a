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
MAX_MEMORY = 256 * 1024 * 1024  # what checking a PIN may take; a pin_hash asking for more is refused


class InvalidPin(ValueError):
    """A PIN that staff cannot use (too short, not digits)."""


class InvalidPinHash(ValueError):
    """The configured ``pin_hash`` is not one that ``feedback kiosk-pin`` made."""

    @classmethod
    def because(cls, why: str) -> InvalidPinHash:
        return cls(f"{why}; make a new one with `feedback kiosk-pin` and paste the line it prints")


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


@dataclass(frozen=True, slots=True)
class PinHash:
    """A parsed ``pin_hash``: scrypt's costs, the salt and the expected digest."""

    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    @classmethod
    def parse(cls, stored: str) -> PinHash:
        """Read ``stored`` as ``feedback kiosk-pin`` writes it, or raise :class:`InvalidPinHash`."""
        try:
            scheme, n, r, p, salt, digest = stored.split("$")
            if scheme != SCHEME:
                raise ValueError(scheme)
            parsed = cls(int(n), int(r), int(p), bytes.fromhex(salt), bytes.fromhex(digest))
        except ValueError:
            raise InvalidPinHash.because("it is not of the form scrypt$n$r$p$salt$digest") from None
        if not (parsed.salt and len(parsed.digest) >= 16):
            raise InvalidPinHash.because("its salt or digest is missing or too short")
        n, r, p = parsed.n, parsed.r, parsed.p
        if not (1 <= r * p <= 64 and n >= 2 and n & (n - 1) == 0 and 128 * n * r <= MAX_MEMORY // 2):
            raise InvalidPinHash.because("it asks for unusual scrypt costs")
        return parsed

    def matches(self, pin: str) -> bool:
        digest = hashlib.scrypt(
            pin.encode(), salt=self.salt, n=self.n, r=self.r, p=self.p, dklen=len(self.digest), maxmem=MAX_MEMORY
        )
        return hmac.compare_digest(digest, self.digest)


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches ``stored``; a malformed ``stored`` raises :class:`InvalidPinHash`."""
    return PinHash.parse(stored).matches(pin)


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
