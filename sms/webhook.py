"""The Twilio webhooks: ``POST /sms`` (inbound texts, answered with TwiML) and ``POST /sms/status``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from sms.responder import Inbound
from sms.security import twilio_signed

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
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not sid or not form.get("From"):
        return Response("MessageSid and From are required", status=400)
    handled = current_app.extensions["sms"].responder.handle(
        Inbound(
            sid=sid[:64],
            sender=form.get("From", ""),
            to=form.get("To", ""),
            body=form.get("Body", ""),
            opt_out_type=form.get("OptOutType", ""),
        )
    )
    return twiml(handled.reply)


@blueprint.post("/sms/status")
@twilio_signed
def status() -> tuple[str, int]:
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if sid:
        current_app.extensions["sms"].prompter.record_status(
            sid[:64], form.get("MessageStatus", ""), form.get("To", ""), form.get("ErrorCode", "")
        )
    return "", 204
