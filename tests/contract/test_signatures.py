"""Each backend takes the door's calls exactly as the protocols spell them (names, kinds, defaults)."""

from __future__ import annotations

import inspect

import pytest

from manager.remote import RemoteStore
from shared.door import (
    ChangesDoor,
    ChannelData,
    ChannelDoor,
    ConsoleDoor,
    ExportDoor,
    FeedbackDoor,
    QueueDoor,
    RatingsDoor,
    StatsDoor,
)
from shared.store import FeedbackStore, Transaction
from sms import records as sms_records

ROLES = (RatingsDoor, QueueDoor, ChangesDoor, StatsDoor, ExportDoor)


def members(door: type) -> dict[str, object]:
    """The methods a protocol asks for, from it and the roles it is made of."""
    found: dict[str, object] = {}
    for role in ROLES:
        if role in door.__mro__:
            found.update(
                {
                    name: value
                    for name, value in vars(role).items()
                    if inspect.isfunction(value) and not name.startswith("_")
                }
            )
    return found


def shape(function: object) -> list[tuple[str, inspect._ParameterKind, bool]]:
    parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in parameters]


@pytest.mark.parametrize(("backend", "door"), [(FeedbackStore, FeedbackDoor), (RemoteStore, FeedbackDoor)])
def test_every_call_of_the_door_has_the_same_shape(backend: type, door: type) -> None:
    wanted = members(door)
    assert set(wanted) >= {"claim", "reveal", "changes_since", "daily_summaries", "ratings", "record_rating"}
    for name, function in wanted.items():
        assert shape(getattr(backend, name)) == shape(function), f"{backend.__name__}.{name}"


def test_the_console_door_is_the_queue_the_feed_and_the_statistics() -> None:
    assert set(members(ConsoleDoor)) == set(members(QueueDoor)) | set(members(ChangesDoor)) | set(members(StatsDoor))


@pytest.mark.parametrize(("backend", "door"), [(Transaction, ChannelData), (FeedbackStore, ChannelDoor)])
def test_a_channel_reaches_its_own_data_through_the_door_as_it_is_spelled(backend: type, door: type) -> None:
    wanted = {name: value for name, value in vars(door).items() if inspect.isfunction(value) and name[0] != "_"}
    assert wanted
    for name, function in wanted.items():
        assert shape(getattr(backend, name)) == shape(function), f"{backend.__name__}.{name}"


def test_the_sms_channel_names_collections_never_files() -> None:
    source = inspect.getsource(sms_records)
    assert ".json" not in source.split('"""', 2)[2]  # its docstring may say how the store keeps them
    assert "tinydb" not in source and ".db(" not in source and "root" not in source
