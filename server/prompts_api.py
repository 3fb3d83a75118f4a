"""``POST /api/prompts``: a till (a client with the ``till`` role) asks for the question to be texted."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from server.auth import Role, role_required
from server.interactions_api import record_view
from shared.interactions import InvalidView, parse_view
from shared.phones import InvalidPhoneNumber
from sms.sender import SendFailed

blueprint = Blueprint("api", __name__, url_prefix="/api")

REFUSAL_STATUS = 409


@blueprint.post("/prompts")
@role_required(Role.TILL)
def create_prompt() -> ResponseReturnValue:
    """``{"phone": "+15551234567", "staff": "", "station": "", "touchpoint": "", "staff_view": "met"}`` → 201,
    409 refused, 422, 502. ``staff_view`` (optional) is how staff think it went: kept, never texted."""
    payload: Any = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("phone"), str):
        return jsonify(error='send JSON such as {"phone": "+15551234567", "staff": "Ana"}'), 400
    details = {key: payload.get(key, "") for key in ("staff", "station", "touchpoint")}
    if not all(isinstance(value, str) and len(value) <= 100 for value in details.values()):
        return jsonify(error="staff, station and touchpoint must be text of at most 100 characters"), 400
    view = payload.get("staff_view")
    if view is not None:
        try:
            parse_view(view)
        except InvalidView as error:
            return jsonify(error=str(error)), 400
    try:
        result = current_app.extensions["sms"].prompter.send_prompt(payload["phone"], **details)
    except InvalidPhoneNumber as error:
        return jsonify(error=str(error)), 422
    except SendFailed as error:
        return jsonify(error=str(error)), 502
    if not result.sent:
        return jsonify(status="refused", reason=str(result.refusal)), REFUSAL_STATUS
    if view is None:
        return jsonify(status="sent", prompt=result.prompt_id, sid=result.sid), 201
    channel = current_app.extensions["sms"]
    # Paired by the prompt: the answer to this text, however late it comes while the prompt lasts.
    interaction = record_view(
        channel.store, view, details, prompt=result.sid, expires_after=channel.settings.prompt_expiry
    )
    return jsonify(status="sent", prompt=result.prompt_id, sid=result.sid, interaction=interaction), 201
