"""Proving that a request came from Twilio (``X-Twilio-Signature``) or from a till (API token)."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger("sms.security")

View = TypeVar("View", bound=Callable[..., Any])


def public_url() -> str:
    """The URL Twilio called: ``PUBLIC_URL`` plus the path when configured, else the request's own URL
    (scheme and host from a trusted proxy's ``X-Forwarded-*`` headers, applied by ProxyFix)."""
    base = current_app.config["SMS_PUBLIC_URL"]
    if not base:
        return request.url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def twilio_signed(view: View) -> View:
    """Answer 403, changing nothing, unless the request carries Twilio's valid signature."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        validator: RequestValidator | None = current_app.config["SMS_VALIDATOR"]
        if validator is None:  # --insecure-dev
            return view(*args, **kwargs)
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not validator.validate(public_url(), request.form, signature):
            log.warning("403: %s signature on %s", "missing" if not signature else "invalid", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def token_required(view: View) -> View:
    """``Authorization: Bearer <FEEDBACK_API_TOKEN>``; without a configured token the API is off (503)."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        expected: str = current_app.config["SMS_API_TOKEN"]
        if not expected:
            abort(503, "the API is disabled: set FEEDBACK_API_TOKEN to enable it")
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            abort(401)
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]
