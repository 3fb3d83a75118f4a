"""The web application: ``create_app(config)`` wires the SMS channel, the client tokens and the APIs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from twilio.request_validator import RequestValidator

from server import interactions_api, manage, prompts_api, sync_api
from server.auth import ClientRegistry
from shared.config import Config
from shared.store import FeedbackStore, utc_now
from sms import webhook
from sms.intake import Intake
from sms.prompts import Prompter
from sms.responder import Responder
from sms.sender import Sender, sender_for
from sms.settings import SmsConfig, load_sms_config
from sms.spool import InboundSpool

log = logging.getLogger("server")


class InsecureRefused(RuntimeError):
    """No TWILIO_AUTH_TOKEN, or no trustworthy URL to check signatures against: the server will not start."""


def refuse_unchecked_host(settings: SmsConfig, insecure_dev: bool) -> None:
    """Signatures need a URL an attacker cannot choose: ``PUBLIC_URL``, a trusted proxy's forwarded
    host, or a request ``Host`` limited to ``[sms] allowed_hosts``."""
    if insecure_dev or settings.public_url or settings.trusted_proxies or settings.allowed_hosts:
        return
    raise InsecureRefused(
        "PUBLIC_URL is not set, so signatures would be checked against the Host header a client chooses "
        "(a text signed for another URL could be replayed). Set PUBLIC_URL to the URL Twilio calls, or "
        "[sms] trusted_proxies (behind a reverse proxy) or [sms] allowed_hosts; or pass --insecure-dev."
    )


@dataclass(frozen=True, slots=True)
class SmsChannel:
    """What the views need, kept in ``app.extensions["sms"]``."""

    settings: SmsConfig
    store: FeedbackStore
    sender: Sender
    responder: Responder
    intake: Intake
    prompter: Prompter


def create_app(
    config: Config,
    store: FeedbackStore | None = None,
    sender: Sender | None = None,
    clock: Callable[[], datetime] | None = None,
    *,
    insecure_dev: bool = False,
) -> Flask:
    """Build the app. Without ``TWILIO_AUTH_TOKEN`` it refuses unless ``insecure_dev`` (no signature checks).

    Forwarded headers (``X-Forwarded-Proto/Host``) are applied by waitress from trusted proxies only
    (:mod:`server.run`, which also refuses to serve without a URL to check signatures against).
    """
    settings = load_sms_config(config)
    if not settings.auth_token and not insecure_dev:
        raise InsecureRefused(
            "TWILIO_AUTH_TOKEN is not set, so Twilio's signatures cannot be checked and anyone could "
            "post fake answers. Set it, or pass --insecure-dev on a development machine."
        )
    store = store or FeedbackStore.from_config(config)
    clock = clock or store.clock or utc_now
    sender = sender or sender_for(settings)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
        SMS_PUBLIC_URL=settings.public_url,
        SMS_VALIDATOR=RequestValidator(settings.auth_token) if settings.auth_token else None,
        SMS_ALLOWED_HOSTS=settings.allowed_hosts,
    )
    app.extensions["clients"] = ClientRegistry(config)
    # Inbound texts get a store of their own, whose lock wait is short (half of store_wait_seconds,
    # the other half being the wait for their turn) and not queued behind the alerts or sync threads.
    inbound_store = FeedbackStore(
        store.root,
        followup_target=store.followup_target,
        lock_timeout=settings.store_wait_seconds / 2,
        clock=store.clock,
        limits=store.limits,
    )
    responder = Responder(settings, inbound_store, clock)
    intake = Intake(responder, InboundSpool(settings.spool_dir), wait_seconds=settings.store_wait_seconds)
    app.extensions["sms"] = SmsChannel(
        settings=settings,
        store=store,
        sender=sender,
        responder=responder,
        intake=intake,
        prompter=Prompter(settings, store, sender, clock),
    )
    app.register_blueprint(webhook.blueprint)
    app.register_blueprint(prompts_api.blueprint)
    app.register_blueprint(interactions_api.blueprint)
    sync_api.init_app(app, config, store, clock)
    manage.init_app(app, config, store, clock)

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        return {"ok": True, "revision": store.revision(), "spooled": len(intake.spool)}

    return app
