"""Serving the SMS app with waitress, with the manager alerter and the spool's replay in background threads."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

import waitress

from shared.config import Config
from sms.alerts import Alerter
from sms.app import create_app

log = logging.getLogger("sms")

INSECURE_WARNING = """\
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  --insecure-dev: Twilio signatures are NOT checked. Anyone who can reach  !!
!!  this server can post fake answers. Never use this outside a laptop.      !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(config: Config, host: str, port: int, *, insecure_dev: bool = False, threads: int = 8) -> int:
    """Run until interrupted (Ctrl-C or SIGTERM). ``port`` 0 picks a free port, printed at start."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("twilio").setLevel(logging.WARNING)  # its INFO lines dump every API request
    if insecure_dev and not config.env.get("TWILIO_AUTH_TOKEN"):
        print(INSECURE_WARNING, file=sys.stderr, flush=True)
    app = create_app(config, insecure_dev=insecure_dev)
    channel = app.extensions["sms"]
    alerter = Alerter(channel.settings, channel.store, channel.sender)
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="feedback-sms")
    signal.signal(signal.SIGTERM, _stop)
    thread, stop = alerter.start()
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
        spool_thread.join(timeout=5)
        server.close()
        if unwritten := channel.intake.spool.write_pending():  # a last try: memory ends with this process
            log.error("%d spooled text(s) could not be written to %s: lost", unwritten, channel.settings.spool_dir)
    print("feedback sms: stopped", flush=True)
    return 0
