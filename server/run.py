"""Serving the app with waitress, with the manager alerter and the spool's replay in background threads."""

from __future__ import annotations

import errno
import logging
import signal
import sys
from types import FrameType

import waitress
from flask import Flask
from waitress.server import BaseWSGIServer, MultiSocketServer

from server.app import create_app, refuse_unchecked_host
from shared.config import Config
from shared.hooks import load_hook_settings
from sms.alerts import Alerter
from sms.check_back import CheckBacker
from sms.hooks import HookWorker
from sms.hot_spot_alerts import SpotAlerter
from sms.settings import SmsConfig

log = logging.getLogger("server")

INSECURE_WARNING = """\
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  --insecure-dev: Twilio signatures are NOT checked. Anyone who can reach  !!
!!  this server can post fake answers. Never use this outside a laptop.      !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"""


class CannotListen(Exception):
    """The address or port cannot be listened on; the message says what to change."""


FORWARDED_HEADERS = {"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"}


def proxy_options(settings: SmsConfig) -> dict[str, object]:
    """waitress's own proxy handling: ``X-Forwarded-*`` are applied only to requests whose peer is the
    trusted proxy, and removed from every other request, so a client cannot choose the URL a signature
    is checked against. (waitress removes them anyway; without these options they never reach the app.)"""
    if not settings.trusted_proxies:
        return {}
    return {
        "trusted_proxy": settings.proxy_address,
        "trusted_proxy_count": settings.trusted_proxies,
        "trusted_proxy_headers": FORWARDED_HEADERS,
        "clear_untrusted_proxy_headers": True,
    }


# Each open page of the web queue keeps a connection or two; waitress stops accepting past its limit.
CONNECTION_LIMIT = 1000


def thread_count(threads: int, app: Flask) -> int:
    """The worker threads: ``threads`` for requests, plus one for each event stream the web queue may
    hold open (``[manage] live_streams``), so open pages never take the webhook's threads."""
    return threads + app.extensions["manage"].settings.live_streams


def _bind(app: Flask, host: str, port: int, threads: int, settings: SmsConfig) -> BaseWSGIServer | MultiSocketServer:
    """waitress's server, listening; an address that cannot be used is a :class:`CannotListen`."""
    options = proxy_options(settings)
    try:
        return waitress.create_server(
            app,
            host=host,
            port=port,
            threads=thread_count(threads, app),
            connection_limit=CONNECTION_LIMIT,
            ident="feedback",
            **options,
        )
    except ValueError:  # waitress: the host name does not resolve
        raise CannotListen(f"{host} is not a name or address to listen on; pick another with --host") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            why = f"port {host}:{port} is already in use (another server?); pick another with --port"
        elif error.errno == errno.EACCES:
            why = f"no permission to listen on port {port}; use one above 1023 (the reverse proxy takes 80 and 443)"
        elif error.errno == errno.EADDRNOTAVAIL:
            why = f"{host} is not an address of this machine; pick another with --host"
        else:
            why = f"cannot listen on {host}:{port}: {error.strerror or error}"
        raise CannotListen(why) from None


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(config: Config, host: str, port: int, *, insecure_dev: bool = False, threads: int = 8) -> int:
    """Run until interrupted (Ctrl-C or SIGTERM). ``port`` 0 picks a free port, printed at start."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("twilio").setLevel(logging.WARNING)  # its INFO lines dump every API request
    app = create_app(config, insecure_dev=insecure_dev)
    channel = app.extensions["sms"]
    refuse_unchecked_host(channel.settings, insecure_dev)
    alerter = Alerter(channel.settings, channel.store, channel.sender)
    hooks = load_hook_settings(config)
    server = _bind(app, host, port, threads, channel.settings)
    if insecure_dev and not channel.settings.auth_token:
        print(INSECURE_WARNING, file=sys.stderr, flush=True)
    elif insecure_dev and not channel.settings.public_url:
        log.warning("--insecure-dev: no PUBLIC_URL, so signatures are checked against the Host a client sends")
    signal.signal(signal.SIGTERM, _stop)
    thread, stop = alerter.start()
    workers = [
        CheckBacker(channel.settings, channel.store, channel.sender).start(),
        SpotAlerter(channel.settings, channel.store, channel.sender).start(),
    ]
    if hooks.endpoints:
        labels = channel.settings.reasons
        workers.append(HookWorker(hooks, channel.store, business=config.business_name, labels=labels).start())
    spool_thread, spool_stop = channel.intake.start()  # also stores what an earlier run left in the spool
    log.info("%s", channel.settings.describe())
    print(f"feedback sms: listening on http://{host}:{server.effective_port}", flush=True)  # type: ignore[union-attr]
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        spool_stop.set()
        thread.join(timeout=5)
        for worker, worker_stop in workers:
            worker_stop.set()
            worker.join(timeout=5)
        spool_thread.join(timeout=5)
        server.close()
        if unwritten := channel.intake.spool.write_pending():  # a last try: memory ends with this process
            log.error("%d spooled text(s) could not be written to %s: lost", unwritten, channel.settings.spool_dir)
    print("feedback sms: stopped", flush=True)
    return 0
