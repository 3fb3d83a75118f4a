"""``POST /api/prompts``: a till (a client with the ``till`` role) asks for the question to be texted."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from server.auth import Role, role_required
from shared.phones import InvalidPhoneNumber
from sms.sender import SendFailed

blueprint = Blueprint("api", __name__, url_prefix="/api")

REFUSAL_STATUS = 409


@blueprint.post("/prompts")
@role_required(Role.TILL)
def create_prompt() -> ResponseReturnValue:
    """``{"phone": "+15551234567", "staff": "", "station": "", "touchpoint": ""}`` → 201, 409 refused, 422, 502."""
    payload: Any = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("phone"), str):
        return jsonify(error='send JSON such as {"phone": "+15551234567", "staff": "Ana"}'), 400
    details = {key: payload.get(key, "") for key in ("staff", "station", "touchpoint")}
    if not all(isinstance(value, str) and len(value) <= 100 for value in details.values()):
        return jsonify(error="staff, station and touchpoint must be text of at most 100 characters"), 400
    try:
        result = current_app.extensions["sms"].prompter.send_prompt(payload["phone"], **details)
    except InvalidPhoneNumber as error:
        return jsonify(error=str(error)), 422
    except SendFailed as error:
        return jsonify(error=str(error)), 502
    if not result.sent:
        return jsonify(status="refused", reason=str(result.refusal)), REFUSAL_STATUS
    return jsonify(status="sent", prompt=result.prompt_id, sid=result.sid), 201
