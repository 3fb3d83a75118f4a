"""Sending the question to a customer, within the rules, and hearing how the text fared.

The number is reserved under the store's lock (so two tills cannot prompt the same
customer at once), the text is sent outside it, and the conversation opens once Twilio
accepted it. A failed send frees the number again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.phones import InvalidPhoneNumber, mask_phone, normalise_phone
from shared.ratings import utc
from shared.store import FeedbackStore, utc_now
from sms.conversations import Conversation, Refusal, prompt_refusal
from sms.records import SmsRecords
from sms.sender import OPTED_OUT_UPSTREAM, Sender, SendFailed
from sms.settings import SmsConfig

log = logging.getLogger("sms.prompts")

STATUS_PATH = "/sms/status"


@dataclass(frozen=True, slots=True)
class PromptResult:
    """``sent`` with the prompt's id and Twilio sid, or ``refused`` with why."""

    sent: bool
    prompt_id: str = ""
    sid: str = ""
    refusal: Refusal | None = None


class Prompter:
    def __init__(
        self,
        settings: SmsConfig,
        store: FeedbackStore,
        sender: Sender,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.sender = sender
        self.clock = clock

    @property
    def status_callback(self) -> str | None:
        """Twilio can only call back a public URL; without PUBLIC_URL there is no callback."""
        return f"{self.settings.public_url}{STATUS_PATH}" if self.settings.public_url else None

    def send_prompt(self, phone: str, *, staff: str = "", station: str = "", touchpoint: str = "") -> PromptResult:
        """Ask one customer the question. Raises InvalidPhoneNumber or SendFailed."""
        phone = normalise_phone(phone, self.settings.phone_region)
        now = self.clock()
        prompt_id = f"p-{uuid.uuid4().hex}"
        with self.store.transaction() as tx, SmsRecords(tx, self.settings.retention) as records:
            previous = records.last_prompted(phone)
            refusal = prompt_refusal(self.settings, now, opted_out=records.is_opted_out(phone), last_prompted=previous)
            if refusal is not None:
                log.info("prompt to %s refused: %s", mask_phone(phone), refusal)
                return PromptResult(False, refusal=refusal)
            records.set_last_prompted(phone, now, now)
        try:
            sent = self.sender.send(phone, self.settings.text("question"), status_callback=self.status_callback)
        except SendFailed as error:
            with self.store.transaction() as tx, SmsRecords(tx, self.settings.retention) as records:
                records.set_last_prompted(phone, previous, now)
                if error.opted_out:
                    records.opt_out(phone, now, source="twilio-21610")
            if error.opted_out:
                return PromptResult(False, refusal=Refusal.OPTED_OUT)
            raise
        details = {"staff": staff, "station": station, "touchpoint": touchpoint}
        with self.store.transaction() as tx, SmsRecords(tx, self.settings.retention) as records:
            records.save_prompt(
                sent.sid,
                {
                    "id": prompt_id,
                    "sid": sent.sid,
                    "at": now.isoformat(),
                    "status": sent.status,
                    **details,
                },
            )
            records.save_conversation(
                Conversation.open(phone, prompt_id, now, self.settings.prompt_expiry, prompt_sid=sent.sid, **details),
                now,
            )
        log.info("prompt %s sent to %s", prompt_id, mask_phone(phone))
        return PromptResult(True, prompt_id=prompt_id, sid=sent.sid)

    def record_status(self, sid: str, status: str, to: str, error_code: str = "") -> None:
        """A status callback: keep the prompt's delivery status; error 21610 means the number opted out."""
        now = self.clock()
        with self.store.transaction() as tx, SmsRecords(tx, self.settings.retention) as records:
            prompt = records.prompt(sid, now)
            if prompt is not None:
                records.save_prompt(
                    sid, {**prompt, "status": status, "error": error_code, "updated": utc(now).isoformat()}
                )
            if error_code == str(OPTED_OUT_UPSTREAM) and to:
                try:
                    phone = normalise_phone(to, self.settings.phone_region)
                except InvalidPhoneNumber:
                    return
                if records.opt_out(phone, now, source="twilio-21610"):
                    log.info("%s opted out upstream (status callback, error 21610)", mask_phone(phone))
