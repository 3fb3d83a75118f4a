"""Who is signed in, and whether a change really comes from the page they were shown.

- the session cookie carries a random token (the store keeps only its hash): HttpOnly,
  SameSite=Lax (a link in an alert text opens the queue signed in; no other site can post),
  Secure when the request came over TLS (waitress applies a trusted proxy's X-Forwarded-Proto);
- every state change carries the session's CSRF token (a hidden field, or ``X-CSRF-Token``); the
  login form has its own, double-submitted in a short cookie;
- logins are limited per address (``login_attempts_per_minute``) and per account (lockout).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Request, Response

from shared.accounts import WebSession, token_key
from shared.door import AccountsDoor

SESSION_COOKIE = "feedback_session"
LOGIN_COOKIE = "feedback_login"


@dataclass
class Sessions:
    """Sessions through the door, with the live ones remembered (one server process serves them all)."""

    store: AccountsDoor
    clock: Callable[[], datetime]
    _known: dict[str, WebSession] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, request: Request) -> WebSession | None:
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token or len(token) > 200:
            return None
        key = token_key(token)
        with self._lock:
            session = self._known.get(key)
        if session is None:
            session = self.store.web_session(key)
        if session is None or not session.is_live(self.clock()):
            return None
        with self._lock:
            self._known[key] = session
        return session

    def keep(self, session: WebSession) -> None:
        self.store.save_web_session(session)
        with self._lock:
            self._known[session.key] = session

    def end(self, session: WebSession) -> None:
        with self._lock:
            self._known.pop(session.key, None)
        self.store.end_web_session(session.key)


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int, path: str) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, httponly=True, secure=request.is_secure, samesite="Lax"
    )


def form_token(request: Request) -> str:
    return request.form.get("csrf", "") or request.headers.get("X-CSRF-Token", "")


def same_token(expected: str, given: str) -> bool:
    return bool(expected) and bool(given) and secrets.compare_digest(expected.encode(), given.encode())


class AttemptWindow:
    """At most ``limit`` login attempts per address in any ``seconds``: guessing is slow from anywhere."""

    def __init__(self, limit: int, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._attempts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        """Count an attempt; False when the address has used up its window."""
        now = self.clock()
        with self._lock:
            if len(self._attempts) > 10_000:  # forget quiet addresses: bounded memory
                self._attempts = {k: v for k, v in self._attempts.items() if v and v[-1] > now - self.seconds}
            attempts = self._attempts.setdefault(address, deque())
            while attempts and attempts[0] <= now - self.seconds:
                attempts.popleft()
            if len(attempts) >= self.limit:
                return False
            attempts.append(now)
            return True
