"""Managers' accounts for the web queue: names, password hashes, lockout, sessions and what was done.

Pure apart from hashing: every change takes ``now``. Passwords are hashed with Argon2id
(``argon2-cffi``, its default parameters); a session is known to the store only by the
SHA-256 of its token, so a copy of the data folder logs nobody in.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.ratings import parse_time, utc
from shared.text import printable

NAME_LIMIT = 40
PASSWORD_MIN = 10
PASSWORD_LIMIT = 1024  # argon2 would hash a megabyte; nobody types one
TOKEN_BYTES = 32

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so a wrong name takes as long as a wrong password.

    Made on first use, not on import: every process imports this module (through the store), and a
    hash costs half a second, which each ``feedback purge`` or kiosk start would pay for nothing.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A name or password that cannot be used; the message says why."""


def check_name(name: str) -> str:
    """An account name as it is stored: trimmed, 1–40 visible characters (it names the manager in the audit)."""
    name = name.strip()
    if not name:
        raise AccountError("an account needs a name, such as Dee")
    if len(name) > NAME_LIMIT:
        raise AccountError(f"an account name has at most {NAME_LIMIT} characters")
    if printable(name) != name:
        raise AccountError("an account name cannot hold control characters")
    return name


def check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"a password needs at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_LIMIT:
        raise AccountError(f"a password has at most {PASSWORD_LIMIT} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def password_matches(password_hash: str, password: str) -> bool:
    """True when ``password`` is the account's; never raises on a wrong or damaged hash."""
    if len(password) > PASSWORD_LIMIT:
        return False
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


def waste_a_check(password: str) -> None:
    """Spend what a check costs, for a name that has no account (no telling names apart by time)."""
    password_matches(_dummy_hash(), password[:PASSWORD_LIMIT] + "\0")


@dataclass(frozen=True, slots=True)
class Lockout:
    """After ``max_failures`` wrong passwords in a row the account is locked for ``duration``."""

    max_failures: int = 5
    duration: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    password_hash: str
    created: datetime
    failures: int = 0
    locked_until: datetime | None = None

    @classmethod
    def new(cls, name: str, password: str, now: datetime) -> Account:
        return cls(name=check_name(name), password_hash=hash_password(password), created=utc(now))

    def with_password(self, password: str) -> Account:
        """A new password also lifts a lockout."""
        return dataclasses.replace(self, password_hash=hash_password(password), failures=0, locked_until=None)

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and utc(now) < self.locked_until

    def failed(self, now: datetime, lockout: Lockout) -> Account:
        """One more wrong password; the one that reaches the limit locks the account."""
        failures = self.failures + 1
        if failures >= lockout.max_failures:
            return dataclasses.replace(self, failures=0, locked_until=utc(now) + lockout.duration)
        return dataclasses.replace(self, failures=failures)

    def succeeded(self) -> Account:
        return dataclasses.replace(self, failures=0, locked_until=None)

    def to_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "password_hash": self.password_hash,
            "created": self.created.isoformat(),
            "failures": self.failures,
            "locked_until": None if self.locked_until is None else self.locked_until.isoformat(),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Account:
        locked = record.get("locked_until")
        return cls(
            name=record["name"],
            password_hash=record["password_hash"],
            created=parse_time(record["created"]),
            failures=int(record.get("failures", 0)),
            locked_until=parse_time(locked) if locked else None,
        )


def token_key(token: str) -> str:
    """What the store keeps of a session token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser: the account, the CSRF token its forms carry, when it ends."""

    key: str
    account: str
    csrf: str
    created: datetime
    expires: datetime

    @classmethod
    def start(cls, account: str, now: datetime, lifetime: timedelta) -> tuple[str, WebSession]:
        """A new session and the token for its cookie (the only place the token exists)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = utc(now)
        session = cls(token_key(token), account, secrets.token_urlsafe(TOKEN_BYTES), now, now + lifetime)
        return token, session

    def is_live(self, now: datetime) -> bool:
        return utc(now) < self.expires

    def to_record(self) -> dict[str, str]:
        return {
            "key": self.key,
            "account": self.account,
            "csrf": self.csrf,
            "created": self.created.isoformat(),
            "expires": self.expires.isoformat(),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> WebSession:
        return cls(
            record["key"],
            record["account"],
            record["csrf"],
            parse_time(record["created"]),
            parse_time(record["expires"]),
        )


class Action(enum.StrEnum):
    """What a signed-in manager did, as the audit trail names it."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKED = "locked"
    LOGOUT = "logout"
    CLAIM = "claim"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    REVEAL = "reveal"
    ACCOUNT_SET = "account_set"


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """One line of the audit trail: who (the account name), what, on which follow-up, when."""

    account: str
    action: Action
    at: datetime
    followup_id: str = ""
    detail: str = ""

    def to_record(self) -> dict[str, str]:
        return {
            "account": self.account,
            "action": str(self.action),
            "at": self.at.isoformat(),
            "followup_id": self.followup_id,
            "detail": self.detail,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> AccountEvent:
        return cls(
            record["account"],
            Action(record["action"]),
            parse_time(record["at"]),
            record.get("followup_id", ""),
            record.get("detail", ""),
        )
