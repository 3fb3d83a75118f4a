"""Every inbound text is stored now or spooled: the webhook never waits long and never fails.

:meth:`Intake.receive` gives a text to the responder when the store takes it within
``[sms] store_wait_seconds``: half of it to wait for its turn among texts arriving at once,
half for the store's lock. Otherwise (the lock held, a full disk, a damaged file, any
unexpected error) the raw request goes to the :class:`~sms.spool.InboundSpool` and Twilio
is answered from the text alone (:func:`offline_reply`). Twilio never resends an inbound
text, so an error answer would lose it.

A background thread (:meth:`Intake.start`) stores the spooled texts oldest first, with the
time they arrived, retrying with backoff while the store cannot take them; their replies
were sent already (as TwiML), so the responder's are dropped. Each number's texts keep
their order: while one waits in the spool, the next from that number joins it rather than
overtaking it (a customer's "1" is always read before the comment that follows it), and a
text the store refuses for its own reason (a damaged file of that number) holds up only
its number's texts, not the shop's.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from shared.phones import mask_phone
from shared.ratings import Outcome
from shared.storage import StoreError, StoreWriteError
from shared.store import StoreBusy
from sms.replies import ReplyKind, parse_reply
from sms.responder import THANKS, Inbound, Responder
from sms.settings import SmsConfig
from sms.spool import InboundSpool, SpooledText, SpoolError, message_sid

log = logging.getLogger("sms.intake")

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0
IDLE_POLL_SECONDS = 1.0
ATTEMPTS_BEFORE_SETTING_ASIDE = 3  # for unexpected errors only: a busy or broken store is waited for


def inbound_from(form: Mapping[str, str], received: datetime) -> Inbound:
    """The responder's view of a webhook request (live or replayed from the spool)."""
    return Inbound(
        sid=message_sid(form),
        sender=form.get("From", ""),
        to=form.get("To", ""),
        body=form.get("Body", ""),
        opt_out_type=form.get("OptOutType", ""),
        received=received,
    )


def offline_reply(settings: SmsConfig, body: str, opt_out_type: str = "") -> str | None:
    """The answer to a text the store could not take, read from the text alone (pure).

    Keywords get their usual answer (an opt-out is recorded when the text is stored), a rating
    its usual thanks, a QR poster's text the question. Anything else gets no text: without the
    conversation a comment cannot be told from a question. Opt-outs cannot be looked up either;
    Twilio itself blocks texts to a number that sent STOP.
    """
    reply = parse_reply(body, questions=settings.questions, opt_out_type=opt_out_type)
    if reply.kind is ReplyKind.OPT_OUT:
        return settings.text("opted_out")
    if reply.kind is ReplyKind.OPT_IN:
        return settings.text("opted_in")
    if reply.kind is ReplyKind.HELP:
        return settings.text("help")
    if reply.kind is ReplyKind.RATING and reply.outcome is Outcome.BELOW:
        return settings.text("below_noted" if reply.comment else "ask_what_went_wrong")
    if reply.kind is ReplyKind.RATING and reply.outcome is not None:
        return settings.text(THANKS[reply.outcome])
    if reply.station_code:
        return settings.text("question")
    return None


class Replayed(enum.Enum):
    """What became of one spooled text on a replay attempt."""

    STORED = enum.auto()  # or set aside for a person: either way, out of the spool
    NUMBER_WAITS = enum.auto()  # this number's texts wait (a damaged file of its own, say); others go on
    ALL_WAIT = enum.auto()  # the store cannot take anything now (its lock held, its disk full)


class Intake:
    """The webhook's way into the store, with the spool as the way around it."""

    def __init__(self, responder: Responder, spool: InboundSpool, *, wait_seconds: float) -> None:
        self.responder = responder
        self.spool = spool
        self.turn_wait = wait_seconds / 2  # the responder's store waits the other half for its lock
        self._turn = threading.Lock()  # one text at a time goes to the store (it would queue there anyway)
        self._wake = threading.Event()
        self._failures: Counter[str] = Counter()

    def receive(self, form: Mapping[str, str]) -> str | None:
        """Store the text now, or spool it; return the reply to send. Never raises."""
        received = self.responder.clock()
        sender = form.get("From", "")
        if self.spool.holds_sender(sender):
            return self._keep(form, received, "earlier texts from this number wait in the spool")
        if not self._turn.acquire(timeout=self.turn_wait):
            return self._keep(form, received, "other texts kept the store busy")
        try:
            if self.spool.holds_sender(sender):  # spooled while this one waited for its turn
                return self._keep(form, received, "earlier texts from this number wait in the spool")
            return self.responder.handle(inbound_from(form, received)).reply
        except StoreError as error:
            return self._keep(form, received, str(error))
        except Exception as error:
            log.exception("text %s: unexpected error, spooling it", message_sid(form))
            return self._keep(form, received, f"unexpected error: {type(error).__name__}")
        finally:
            self._turn.release()

    def _keep(self, form: Mapping[str, str], received: datetime, why: str) -> str | None:
        sid, masked = message_sid(form), mask_phone(form.get("From", ""))
        try:
            if self.spool.add(form, received) is None:
                log.info("text %s from %s is in the spool already (a repeated delivery)", sid, masked)
            else:
                log.warning("text %s from %s spooled: %s", sid, masked, why)
        except SpoolError as error:
            log.error("text %s from %s: the store cannot take it (%s) and %s", sid, masked, why, error)
        except Exception:
            log.exception("text %s from %s: the store cannot take it (%s) nor the spool", sid, masked, why)
        self._wake.set()
        try:
            return offline_reply(self.responder.settings, form.get("Body", ""), form.get("OptOutType", ""))
        except Exception:
            log.exception("text %s: no reply could be chosen", sid)
            return None

    # -- replaying the spool ----------------------------------------------------------

    def replay(self) -> int:
        """Store spooled texts oldest first (each number's in order); return how many still wait."""
        if self.spool.write_pending():
            log.error("spool: some texts are kept in memory only: its folder cannot be written")
        waiting: set[str] = set()
        for text in self.spool.texts():
            if text.sender in waiting:
                continue
            with self._turn:
                replayed = self._replay_one(text)
            if replayed is Replayed.ALL_WAIT:
                break
            if replayed is Replayed.NUMBER_WAITS:
                waiting.add(text.sender)
        return len(self.spool)

    def _replay_one(self, text: SpooledText) -> Replayed:
        try:
            handled = self.responder.handle(inbound_from(text.form, text.received))
        except (StoreBusy, StoreWriteError) as error:
            log.warning("spool: %d text(s) wait; the store cannot take them yet: %s", len(self.spool), error)
            return Replayed.ALL_WAIT
        except StoreError as error:
            log.warning("spool: text %s from %s waits: %s", text.sid, text.masked_sender, error)
            return Replayed.NUMBER_WAITS
        except Exception as error:
            self._failures[text.name] += 1
            log.exception("spool: text %s failed (attempt %d)", text.sid, self._failures[text.name])
            if self._failures[text.name] < ATTEMPTS_BEFORE_SETTING_ASIDE:
                return Replayed.NUMBER_WAITS
            self.spool.set_aside(text, f"{type(error).__name__}: {error}")
            del self._failures[text.name]
            return Replayed.STORED
        # Its reply went out already, as the webhook's TwiML answer: this one is dropped.
        self.spool.remove(text)
        self._failures.pop(text.name, None)
        log.info("spool: stored text %s from %s (%s)", text.sid, text.masked_sender, handled.action)
        return Replayed.STORED

    def run(self, stop: threading.Event) -> None:
        """Replay until ``stop`` is set: at once, after each new spooled text, and with backoff while refused."""
        delay = RETRY_FIRST_SECONDS
        while not stop.is_set():
            self._wake.clear()
            try:
                waiting = self.replay()
            except Exception:  # the thread must live on, or texts wait for a restart
                log.exception("spool: replay failed")
                waiting = len(self.spool)
            if waiting:
                stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
            else:
                delay = RETRY_FIRST_SECONDS
                self._wake.wait(IDLE_POLL_SECONDS)

    def start(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="sms-spool", daemon=True)
        thread.start()
        return thread, stop
