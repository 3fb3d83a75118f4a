"""Proving that a request came from Twilio (``X-Twilio-Signature``) for this server's own URL."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger("sms.security")

View = TypeVar("View", bound=Callable[..., Any])


def public_url() -> str:
    """The URL Twilio called: ``PUBLIC_URL`` plus the path when configured, else the request's own URL
    (scheme and host from a trusted proxy's ``X-Forwarded-*`` headers, applied by waitress only for
    requests from that proxy)."""
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
        url = public_url()
        allowed: tuple[str, ...] = current_app.config["SMS_ALLOWED_HOSTS"]
        if allowed and not current_app.config["SMS_PUBLIC_URL"] and request.host.lower() not in allowed:
            log.warning("403: host %s is not in [sms] allowed_hosts (checked %s)", request.host, url)
            abort(403)
        if not signature or not validator.validate(url, request.form, signature):
            log.warning("403: %s signature for %s", "missing" if not signature else "invalid", url)
            abort(403)
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]
