"""``POST /api/interactions``: a till records how staff think an interaction went, sending no text.

The view waits for the customer's answer at that station's kiosk (see :mod:`shared.interactions`)
and is never shown to the customer. ``POST /api/prompts`` takes the same ``staff_view`` for a
customer asked by text.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from server.auth import Role, role_required
from shared.door import InteractionsDoor
from shared.interactions import InvalidView, check_names, parse_view

blueprint = Blueprint("interactions", __name__, url_prefix="/api")


def new_interaction_id() -> str:
    return f"i-{uuid.uuid4().hex}"


def record_view(
    store: InteractionsDoor,
    view: object,
    details: dict[str, str],
    *,
    prompt: str = "",
    expires_after: timedelta | None = None,
) -> str:
    """Keep a staff view (already checked) and return the interaction's id."""
    interaction = store.record_interaction(
        new_interaction_id(), parse_view(view), prompt=prompt, expires_after=expires_after, **details
    )
    return interaction.id


@blueprint.post("/interactions")
@role_required(Role.TILL)
def create_interaction() -> ResponseReturnValue:
    """``{"staff": "Ana", "station": "front", "touchpoint": "", "staff_view": "met"}`` → 201 with its id, 400."""
    payload: Any = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error='send JSON such as {"station": "front", "staff": "Ana", "staff_view": "met"}'), 400
    try:
        view = parse_view(payload.get("staff_view"))
        details = check_names(**{key: payload.get(key, "") for key in ("staff", "station", "touchpoint")})
    except InvalidView as error:
        return jsonify(error=str(error)), 400
    if not details["station"]:
        return jsonify(error="station is needed: the view pairs with the next answer at that station's kiosk"), 400
    store = current_app.extensions["sms"].store
    return jsonify(status="recorded", interaction=record_view(store, view, details)), 201
