"""The Twilio webhooks: ``POST /sms`` (inbound texts, answered with TwiML) and ``POST /sms/status``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from sms.security import twilio_signed
from sms.spool import message_sid

blueprint = Blueprint("webhook", __name__)


def twiml(body: str | None) -> Response:
    """A TwiML answer: one message, or none (an empty <Response/> sends nothing)."""
    answer = MessagingResponse()
    if body:
        answer.message(body)
    return Response(str(answer), mimetype="text/xml")


@blueprint.post("/sms")
@twilio_signed
def inbound() -> Response:
    """Always a TwiML answer within seconds: a text the store cannot take now is spooled (see sms.intake)."""
    form = request.form
    if not message_sid(form) or not form.get("From"):
        return Response("MessageSid and From are required", status=400)
    return twiml(current_app.extensions["sms"].intake.receive(form.to_dict()))


@blueprint.post("/sms/status")
@twilio_signed
def status() -> tuple[str, int]:
    form = request.form
    sid = message_sid(form)
    if sid:
        current_app.extensions["sms"].prompter.record_status(
            sid, form.get("MessageStatus", ""), form.get("To", ""), form.get("ErrorCode", "")
        )
    return "", 204
